namespace GridTime.Agents;

/// <summary>The shape of an agent network. Saved with every network so a file alone rebuilds it.</summary>
public sealed record AgentOptions
{
    /// <summary>How T reaches the LSTM (see <see cref="CoreKind"/>).</summary>
    public CoreKind Core { get; init; } = CoreKind.Nac;

    /// <summary>Width of the LSTM state h and c (and of the encoder output).</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Output width of the NAC or NALU in the nac and nalu cores.</summary>
    public int ArithmeticWidth { get; init; } = 8;

    /// <summary>What the NAC or NALU of the nac and nalu cores reads: [T, h(t−1)] (the default) or [T] alone.</summary>
    public ArithmeticInput ArithmeticInput { get; init; } = ArithmeticInput.InstructionAndState;

    /// <summary>
    /// C: the timer core passes its time-left readout on cut at C (min(r, C)), so that no input beyond those seen in
    /// training reaches its policy. Training sets it to --time-left-cap (default: the farthest the target can be, 2(N − 1),
    /// at most the largest T of training; 8 on the paper's 5x5 grid).
    /// </summary>
    public int TimeLeftCap { get; init; } = 8;

    /// <summary>
    /// Which losses train the timer's time-left readout (<see cref="Agents.TimeLeftGradient"/>); training sets it to
    /// --time-left-gradient. A network saved before the setting existed was trained by all (<see cref="AsWrittenBefore"/>).
    /// </summary>
    public TimeLeftGradient TimeLeftGradient { get; init; } = TimeLeftGradient.TimeLeftLoss;

    /// <summary>How the timer reads its time left from T and its count (<see cref="Agents.TimeLeftReadout"/>); training sets it to --time-left-readout.</summary>
    public TimeLeftReadout TimeLeftReadout { get; init; } = TimeLeftReadout.Nau;

    /// <summary>ε in the NALU's log(|x| + ε): a normal float (from 2⁻¹²⁶ ≈ 1.18e-38 to float's largest).</summary>
    public double NaluEpsilon { get; init; } = 1e-7;

    /// <summary>2⁻¹²⁶, the smallest normal float: the least <see cref="NaluEpsilon"/>.</summary>
    public const double SmallestNormalFloat = 1.1754943508222875e-38;

    /// <summary>Seed of the initial weights.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// These options as a saved network whose header lacks the keys <paramref name="absent"/> (camelCase) stands for
    /// them: an option added after networks were being saved stands there for how they were built and trained before it
    /// existed, where that differs from today's default.
    /// </summary>
    public AgentOptions AsWrittenBefore(IReadOnlyCollection<string> absent) =>
        absent.Contains("timeLeftGradient") ? this with { TimeLeftGradient = TimeLeftGradient.All } : this;

    /// <summary>Largest <see cref="Hidden"/>: a network of that width with its Adam moments, gradients and rollouts still fits a large machine.</summary>
    public const int MaximumHidden = 8192;

    /// <summary>Largest <see cref="ArithmeticWidth"/>.</summary>
    public const int MaximumArithmeticWidth = 1024;

    /// <summary>The defaults (the paper's nac agent: LSTM 256, NAC width 8, seed 1); the training settings start from them.</summary>
    public static AgentOptions Default { get; } = new();

    /// <summary>
    /// Every field out of range, in field order, each as (the property's name, a message naming the field in words):
    /// a known core, Hidden 1..<see cref="MaximumHidden"/>, ArithmeticWidth 1..<see cref="MaximumArithmeticWidth"/>,
    /// a known time-left readout, a NALU epsilon that is a normal float, an arithmetic input other than the default only for a core with an arithmetic unit
    /// (<see cref="CoreDescriptor.ChoosesArithmeticInput"/>). Empty when valid. The one place these bounds are checked: <see cref="Validate"/>
    /// throws the first, the training settings name their flags before them.
    /// </summary>
    public IReadOnlyList<(string Property, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        void Check(bool ok, string property, string message)
        {
            if (!ok)
            {
                problems.Add((property, message));
            }
        }

        Check(Enum.IsDefined(Core), nameof(Core), $"unknown core {(int)Core}");
        Check(Hidden is >= 1 and <= MaximumHidden, nameof(Hidden), $"the hidden width must be at least 1 and at most {MaximumHidden}, got {Hidden}");
        Check(ArithmeticWidth is >= 1 and <= MaximumArithmeticWidth, nameof(ArithmeticWidth), $"the arithmetic width must be at least 1 and at most {MaximumArithmeticWidth}, got {ArithmeticWidth}");
        Check(Enum.IsDefined(ArithmeticInput), nameof(ArithmeticInput), $"unknown arithmetic input {(int)ArithmeticInput}");
        Check(ArithmeticInput == ArithmeticInput.InstructionAndState || !Enum.IsDefined(Core) || CoreTable.Of(Core).ChoosesArithmeticInput, nameof(ArithmeticInput),
            $"the {Core.Name()} agent has no NAC or NALU whose input could be chosen (only {string.Join(" and ", CoreTable.All.Where(row => row.ChoosesArithmeticInput).Select(row => row.Kind.Name()))} have)");
        Check(Enum.IsDefined(TimeLeftReadout), nameof(TimeLeftReadout), $"unknown time-left readout {(int)TimeLeftReadout}");
        Check(TimeLeftCap >= 1, nameof(TimeLeftCap), $"the time-left cap must be at least 1, got {TimeLeftCap}");
        // A normal float: the NALU computes in floats, and where denormals are flushed (training's workers) a smaller ε reads as 0, so log(|0| + ε) = −∞.
        Check(NaluEpsilon is >= SmallestNormalFloat and <= float.MaxValue, nameof(NaluEpsilon),
            $"the NALU epsilon must be a normal float, from {SmallestNormalFloat.ToString(System.Globalization.CultureInfo.InvariantCulture)} to {float.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture)}, got {NaluEpsilon.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with the first of <see cref="Problems"/>, if any. Returns this.</summary>
    public AgentOptions Validate()
    {
        IReadOnlyList<(string Property, string Message)> problems = Problems();
        return problems.Count == 0 ? this : throw new ArgumentException(problems[0].Message);
    }
}
