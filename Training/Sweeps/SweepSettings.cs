using GridTime.Agents;

namespace GridTime.Training.Sweeps;

/// <summary>
/// Which runs a sweep (and <c>reproduce</c>) trains: its agents and seeds. Each property's doc comment is its
/// <c>--help</c> text and its default the command line's; the training settings are <see cref="Config.TrainConfig"/>'s,
/// the evaluation's <see cref="Evaluation.EvalSettings"/>'.
/// </summary>
public sealed record SweepSettings
{
    /// <summary>Most seeds per agent a sweep plans (each is a training run of its own).</summary>
    public const int MaximumSeeds = 10_000;

    /// <summary>Agents to compare, comma-separated (names in any case; an agent named twice runs once, empty items are skipped).</summary>
    public IReadOnlyList<CoreKind> Agents { get; init; } = [CoreKind.Baseline, CoreKind.Nac];

    /// <summary>Training seeds per agent (first-seed, first-seed + 1, ...).</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>The first training seed.</summary>
    public ulong FirstSeed { get; init; } = 1;

    /// <summary>The training seeds: <see cref="FirstSeed"/> and the next <see cref="Seeds"/> − 1.</summary>
    public IReadOnlyList<ulong> SeedList => [.. Enumerable.Range(0, Seeds).Select(s => FirstSeed + (ulong)s)];

    /// <summary>Throws a <see cref="UsageException"/> naming the bad value: --seeds 1..<see cref="MaximumSeeds"/>, the last seed at most <see cref="ulong.MaxValue"/>.</summary>
    public void Validate()
    {
        if (Seeds is < 1 or > MaximumSeeds)
        {
            throw new UsageException($"--seeds must be 1..{MaximumSeeds}, got {Seeds}");
        }

        if (FirstSeed > ulong.MaxValue - (ulong)(Seeds - 1))
        {
            throw new UsageException($"--first-seed {FirstSeed} with --seeds {Seeds} runs past the largest seed, {ulong.MaxValue}");
        }
    }
}
