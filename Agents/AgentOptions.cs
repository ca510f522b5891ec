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

    /// <summary>ε in the NALU's log(|x| + ε).</summary>
    public double NaluEpsilon { get; init; } = 1e-7;

    /// <summary>Seed of the initial weights.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field out of range.</summary>
    public AgentOptions Validate()
    {
        if (!Enum.IsDefined(Core))
        {
            throw new ArgumentException($"unknown core {(int)Core}");
        }

        if (Hidden < 1 || ArithmeticWidth < 1)
        {
            throw new ArgumentException($"hidden ({Hidden}) and arithmetic width ({ArithmeticWidth}) must be at least 1");
        }

        if (NaluEpsilon <= 0)
        {
            throw new ArgumentException($"the NALU epsilon must be positive, got {NaluEpsilon}");
        }

        return this;
    }
}
