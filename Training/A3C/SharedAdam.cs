using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Training.A3C;

/// <summary>
/// Adam over the shared network, with one set of moment estimates shared by all workers ("shared
/// statistics", Mnih et al. 2016). A worker's update copies its gradients into the shared gradient
/// buffers and takes one Adam step, all under <see cref="Lock"/>; the forward and backward passes, which
/// are nearly all of the time, run without it, so workers still update asynchronously from stale weights.
/// <para>
/// Why Adam and not RMSProp: the PyTorch version of this experiment found shared Adam at 5e-4 learned the
/// training range reliably while RMSProp-style steps needed more tuning; Adam's bias correction also makes
/// the first updates of every worker well scaled.
/// </para>
/// </summary>
public sealed class SharedAdam : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _firstMoments;
    private readonly Tensor[] _secondMoments;
    private readonly double[] _rateScales;
    private readonly bool[] _additionUnits;

    /// <summary>An optimizer for <paramref name="parameters"/> with zero moments.</summary>
    /// <param name="parameters">The shared parameters.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Denominator epsilon.</param>
    /// <param name="rateScales">Per parameter, a factor on the learning rate (null: all 1).</param>
    /// <param name="additionUnits">Per parameter, whether it is a NAU weight, whose step <see cref="Step"/> also scales by its <c>additionUnitFactor</c> (null: none).</param>
    public SharedAdam(IEnumerable<Parameter> parameters, double beta1, double beta2, double epsilon, IReadOnlyList<double>? rateScales = null, IReadOnlyList<bool>? additionUnits = null)
    {
        _parameters = [.. parameters];
        _rateScales = rateScales is null ? [.. _parameters.Select(_ => 1.0)] : [.. rateScales];
        _additionUnits = additionUnits is null ? new bool[_parameters.Length] : [.. additionUnits];
        if (_rateScales.Length != _parameters.Length || _additionUnits.Length != _parameters.Length)
        {
            throw new ArgumentException($"{_rateScales.Length} learning-rate scales and {_additionUnits.Length} NAU marks for {_parameters.Length} parameters");
        }

        if (_parameters.FirstOrDefault(p => p.dtype != ScalarType.Float32 || p.device_type != DeviceType.CPU || !p.is_contiguous()) is { } other)
        {
            throw new ArgumentException($"SharedAdam updates contiguous float32 parameters on the CPU; got {other.dtype} on {other.device_type}");
        }

        _firstMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _secondMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>
    /// The optimizer a training run uses: the NAC, NALU and NAU parameters of <paramref name="network"/> learn at
    /// <see cref="Config.TrainConfig.NacLearningRateScale"/> times the learning rate, everything else at 1x; the NAU
    /// weights are marked for <see cref="Config.TrainConfig.NauLearningRateFactorAt"/>.
    /// </summary>
    public static SharedAdam For(Agents.ActorCritic network, Config.TrainConfig config) =>
        new(network.parameters(), config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon,
            [.. network.ArithmeticParameterMask().Select(arithmetic => arithmetic ? config.NacLearningRateScale : 1.0)], network.AdditionUnitParameterMask());

    /// <summary>Held while the shared weights change; hold it to read them consistently.</summary>
    public Lock Lock { get; } = new();

    /// <summary>Adam steps taken so far (by all workers together).</summary>
    public long StepCount { get; private set; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public double Epsilon { get; }

    /// <summary>
    /// Applies one Adam step with <paramref name="localGradients"/> (a worker's, in the order of the shared parameters)
    /// and <paramref name="learningRate"/> to the shared parameters, the NAU weights' step also times
    /// <paramref name="additionUnitFactor"/> (0 leaves them, and their moments, unchanged). Call it holding <see cref="Lock"/>.
    /// </summary>
    public void Step(IReadOnlyList<Tensor> localGradients, double learningRate, double additionUnitFactor = 1)
    {
        StepCount++;
        double correction1 = 1 - Math.Pow(Beta1, StepCount);
        double correction2 = 1 - Math.Pow(Beta2, StepCount);
        for (int i = 0; i < _parameters.Length; i++)
        {
            double rate = learningRate * _rateScales[i] * (_additionUnits[i] ? additionUnitFactor : 1);
            if (rate == 0)
            {
                continue; // a settled NAU: its weights stay exactly where the clamp left them
            }

            using Tensor g = localGradients[i].contiguous();
            Update(_parameters[i], g, _firstMoments[i], _secondMoments[i], -rate / correction1, Math.Sqrt(correction2));
        }
    }

    /// <summary>One parameter's step (<see cref="AdamStep"/>).</summary>
    private unsafe void Update(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, double stepSize, double rootCorrection2)
    {
        fixed (byte* pB = parameter.bytes, gB = gradient.bytes, mB = firstMoment.bytes, vB = secondMoment.bytes)
        {
            AdamStep.Apply((float*)pB, (float*)gB, (float*)mB, (float*)vB, parameter.numel(), Beta1, Beta2, Epsilon, stepSize, rootCorrection2);
        }
    }

    /// <summary>Writes the step count and moments (hold <see cref="Lock"/> for a consistent copy).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(StepCount);
        writer.Write(_parameters.Length);
        foreach (Tensor moment in _firstMoments.Concat(_secondMoments))
        {
            moment.Save(writer);
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote; throws <see cref="InvalidDataException"/> when it does not fit.</summary>
    public void Load(BinaryReader reader)
    {
        long steps = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != _parameters.Length || steps < 0)
        {
            throw new InvalidDataException($"optimizer state is for {count} parameters, this network has {_parameters.Length}");
        }

        try
        {
            foreach (Tensor moment in _firstMoments.Concat(_secondMoments))
            {
                moment.Load(reader);
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"optimizer state does not fit this network ({e.Message})", e);
        }

        StepCount = steps;
    }

    /// <summary>The moment tensors, for tests and inspection.</summary>
    public IReadOnlyList<Tensor> Moments => [.. _firstMoments, .. _secondMoments];

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor t in _firstMoments.Concat(_secondMoments))
        {
            t.Dispose();
        }
    }
}
