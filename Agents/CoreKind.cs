namespace GridTime.Agents;

/// <summary>Which recurrent core an agent uses: how the instruction T reaches the LSTM.</summary>
public enum CoreKind
{
    /// <summary>The paper's plain A3C agent: LSTM input = [encoder features, T].</summary>
    Baseline,

    /// <summary>The paper's NAC agent: LSTM input = [features, T, NAC([T, h(t−1)])].</summary>
    Nac,

    /// <summary>As <see cref="Nac"/> with a NALU in place of the NAC.</summary>
    Nalu,

    /// <summary>An exact step counter a(t) = a(t−1) + NAC([1]) and a readout NAC([T, a]) of the time left, fed to the LSTM and the heads instead of T (see Cores/CounterCore.cs).</summary>
    Counter,

    /// <summary>Ablation of <see cref="Counter"/>: the time left goes into the LSTM only, not to the heads.</summary>
    CounterLstmOnly,

    /// <summary>Ablation of <see cref="Counter"/>: the time left goes to the heads only; the LSTM sees no time at all.</summary>
    CounterHeadsOnly,

    /// <summary>Ablation of <see cref="Counter"/>: the raw T also goes into the LSTM, beside the time left.</summary>
    CounterWithT,

    /// <summary>The baseline with a GRU cell in the LSTM's place: input [features, T] (see Cores/GruCore.cs).</summary>
    Gru,

    /// <summary>NAU step count and time-left readout cut at the training range, and a feed-forward policy (see Cores/TimerCore.cs).</summary>
    Timer,
}

/// <summary>Names of the cores as the command line and the files spell them.</summary>
public static class CoreKinds
{
    /// <summary>Every core, in the order listed in help texts.</summary>
    public static IReadOnlyList<CoreKind> All { get; } = Enum.GetValues<CoreKind>();

    /// <summary>The kebab-case name of a core (baseline, nac, nalu, counter, counter-lstm-only, ...), as in config files.</summary>
    public static string Name(this CoreKind kind) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());

    /// <summary>The core called <paramref name="name"/>; throws <see cref="ArgumentException"/> listing the valid names.</summary>
    public static CoreKind Parse(string name)
    {
        string wanted = name.Trim().ToLowerInvariant();
        foreach (CoreKind kind in All)
        {
            if (kind.Name() == wanted)
            {
                return kind;
            }
        }

        throw new ArgumentException($"unknown agent '{name}' (expected one of: {string.Join(", ", All.Select(Name))})");
    }
}
