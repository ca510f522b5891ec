using System.Globalization;
using GridTime.Training.Config;

namespace GridTime.Training.Evaluation;

/// <summary>
/// What an evaluation plays: the settings of <c>eval</c>, and of the evaluation in <c>sweep</c> and <c>reproduce</c>.
/// Each property's doc comment is its <c>--help</c> text and its default the command line's (the program binds the
/// flags from this record as train's from <see cref="Config.TrainConfig"/>); <see cref="Config.FlagAttribute"/> names
/// the flags that are not the property name in kebab-case.
/// </summary>
public sealed record EvalSettings
{
    /// <summary>Smallest T evaluated.</summary>
    [Flag("t-from")]
    public int From { get; init; } = 1;

    /// <summary>Largest T evaluated.</summary>
    [Flag("t-to")]
    public int To { get; init; } = 60;

    /// <summary>
    /// Evaluate only these T (comma-separated, e.g. 200,500,1000) instead of --t-from..--t-to. Per-T figures only: the
    /// horizons H90 and Hexact need every T from the training range on, so they are given for a range only.
    /// </summary>
    [Flag("t-list", HelpName = "T,T,...")]
    public IReadOnlyList<int>? List { get; init; }

    /// <summary>Evaluation episodes per T.</summary>
    public int Episodes { get; init; } = 100;

    /// <summary>Seed of the evaluation's start positions (the same for every T) and of its action sampling.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Take the most probable action instead of sampling from the policy.</summary>
    public bool Greedy { get; init; }

    /// <summary>
    /// Represent each run by the best of its last K checkpoints, chosen on validation episodes from the training range
    /// of T only (1 = the latest checkpoint).
    /// </summary>
    [Flag(HelpName = "K")]
    public int SelectLast { get; init; } = CheckpointSelection.DefaultCandidates;

    /// <summary>Equal settings: every field, the <see cref="List"/> by its values.</summary>
    public bool Equals(EvalSettings? other) =>
        other is not null && (From, To, Episodes, Seed, Greedy, SelectLast) == (other.From, other.To, other.Episodes, other.Seed, other.Greedy, other.SelectLast)
        && (List ?? []).SequenceEqual(other.List ?? []) && (List is null) == (other.List is null);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(From, To, Episodes, Seed, Greedy, SelectLast, List?.Count);

    /// <summary>
    /// These settings with a <see cref="List"/> put in order and <see cref="From"/> and <see cref="To"/> set to its
    /// ends (what every evaluation of a list reports as its range); a range (or an empty list, which Validate refuses) unchanged.
    /// </summary>
    public EvalSettings Normalized() => List is null or [] ? this : this with { List = [.. List.Order()], From = List.Min(), To = List.Max() };

    /// <summary>Largest --episodes (per T).</summary>
    public const int MaximumEpisodes = 1_000_000;

    /// <summary>Largest number of episodes of one evaluation, (To − From + 1) · Episodes or the list's length · Episodes.</summary>
    public const long MaximumTotalEpisodes = 10_000_000;

    /// <summary>
    /// Largest number of episode steps one evaluation may play, Σ over its T of Episodes · L(T) with L the rules'
    /// timeout (T + m for the paper's rule): bounds its time and the memory of the episodes it keeps for
    /// eval-episodes.msgpack (every step of every episode is held until the outputs are written).
    /// </summary>
    public const long MaximumTotalSteps = 20_000_000;

    /// <summary>True for a contiguous range From..To (horizons are defined), false for a <see cref="List"/>.</summary>
    public bool IsRange => List is null;

    /// <summary>The T values evaluated, ascending.</summary>
    public IReadOnlyList<int> Instructions => List ?? [.. Enumerable.Range(From, To - From + 1)];

    /// <summary>The list as provenance spells it ("200;500;1000", semicolons so no CSV quoting is needed), or "" for a range.</summary>
    public string ListText => List is null ? "" : string.Join(';', List.Select(t => t.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the bad value: T range (or every T of the list, no T twice) within
    /// 1..<see cref="GridTime.Environment.GridWorldOptions.MaximumInstruction"/>, Episodes 1..<see cref="MaximumEpisodes"/>,
    /// at most <see cref="MaximumTotalEpisodes"/> episodes in all, SelectLast at least 1.
    /// </summary>
    public void Validate()
    {
        const int maxT = GridTime.Environment.GridWorldOptions.MaximumInstruction;
        if (List is not null)
        {
            if (List.Count == 0)
            {
                throw new UsageException("--t-list names no T");
            }

            if (List.Where(t => t < 1 || t > maxT).Take(1).ToArray() is [int outside])
            {
                throw new UsageException($"--t-list must be comma-separated whole numbers 1..{maxT}, got '{outside}' in '{string.Join(',', List)}'");
            }

            int? repeated = List.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1)?.Key;
            if (repeated is int r)
            {
                throw new UsageException($"--t-list names T = {r} twice");
            }
        }

        if (List is null && (From < 1 || To < From || To > maxT))
        {
            throw new UsageException($"--t-from must be at least 1, --t-to at least --t-from and at most {maxT}, got {From}..{To}");
        }

        if (Episodes is < 1 or > MaximumEpisodes)
        {
            throw new UsageException($"--episodes must be at least 1 and at most {MaximumEpisodes}, got {Episodes}");
        }

        long count = List?.Count ?? (long)To - From + 1;
        if (count * Episodes > MaximumTotalEpisodes)
        {
            string what = List is null ? $"--t-from {From} to --t-to {To}" : $"--t-list of {count} values";
            throw new UsageException($"{what} with --episodes {Episodes} is {count * Episodes} episodes, more than the {MaximumTotalEpisodes} an evaluation plays");
        }

        if (SelectLast < 1)
        {
            throw new UsageException($"--select-last must be at least 1, got {SelectLast}");
        }
    }

    /// <summary>
    /// Throws a <see cref="UsageException"/> when the episodes would take more than <see cref="MaximumTotalSteps"/>
    /// steps at most under <paramref name="rules"/> (each episode counted at its timeout L(T)).
    /// </summary>
    public void CheckSteps(GridTime.Environment.GridWorldOptions rules)
    {
        long steps = Instructions.Sum(t => (long)Episodes * rules.TimeoutFor(t));
        if (steps > MaximumTotalSteps)
        {
            throw new UsageException($"T {(List is null ? $"{From}..{To}" : ListText.Replace(';', ','))} with --episodes {Episodes} may play {steps} steps (episodes end at L = T + m at the latest), "
                + $"more than the {MaximumTotalSteps} an evaluation plays: use fewer --episodes or {(List is null ? "a --t-list" : "fewer or smaller T")}");
        }
    }
}
