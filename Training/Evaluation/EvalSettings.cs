using System.Globalization;

namespace GridTime.Training.Evaluation;

/// <summary>What an evaluation plays. The defaults are the eval command's and the sweep's (their flags take them from here).</summary>
/// <param name="From">Smallest T of a range (with a <paramref name="List"/>: its smallest T).</param>
/// <param name="To">Largest T of a range (with a <paramref name="List"/>: its largest T).</param>
/// <param name="Episodes">Episodes per T.</param>
/// <param name="Seed">Seed of start positions and sampling.</param>
/// <param name="Greedy">Most probable action instead of sampling.</param>
/// <param name="SelectLast">Represent a run by the best of its last K checkpoints (1: the latest).</param>
/// <param name="List">
/// Chosen T values (<c>--t-list 200,500,1000</c>) instead of the range From..To, ascending and distinct; null for a
/// range. Horizons (H90, Hexact) are defined only for a range (every T from the training range's smallest on), so a
/// list gets per-T figures only.
/// </param>
public sealed record EvalSettings(int From = 1, int To = 60, int Episodes = 100, ulong Seed = 1, bool Greedy = false, int SelectLast = CheckpointSelection.DefaultCandidates, IReadOnlyList<int>? List = null)
{
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

    /// <summary>Longest --t-list.</summary>
    public const int MaximumListLength = 10_000;

    /// <summary>True for a contiguous range From..To (horizons are defined), false for a <see cref="List"/>.</summary>
    public bool IsRange => List is null;

    /// <summary>The T values evaluated, ascending.</summary>
    public IReadOnlyList<int> Instructions => List ?? [.. Enumerable.Range(From, To - From + 1)];

    /// <summary>The list as provenance spells it ("200;500;1000", semicolons so no CSV quoting is needed), or "" for a range.</summary>
    public string ListText => List is null ? "" : string.Join(';', List.Select(t => t.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Parses a --t-list: comma-separated integers, each 1..<see cref="GridTime.Environment.GridWorldOptions.MaximumInstruction"/>,
    /// no repeats, at most <see cref="MaximumListLength"/>; returns them ascending. A bad list is a <see cref="UsageException"/>.
    /// </summary>
    public static IReadOnlyList<int> ParseList(string text)
    {
        const int maxT = GridTime.Environment.GridWorldOptions.MaximumInstruction;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaximumListLength)
        {
            throw new UsageException($"--t-list holds {parts.Length} values, more than {MaximumListLength}");
        }

        var values = new List<int>();
        foreach (string part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int t) || t < 1 || t > maxT)
            {
                throw new UsageException($"--t-list must be comma-separated whole numbers 1..{maxT}, got '{part}' in '{text}'");
            }

            values.Add(t);
        }

        int? repeated = values.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1)?.Key;
        return repeated is int r ? throw new UsageException($"--t-list names T = {r} twice") : [.. values.Order()];
    }

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the bad value: T range within
    /// 1..<see cref="GridTime.Environment.GridWorldOptions.MaximumInstruction"/>, Episodes 1..<see cref="MaximumEpisodes"/>,
    /// at most <see cref="MaximumTotalEpisodes"/> episodes in all, SelectLast at least 1.
    /// </summary>
    public void Validate()
    {
        const int maxT = GridTime.Environment.GridWorldOptions.MaximumInstruction;
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
