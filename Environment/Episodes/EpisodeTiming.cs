namespace GridTime.Environment.Episodes;

/// <summary>How an episode ended relative to its instruction T.</summary>
public enum EpisodeTiming
{
    /// <summary>First stood on the target exactly at t = T (the full reward m): "exact", the word eval, its CSV and the plots use.</summary>
    Exact,

    /// <summary>Arrived before T.</summary>
    Early,

    /// <summary>Arrived after T.</summary>
    Late,

    /// <summary>Never arrived before the timeout L.</summary>
    Timeout,
}

/// <summary>Names and classification of <see cref="EpisodeTiming"/>.</summary>
public static class EpisodeTimings
{
    /// <summary>Every timing, in declaration order.</summary>
    public static IReadOnlyList<EpisodeTiming> All { get; } = Enum.GetValues<EpisodeTiming>();

    /// <summary>The timing of an episode with instruction <paramref name="instruction"/> that arrived at <paramref name="arrivalTime"/> (null: never).</summary>
    public static EpisodeTiming Of(int instruction, int? arrivalTime) => arrivalTime switch
    {
        null => EpisodeTiming.Timeout,
        int t when t == instruction => EpisodeTiming.Exact,
        int t when t < instruction => EpisodeTiming.Early,
        _ => EpisodeTiming.Late,
    };

    /// <summary>The name on the command line and in output: exact, early, late, timeout.</summary>
    public static string Name(this EpisodeTiming timing) => timing switch
    {
        EpisodeTiming.Exact => "exact",
        EpisodeTiming.Early => "early",
        EpisodeTiming.Late => "late",
        _ => "timeout",
    };
}
