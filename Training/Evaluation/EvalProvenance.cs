using System.Globalization;
using GridTime.Training.Runs;

namespace GridTime.Training.Evaluation;

/// <summary>
/// What an evaluation evaluated and how: the checkpoint's provenance (<see cref="CheckpointProvenance"/>, the
/// first five and the last field) and the evaluation's settings; written as constant columns of every row of eval.csv
/// (and comparison.csv), as the caption of eval.png, into every record of eval-episodes.msgpack, and printed.
/// </summary>
/// <param name="Run">The run folder's name.</param>
/// <param name="RunId">The run's identity from the checkpoint header, or "unknown" (checkpoints from before run ids).</param>
/// <param name="Checkpoint">The checkpoint file evaluated, relative to the run folder (e.g. checkpoints/latest.ckpt).</param>
/// <param name="Sha256">SHA-256 of the checkpoint file as read (lowercase hex, what sha256sum prints).</param>
/// <param name="Frames">Frames the checkpoint had trained on.</param>
/// <param name="Seed">The evaluation seed.</param>
/// <param name="Greedy">Most probable actions (greedy) or sampled from the policy.</param>
/// <param name="From">Smallest T evaluated.</param>
/// <param name="To">Largest T evaluated.</param>
/// <param name="Episodes">Episodes per T.</param>
/// <param name="Version">GridTime's version (as in config.json's versions block).</param>
public sealed record EvalProvenance(string Run, string RunId, string Checkpoint, string Sha256, long Frames, ulong Seed, bool Greedy, int From, int To, int Episodes, string Version)
{
    /// <summary>The provenance of <paramref name="source"/> evaluated with <paramref name="settings"/>.</summary>
    public static EvalProvenance Of(CheckpointProvenance source, EvalSettings settings) =>
        new(source.Run, source.RunId, source.Checkpoint, source.Sha256, source.Frames, settings.Seed, settings.Greedy, settings.From, settings.To, settings.Episodes, source.Version)
        {
            List = settings.ListText,
        };

    /// <summary>The columns appended to eval.csv after <see cref="EvaluationTable.Columns"/>, in order.</summary>
    public static readonly string[] Columns =
        ["run", "run_id", "checkpoint", "checkpoint_sha256", "checkpoint_frames", "eval_seed", "actions", "t_from", "t_to", "t_list", "episodes_per_t", "gridtime_version"];

    /// <summary>The chosen T values of a --t-list evaluation, separated by semicolons ("200;500;1000"), or "" for a range (From..To).</summary>
    public string List { get; init; } = "";

    /// <summary>"greedy" or "sampled".</summary>
    public string Actions => Greedy ? "greedy" : "sampled";

    /// <summary>The values of <see cref="Columns"/>, CSV-quoted where needed.</summary>
    public IReadOnlyList<string> CsvValues =>
        [.. new object[] { Run, RunId, Checkpoint, Sha256, Frames, Seed, Actions, From, To, List, Episodes, Version }
            .Select(v => Quote(Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""))];

    /// <summary>The T values this evaluation claims to have played, in order: the list, or From..To.</summary>
    public IReadOnlyList<int> Instructions => List.Length > 0
        ? [.. List.Split(';').Select(t => int.Parse(t, CultureInfo.InvariantCulture))]
        : [.. Enumerable.Range(From, Math.Max(0, To - From + 1))];

    /// <summary>
    /// Null when <paramref name="table"/> holds exactly the rows this provenance claims (one per T of
    /// <see cref="Instructions"/>, in order, each of <see cref="Episodes"/> episodes), else what differs, in words
    /// ("it ends at T = 7, not 15"): a table cut short, or edited, is not the evaluation it names.
    /// </summary>
    public string? Mismatch(EvaluationTable table)
    {
        IReadOnlyList<int> claimed = Instructions;
        int[] held = [.. table.Rows.Select(r => r.Instruction)];
        if (held.Length < claimed.Count && held.SequenceEqual(claimed.Take(held.Length)))
        {
            return held.Length == 0
                ? string.Create(CultureInfo.InvariantCulture, $"it holds no row, not the {claimed.Count} its provenance claims")
                : string.Create(CultureInfo.InvariantCulture, $"it ends at T = {held[^1]}, not {claimed[^1]} as its provenance claims ({held.Length} of {claimed.Count} rows)");
        }

        if (!held.SequenceEqual(claimed))
        {
            return string.Create(CultureInfo.InvariantCulture, $"its rows are T = {Describe(held)}, not the {Describe(claimed)} its provenance claims");
        }

        return table.Rows.FirstOrDefault(r => r.Episodes != Episodes) is { } row
            ? string.Create(CultureInfo.InvariantCulture, $"T = {row.Instruction} has {row.Episodes} episodes, not the {Episodes} per T its provenance claims")
            : null;
    }

    private static string Describe(IReadOnlyList<int> values) => values.Count switch
    {
        0 => "none",
        <= 6 => string.Join(", ", values),
        _ => string.Create(CultureInfo.InvariantCulture, $"{values[0]}, {values[1]}, ..., {values[^1]} ({values.Count} values)"),
    };

    /// <summary>One line for the terminal, with the whole SHA-256.</summary>
    public override string ToString() => Describe(Sha256);

    /// <summary>
    /// The key facts for a plot's subtitle: the checkpoint and its frames, the episodes per T and how actions were
    /// chosen, e.g. "checkpoint checkpoints/latest.ckpt (60,000 frames); 100 episodes per T; sampled actions".
    /// </summary>
    public string Subtitle => string.Create(CultureInfo.InvariantCulture, $"checkpoint {Checkpoint} ({Frames:N0} frames); {Episodes} episodes per T; {Actions} actions");

    /// <summary>The same line with the SHA-256 cut to 12 digits, short enough for a plot caption.</summary>
    public string Caption => Describe(Sha256[..Math.Min(12, Sha256.Length)]);

    /// <summary>How the evaluation was played, e.g. "greedy actions, eval seed 1, T 1..60, 100 episodes per T".</summary>
    public string HowPlayed => string.Create(CultureInfo.InvariantCulture,
        $"{Actions} actions, eval seed {Seed}, T {(List.Length > 0 ? List.Replace(';', ',') : $"{From}..{To}")}, {Episodes} episodes per T");

    private string Describe(string hash) => string.Create(CultureInfo.InvariantCulture,
        $"run {Run} (id {RunId}), {Checkpoint} sha256 {hash}, {Frames} frames; {HowPlayed}; GridTime {Version}");

    /// <summary>A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.</summary>
    public static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
