using System.Globalization;
using System.Text;

namespace GridTime.Training.Evaluation;

/// <summary>How an agent did for one instruction T.</summary>
/// <param name="Instruction">T.</param>
/// <param name="Episodes">Episodes played.</param>
/// <param name="MeanReward">Mean reward.</param>
/// <param name="MeanBest">Mean best achievable reward of the same episodes.</param>
/// <param name="ExactRate">Share of episodes that arrived exactly at T.</param>
/// <param name="Early">Episodes that arrived before T.</param>
/// <param name="Late">Episodes that arrived after T.</param>
/// <param name="Timeouts">Episodes that never arrived.</param>
/// <param name="MeanArrivalError">Mean |arrival time − T| over the episodes that arrived (NaN if none).</param>
public sealed record EvaluationRow(int Instruction, int Episodes, double MeanReward, double MeanBest, double ExactRate, int Early, int Late, int Timeouts, double MeanArrivalError)
{
    /// <summary>Mean reward as a fraction of the mean best achievable reward.</summary>
    public double FractionOfBest => MeanBest > 0 ? MeanReward / MeanBest : double.NaN;

    /// <summary>
    /// Episodes that arrived exactly at T: every episode arrives at T, before it, after it, or times out, so this is
    /// the count <see cref="ExactRate"/> was taken from (exact, where eval.csv rounds the rate to 4 decimals).
    /// </summary>
    public int ExactArrivals => Episodes - Early - Late - Timeouts;

    /// <summary>Summarises the episodes of one T.</summary>
    public static EvaluationRow From(int instruction, IReadOnlyList<EvaluationEpisode> episodes)
    {
        int count = episodes.Count;
        var arrived = episodes.Where(e => e.ArrivalTime is not null).ToList();
        return new EvaluationRow(
            instruction,
            count,
            episodes.Average(e => (double)e.Reward),
            episodes.Average(e => (double)e.BestAchievableReward),
            episodes.Count(e => e.Exact) / (double)count,
            arrived.Count(e => e.ArrivalTime < instruction),
            arrived.Count(e => e.ArrivalTime > instruction),
            count - arrived.Count,
            arrived.Count > 0 ? arrived.Average(e => Math.Abs(e.ArrivalTime!.Value - instruction)) : double.NaN);
    }
}

/// <summary>The per-T results of one agent and the horizons read from them.</summary>
public sealed record EvaluationTable(IReadOnlyList<EvaluationRow> Rows)
{
    /// <summary>Threshold of <see cref="H90"/>: mean reward at least this fraction of the best achievable.</summary>
    public const double RewardThreshold = 0.9;

    /// <summary>Threshold of <see cref="HExact"/>: at least this share of episodes arrive exactly at T.</summary>
    public const double ExactThreshold = 0.5;

    /// <summary>
    /// The CSV columns, in order: <see cref="ReadColumns"/>, then the 95% Wilson interval of the exact-arrival rate
    /// (<see cref="ConfidenceInterval.Wilson"/> of <see cref="EvaluationRow.ExactArrivals"/> of the T's episodes).
    /// </summary>
    public static readonly string[] Columns =
        ["T", "episodes", "mean_reward", "mean_best_reward", "fraction_of_best", "exact_rate", "early", "late", "timeout", "mean_abs_arrival_error", "exact_rate_low95", "exact_rate_high95"];

    /// <summary>The columns <see cref="FromCsv"/> reads (the rest are computed from them); an eval.csv written before the interval columns existed has only these.</summary>
    public static readonly string[] ReadColumns = Columns[..10];

    /// <summary>
    /// Whether H90 and Hexact counted from <paramref name="from"/> are defined for this table: its T values are one
    /// unbroken range that holds <paramref name="from"/>. Otherwise (a range that starts above it or ends below it,
    /// chosen T with gaps) a horizon would be "none" for want of T that were never played, not because T =
    /// <paramref name="from"/> fails, and every output says "not defined" instead (<see cref="NotDefined"/>).
    /// </summary>
    public bool HorizonsDefined(int from)
    {
        int[] ts = [.. Rows.Select(r => r.Instruction).Distinct().Order()];
        return ts.Length > 0 && ts[0] <= from && from <= ts[^1] && ts[^1] - ts[0] == ts.Length - 1;
    }

    /// <summary>What every output writes for a horizon that is not defined (<see cref="HorizonsDefined"/>).</summary>
    public const string NotDefined = "not defined";

    /// <summary>A horizon as outputs write it: its T, "none" when T = <paramref name="from"/> already fails, or "not defined".</summary>
    public string ShowHorizon(bool exact, int from) =>
        !HorizonsDefined(from) ? NotDefined : (exact ? HExact(from) : H90(from))?.ToString(CultureInfo.InvariantCulture) ?? "none";

    /// <summary>
    /// H90: the largest T such that, for every T from <paramref name="from"/> up to it, the mean reward is at least
    /// 0.9 of the best achievable. Null when T = <paramref name="from"/> itself fails or was not evaluated.
    /// </summary>
    public int? H90(int from = 5) => Horizon(from, r => r.FractionOfBest >= RewardThreshold);

    /// <summary>
    /// Hexact: the largest T such that, for every T from <paramref name="from"/> up to it, at least half the
    /// episodes arrive exactly at T. Stricter than H90, where arriving one step off still scores 0.9.
    /// </summary>
    public int? HExact(int from = 5) => Horizon(from, r => r.ExactRate >= ExactThreshold);

    /// <summary>
    /// Per T, <paramref name="combine"/> of <paramref name="value"/> over <paramref name="tables"/> (for example the
    /// mean over seeds): element i combines row i of every table, so the tables must hold the same T in the same order.
    /// </summary>
    public static double[] Across(IReadOnlyList<EvaluationTable> tables, Func<EvaluationRow, double> value, Func<IEnumerable<double>, double> combine) =>
        [.. Enumerable.Range(0, tables[0].Rows.Count).Select(i => combine(tables.Select(t => value(t.Rows[i]))))];

    /// <summary>Mean fraction of best achievable reward over the T in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public double FractionOfBest(int from, int to)
    {
        var rows = Rows.Where(r => r.Instruction >= from && r.Instruction <= to).ToList();
        return rows.Count > 0 ? rows.Sum(r => r.MeanReward) / rows.Sum(r => r.MeanBest) : double.NaN;
    }

    /// <summary>Mean exact-arrival rate over the T in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public double ExactRate(int from, int to)
    {
        var rows = Rows.Where(r => r.Instruction >= from && r.Instruction <= to).ToList();
        return rows.Count > 0 ? rows.Average(r => r.ExactRate) : double.NaN;
    }

    /// <summary>
    /// The 95% Wilson interval of the share of episodes that arrived exactly at T, pooled over the T in
    /// [<paramref name="from"/>, <paramref name="to"/>], with the episodes it rests on; null when none of them was played.
    /// </summary>
    public (ConfidenceInterval Interval, long Episodes)? ExactInterval(int from, int to)
    {
        var rows = Rows.Where(r => r.Instruction >= from && r.Instruction <= to && r.Episodes > 0).ToList();
        long episodes = rows.Sum(r => (long)r.Episodes);
        return episodes > 0 ? (ConfidenceInterval.Wilson(rows.Sum(r => (long)r.ExactArrivals), episodes), episodes) : null;
    }

    /// <summary>
    /// The table as CSV, one row per T: <see cref="Columns"/>, then, when <paramref name="provenance"/> is given,
    /// its <see cref="EvalProvenance.Columns"/> with the same values on every row (tidy: a row copied out of the
    /// file still says what it measured).
    /// </summary>
    public string ToCsv(EvalProvenance? provenance = null)
    {
        var text = new StringBuilder();
        text.Append(string.Join(',', Columns));
        text.Append(provenance is null ? "" : "," + string.Join(',', EvalProvenance.Columns));
        text.Append('\n');
        string constant = provenance is null ? "" : "," + string.Join(',', provenance.CsvValues);
        foreach (string row in CsvRows())
        {
            text.Append(row).Append(constant).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The rows of <see cref="Columns"/>, one per T, without a header or line ends.</summary>
    public IEnumerable<string> CsvRows() => Rows.Select(r =>
    {
        ConfidenceInterval exact = r.Episodes > 0 ? ConfidenceInterval.Wilson(r.ExactArrivals, r.Episodes) : new(double.NaN, double.NaN);
        return string.Join(',', new object[] { r.Instruction, r.Episodes, F(r.MeanReward), F(r.MeanBest), F(r.FractionOfBest), F(r.ExactRate), r.Early, r.Late, r.Timeouts, F(r.MeanArrivalError), F(exact.Low), F(exact.High) }
            .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));
    });

    /// <summary>The table for a terminal.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        int width = Math.Max(3, Rows.Count == 0 ? 0 : Rows.Max(r => r.Instruction).ToString(CultureInfo.InvariantCulture).Length); // T = 10,000 keeps its column
        text.AppendLine(CultureInfo.InvariantCulture, $"{"T".PadLeft(width)} {"reward",7} {"best",6} {"frac",6} {"exact",6} {"early",6} {"late",5} {"tmout",6} {"|t-T|",6}");
        foreach (EvaluationRow r in Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{r.Instruction.ToString(CultureInfo.InvariantCulture).PadLeft(width)} {r.MeanReward,7:F2} {r.MeanBest,6:F2} {Shown(r.FractionOfBest, "F3"),6} {r.ExactRate,6:F2} {r.Early,6} {r.Late,5} {r.Timeouts,6} {Shown(r.MeanArrivalError, "F2"),6}");
        }

        return text.ToString();
    }

    // A figure that is not defined (no episode arrived, or nothing could be earned) reads "none", never NaN.
    private static string Shown(double value, string format) => double.IsNaN(value) ? "none" : value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a table written by <see cref="ToCsv"/>: its <see cref="ReadColumns"/> (the interval and provenance columns
    /// that may follow are not read); throws <see cref="InvalidDataException"/> when it is not one.
    /// </summary>
    public static EvaluationTable FromCsv(string csv, string description)
    {
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string header = string.Join(',', ReadColumns);
        if (lines.Length == 0 || (lines[0] != header && !lines[0].StartsWith(header + ",", StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"{description} is not an evaluation table (expected the columns {string.Join(',', ReadColumns)})");
        }

        var rows = new List<EvaluationRow>();
        foreach (string line in lines.Skip(1))
        {
            string[] f = line.Split(',');
            try
            {
                double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
                int I(int i) => int.Parse(f[i], CultureInfo.InvariantCulture);
                rows.Add(new EvaluationRow(I(0), I(1), D(2), D(3), D(5), I(6), I(7), I(8), D(9)));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new InvalidDataException($"{description}: bad row '{line}'", e);
            }
        }

        return new EvaluationTable(rows);
    }

    private int? Horizon(int from, Func<EvaluationRow, bool> good)
    {
        int? horizon = null;
        foreach (EvaluationRow row in Rows.Where(r => r.Instruction >= from).OrderBy(r => r.Instruction))
        {
            if (row.Instruction != (horizon ?? from - 1) + 1 || !good(row))
            {
                break;
            }

            horizon = row.Instruction;
        }

        return horizon;
    }

    private static string F(double value) => double.IsNaN(value) ? "NaN" : value.ToString("0.####", CultureInfo.InvariantCulture);
}
