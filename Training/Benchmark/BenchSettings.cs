using System.Globalization;
using GridTime.Agents;

namespace GridTime.Training.Benchmark;

/// <summary>
/// What <c>bench</c> measures: the agents, short or full measurements, the output form, or instead of speed a soak of
/// libtorch's path. Each property's doc comment is its <c>--help</c> text and its default the command line's.
/// </summary>
public sealed record BenchSettings
{
    /// <summary>Longest --soak, in minutes (a week).</summary>
    public const double MaximumSoakMinutes = 7 * 24 * 60;

    /// <summary>Print one JSON object instead of a table (a busy-machine warning goes to standard error).</summary>
    public bool Json { get; init; }

    /// <summary>A short version with short measurements.</summary>
    public bool Quick { get; init; }

    /// <summary>Agents whose training speed is measured, comma-separated (taking turns, so that all are measured in the same minutes).</summary>
    public IReadOnlyList<CoreKind> Agents { get; init; } = [CoreKind.Nac, CoreKind.Baseline, CoreKind.Counter, CoreKind.Nalu, CoreKind.Gru, CoreKind.Timer];

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
    /// Throws a <see cref="UsageException"/> naming the bad value: --soak and --soak-slice more than 0 and at most
    /// <see cref="MaximumSoakMinutes"/> minutes, --soak-workers 1..<see cref="Config.TrainConfig.MaximumWorkers"/>.
    /// </summary>
    public void Validate()
    {
        if (Soak is double minutes && !(minutes > 0 && minutes <= MaximumSoakMinutes))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--soak must be more than 0 and at most {MaximumSoakMinutes} minutes, got {minutes}"));
        }

        if (!(SoakSlice > 0 && SoakSlice <= MaximumSoakMinutes))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--soak-slice must be more than 0 and at most {MaximumSoakMinutes} minutes, got {SoakSlice}"));
        }

        if (SoakWorkers is < 1 or > Config.TrainConfig.MaximumWorkers)
        {
            throw new UsageException($"--soak-workers must be at least 1 and at most {Config.TrainConfig.MaximumWorkers}, got {SoakWorkers}");
        }
    }
}
