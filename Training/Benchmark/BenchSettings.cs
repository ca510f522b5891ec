using System.Globalization;
using GridTime.Agents;

namespace GridTime.Training.Benchmark;

/// <summary>
/// What <c>bench</c> measures: the agents, short or full measurements, the output form, or instead of speed a soak of
/// libtorch's path. Each property's doc comment is its <c>--help</c> text and its default the command line's.
/// </summary>
public sealed record BenchSettings
{
    /// <summary>Most --rounds (a bench's training measurements take about N / 3 times as long as with the default 3 rounds).</summary>
    public const int MaximumRounds = 25;

    /// <summary>Longest --soak and --soak-slice, in minutes (a week).</summary>
    public const double MaximumSoakMinutes = 7 * 24 * 60;

    /// <summary>Shortest --soak and --soak-slice, in minutes (6 s: a soak shorter than an agent's first updates checks nothing).</summary>
    public const double MinimumSoakMinutes = 0.1;

    /// <summary>Print one JSON object instead of a table (a busy-machine warning goes to standard error).</summary>
    public bool Json { get; init; }

    /// <summary>A short version with short measurements.</summary>
    public bool Quick { get; init; }

    /// <summary>
    /// Agents whose training speed is measured, comma-separated (taking turns, so that all are measured in the same
    /// minutes; names in any case; an agent named twice is measured once, empty items are skipped).
    /// </summary>
    public IReadOnlyList<CoreKind> Agents { get; init; } = [CoreKind.Nac, CoreKind.Baseline, CoreKind.Counter, CoreKind.Nalu, CoreKind.Gru, CoreKind.Timer];

    /// <summary>
    /// Train with the whole network's work on every frame, as a trainer without GridTime's two savings does: every frame
    /// through the encoder, even one the rollout showed before, and the first convolution over every input, 0 or not
    /// (the same results but for the order of sums). The GFLOP/s and shares of the ceiling then measure the kernels
    /// alone, on the work the PyTorch trainer does; frames/s fall to what the kernels give without the savings.
    /// </summary>
    public bool FullWork { get; init; }

    /// <summary>
    /// How many times each agent is measured with each worker count, the measurements taking turns (1 worker, 2, ...,
    /// then again); the table gives the median and, for the scaling from 1 worker to all, the lowest and highest ratio of
    /// one round's runs. More rounds steady the figures on a shared machine, whose minutes differ by 10-20%. Default 3, 1
    /// with --quick; at most 25.
    /// </summary>
    public int? Rounds { get; init; }

    /// <summary>
    /// Instead of measuring speed, train every agent of --agents on libtorch's path for this many minutes in all (taking
    /// turns), with --soak-workers workers and a thread forcing garbage collections: a check that no native object is
    /// freed while libtorch uses it. Prints frames and libtorch errors per agent; exit code 1 if there was any.
    /// </summary>
    public double? Soak { get; init; }

    /// <summary>Workers per agent in --soak.</summary>
    public int SoakWorkers { get; init; } = 2;

    /// <summary>Minutes of one agent's turn in --soak (each turn starts a fresh network).</summary>
    public double SoakSlice { get; init; } = 1;

    /// <summary>In --soak, do not force garbage collections (the comparison: how rare the error is without them).</summary>
    public bool SoakNoCollections { get; init; }

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the bad value: --soak and --soak-slice
    /// <see cref="MinimumSoakMinutes"/>..<see cref="MaximumSoakMinutes"/> minutes, --soak-workers
    /// 1..<see cref="Config.TrainConfig.MaximumWorkers"/>, --rounds 1..<see cref="MaximumRounds"/>; a soak setting without
    /// --soak, and --json or --quick with it (a soak prints lines and has no short form), --full-work with it (a soak trains
    /// on libtorch's path) and --rounds with it (a soak measures no speed).
    /// </summary>
    public void Validate()
    {
        var defaults = new BenchSettings();
        if (Soak is null && (SoakWorkers != defaults.SoakWorkers || SoakSlice != defaults.SoakSlice || SoakNoCollections))
        {
            throw new UsageException("--soak-workers, --soak-slice and --soak-no-collections go with --soak MINUTES");
        }

        if (Soak is not null && (Json || Quick))
        {
            throw new UsageException("--soak prints its findings as lines and has no short form: leave out --json and --quick");
        }

        if (Rounds is < 1 or > MaximumRounds)
        {
            throw new UsageException($"--rounds must be at least 1 and at most {MaximumRounds}, got {Rounds}");
        }

        if (Soak is not null && Rounds is not null)
        {
            throw new UsageException("--rounds counts speed measurements; --soak measures no speed: leave one out");
        }

        if (Soak is not null && FullWork)
        {
            throw new UsageException("--full-work measures the fast pass's kernels; --soak trains on libtorch's path: leave one out");
        }

        foreach ((string flag, double? minutes) in new[] { ("--soak", Soak), ("--soak-slice", (double?)SoakSlice) })
        {
            if (minutes is double m && !(m >= MinimumSoakMinutes && m <= MaximumSoakMinutes))
            {
                throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"{flag} must be {MinimumSoakMinutes} to {MaximumSoakMinutes} minutes, got {m}"));
            }
        }

        if (SoakWorkers is < 1 or > Config.TrainConfig.MaximumWorkers)
        {
            throw new UsageException($"--soak-workers must be at least 1 and at most {Config.TrainConfig.MaximumWorkers}, got {SoakWorkers}");
        }
    }
}
