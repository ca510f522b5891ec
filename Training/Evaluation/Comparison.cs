using System.Globalization;
using System.Text;
using GridTime.Agents;
using GridTime.Rendering.Plots;

namespace GridTime.Training.Evaluation;

/// <summary>One trained and evaluated (agent, seed) cell of a comparison.</summary>
/// <param name="Agent">Agent variant.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Frames">Frames it trained on.</param>
/// <param name="TrainingSeconds">Training time.</param>
/// <param name="Table">Its evaluation.</param>
/// <param name="Provenance">What was evaluated (run, checkpoint and its SHA-256, evaluation settings), or null.</param>
/// <param name="Settings">The cell's setting combination in a sweep ("learning-rate=0.0001 entropy-coef=0.01"), empty when nothing is swept.</param>
public sealed record ComparisonCell(CoreKind Agent, ulong Seed, long Frames, double TrainingSeconds, EvaluationTable Table, EvalProvenance? Provenance = null, string Settings = "");

/// <summary>
/// Compares agents over seeds: comparison.csv (every cell's per-T figures), comparison.png (mean fraction of
/// best achievable against T, band = range over seeds), comparison-reward.png (mean reward and the best
/// achievable, the paper's Figure 5 layout), comparison-outcomes.png (how episodes end against T, one panel per
/// agent) and summary.md (horizons and training-range figures per agent).
/// </summary>
public sealed class Comparison(IReadOnlyList<ComparisonCell> cells, int minT, int maxT)
{
    /// <summary>The agents, in the order first seen.</summary>
    public IReadOnlyList<CoreKind> Agents => [.. cells.Select(c => c.Agent).Distinct()];

    /// <summary>The setting combinations of a sweep, in the order first seen (one empty combination when nothing is swept).</summary>
    public IReadOnlyList<string> SettingCombinations => [.. cells.Select(c => c.Settings).Distinct()];

    private bool Swept => cells.Any(c => c.Settings.Length > 0);

    // The seeds of one (setting combination, agent), in the order of the combinations, then of the agents.
    private IEnumerable<(string Label, CoreKind Agent, List<ComparisonCell> Cells)> Groups =>
        SettingCombinations.SelectMany(settings => Agents
            .Select(agent => (Label: settings.Length > 0 ? $"{agent.Name()} {settings}" : agent.Name(), Agent: agent, Cells: cells.Where(c => c.Agent == agent && c.Settings == settings).ToList()))
            .Where(g => g.Cells.Count > 0));

    /// <summary>
    /// All per-T rows of all cells, long form: agent, seed, frames, <see cref="EvaluationTable.Columns"/>, then the
    /// cell's horizons h90 and hexact ("none" when not reached) and its <see cref="EvalProvenance.Columns"/>
    /// (empty when unknown), constant over the cell's rows; in a sweep with swept settings, last the cell's
    /// setting combination (settings).
    /// </summary>
    public string ToCsv()
    {
        var text = new StringBuilder("agent,seed,frames," + string.Join(',', EvaluationTable.Columns) + ",h90,hexact," + string.Join(',', EvalProvenance.Columns) + (Swept ? ",settings" : "") + "\n");
        foreach (ComparisonCell cell in cells)
        {
            string provenance = string.Join(',', cell.Provenance?.CsvValues ?? EvalProvenance.Columns.Select(_ => ""));
            foreach (string row in cell.Table.CsvRows())
            {
                text.Append(CultureInfo.InvariantCulture, $"{cell.Agent.Name()},{cell.Seed},{cell.Frames},{row},{cell.Table.ShowHorizon(exact: false, minT)},{cell.Table.ShowHorizon(exact: true, minT)},{provenance}{(Swept ? "," + EvalProvenance.Quote(cell.Settings) : "")}\n");
            }
        }

        return text.ToString();
    }

    /// <summary>The summary in Markdown.</summary>
    /// <param name="title">The heading.</param>
    /// <param name="commandLine">The command that wrote this summary (cells it found trained are not trained again).</param>
    /// <param name="settings">The training settings apart from the defaults, as "flag value" pairs (naming the agents of one only some cells have), or empty for none given.</param>
    public string ToMarkdown(string title, string commandLine, string settings = "")
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"# {title}");
        text.AppendLine();
        text.AppendLine(c, $"Command: `{commandLine}`");
        text.AppendLine();
        if (settings.Length > 0)
        {
            text.AppendLine(c, $"Training settings, where not GridTime's defaults: {settings} (each cell's whole config is in its config.json; a rerun with other settings is refused).");
            text.AppendLine();
        }

        string evalSeeds = string.Join(", ", cells.Select(x => x.Provenance?.Seed).OfType<ulong>().Distinct());
        text.AppendLine(c, $"Seeds: {string.Join("; ", Agents.Select(a => $"{a.Name()} {string.Join(", ", cells.Where(x => x.Agent == a).Select(x => x.Seed).Distinct())}"))}; "
            + $"evaluation seed {(evalSeeds.Length > 0 ? evalSeeds : "not recorded")}. 95% CI of a median over seeds: percentile bootstrap, {ConfidenceInterval.BootstrapResamples:N0} resamples "
            + $"seeded with {BootstrapSeed} (Efron and Tibshirani 1993); a share of one run's episodes has its Wilson interval in eval.csv and comparison.csv (exact_rate_low95, exact_rate_high95).");
        text.AppendLine();
        string notDefined = cells.All(x => x.Table.HorizonsDefined(minT))
            ? ""
            : $" {EvaluationTable.NotDefined}: the evaluated T are not one range that holds T = {minT}, from which the horizons count.";
        text.AppendLine(c, $"Trained on T ~ U{{{minT}..{maxT}}}; evaluated for T = {cells[0].Table.Rows[0].Instruction}..{cells[0].Table.Rows[^1].Instruction}, "
            + $"{cells[0].Table.Rows[0].Episodes} episodes per T. H90 = largest T with mean reward ≥ 0.9 of the best achievable for every T from {minT} up to it; "
            + $"Hexact = largest T with at least half the episodes arriving exactly at T for every T from {minT} up to it (none: T = {minT} already fails). "
            + $"Median (range) over seeds: none ranks below every T; the median is the middle value, or the mean of the two middle values, "
            + $"and is none when a middle value is none (at least half the seeds reach no horizon); the range runs from the lowest to the highest, e.g. none–16.{notDefined}");
        text.AppendLine();
        foreach (string combination in SettingCombinations)
        {
            if (combination.Length > 0)
            {
                text.AppendLine(c, $"### {combination}");
                text.AppendLine();
            }

            text.AppendLine("| agent | seeds | frames of the evaluated checkpoints (mean) | training range: fraction of best (mean ± sd) | exact arrivals in training range (mean ± sd) | H90 median (range) | Hexact median (range) | H90 per seed | Hexact per seed | exact arrivals in training range: median [95% CI] | H90 median: 95% CI | Hexact median: 95% CI |");
            text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach ((_, CoreKind agent, List<ComparisonCell> mine) in Groups.Where(g => g.Cells[0].Settings == combination))
            {
                double[] fractions = [.. mine.Select(x => x.Table.FractionOfBest(minT, maxT))];
                double[] exact = [.. mine.Select(x => x.Table.ExactRate(minT, maxT))];
                text.AppendLine(c, $"| {agent.Name()} | {string.Join(", ", mine.Select(x => x.Seed))} | {mine.Average(x => (double)x.Frames):N0} | "
                    + $"{MeanSd(fractions)} | {MeanSd(exact)} | "
                    + $"{GroupHorizon(mine, exact: false)} | {GroupHorizon(mine, exact: true)} | "
                    + $"{string.Join(", ", mine.Select(x => x.Table.ShowHorizon(exact: false, minT)))} | {string.Join(", ", mine.Select(x => x.Table.ShowHorizon(exact: true, minT)))} | "
                    + $"{MedianInterval(exact)} | {HorizonInterval(mine, exact: false)} | {HorizonInterval(mine, exact: true)} |");
            }

            if (combination.Length > 0)
            {
                text.AppendLine();
            }
        }

        if (cells.All(x => x.Provenance is not null))
        {
            text.AppendLine();
            text.AppendLine("Evaluated checkpoints:");
            text.AppendLine();
            text.AppendLine("| agent | seed | run id | checkpoint | sha256 | frames | GridTime |");
            text.AppendLine("|---|---|---|---|---|---|---|");
            foreach (ComparisonCell cell in cells)
            {
                EvalProvenance p = cell.Provenance!;
                text.AppendLine(c, $"| {cell.Agent.Name()} | {cell.Seed} | {p.RunId} | {p.Run}/{p.Checkpoint} | {p.Sha256} | {p.Frames:N0} | {p.Version} |");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The PNGs of comparison.png (fraction of best with spread), comparison-reward.png (mean reward, Figure 5
    /// layout) and comparison-outcomes.png (<see cref="OutcomePanels"/>: how episodes end, one panel per agent).
    /// </summary>
    public (byte[] Fraction, byte[] Reward, byte[] Outcomes) EncodePlots()
    {
        var fractionCurves = new List<Curve>();
        var rewardCurves = new List<Curve>();
        EvaluationTable first = cells[0].Table;
        double[] ts = [.. first.Rows.Select(r => (double)r.Instruction)];
        rewardCurves.Add(new Curve("best achievable", ts, [.. first.Rows.Select(r => r.MeanBest)], Dashed: true));
        fractionCurves.Add(new Curve("0.9 of best (H90 threshold)", ts, [.. ts.Select(_ => EvaluationTable.RewardThreshold)], Dashed: true));
        foreach ((string name, _, List<ComparisonCell> group) in Groups)
        {
            var mine = group.Select(x => x.Table).ToList();
            double[] Across(Func<EvaluationRow, double> value, Func<IEnumerable<double>, double> combine) => EvaluationTable.Across(mine, value, combine);
            string label = $"{name} ({Seeds(mine.Count)}; H90 {GroupHorizon(group, exact: false)})";
            fractionCurves.Add(new Curve(label, ts, Across(r => r.FractionOfBest, v => v.Average()), Across(r => r.FractionOfBest, v => v.Min()), Across(r => r.FractionOfBest, v => v.Max())));
            rewardCurves.Add(new Curve(label, ts, Across(r => r.MeanReward, v => v.Average()), Across(r => r.MeanReward, v => v.Min()), Across(r => r.MeanReward, v => v.Max())));
        }

        string subtitle = Subtitle();
        byte[] outcomes = OutcomePlot.EncodePanels("How episodes end against T (share of episodes, mean over seeds)", subtitle, OutcomePanels());
        return (CurvePlot.EncodePng(new PlotLayout("Fraction of best achievable reward against T (band: range over seeds)", "instruction T (steps)", "mean reward / best achievable", minT, maxT, $"training range T {minT}..{maxT}", Subtitle: subtitle, IntegerX: true, YFromZero: true), fractionCurves),
            CurvePlot.EncodePng(new PlotLayout("Mean reward against T (the paper's Figure 5 layout)", "instruction T (steps)", "mean reward per episode", minT, maxT, $"training range T {minT}..{maxT}", Subtitle: subtitle, IntegerX: true, YFromZero: true), rewardCurves), outcomes);
    }

    /// <summary>
    /// The panels of comparison-outcomes.png, one per agent (per setting combination and agent in a sweep), in the
    /// order of the other plots' curves: per T the shares of episodes arriving exactly at T, early, late or timing
    /// out, each the mean over the agent's seeds (<see cref="OutcomePlot.Stack"/>). Each panel's title names the
    /// agent, its seeds and its Hexact.
    /// </summary>
    public IReadOnlyList<Panel> OutcomePanels() => OutcomePlot.Panels(
        [.. Groups.Select(g => ($"{g.Label} ({Seeds(g.Cells.Count)}; Hexact {GroupHorizon(g.Cells, exact: true)})", (IReadOnlyList<EvaluationTable>)[.. g.Cells.Select(c => c.Table)]))],
        minT,
        maxT);

    /// <summary>Seed of the bootstrap intervals in summary.md (fixed: the same comparison always gives the same intervals).</summary>
    public const ulong BootstrapSeed = 20181808;

    // "0.931 [0.920, 0.940]": the median over seeds with its bootstrap interval; "not evaluated" where a figure is NaN.
    private static string MedianInterval(double[] perSeed)
    {
        if (perSeed.Length == 0 || perSeed.Any(double.IsNaN))
        {
            return "not evaluated";
        }

        double[] sorted = [.. perSeed.Order()];
        ConfidenceInterval ci = ConfidenceInterval.BootstrapMedian(perSeed, BootstrapSeed);
        return string.Create(CultureInfo.InvariantCulture, $"{Statistics.Median(sorted):F3} [{ci.Low:F3}, {ci.High:F3}]");
    }

    // "[14, 16]": the bootstrap interval of a horizon's median over a group's seeds (a horizon not reached ranks below every
    // T, and a bound there reads none); "not defined" as for the median itself.
    private string HorizonInterval(IReadOnlyList<ComparisonCell> group, bool exact)
    {
        if (!group.All(x => x.Table.HorizonsDefined(minT)))
        {
            return EvaluationTable.NotDefined;
        }

        double[] values = [.. group.Select(x => (exact ? x.Table.HExact(minT) : x.Table.H90(minT)) is int h ? h : double.NegativeInfinity)];
        ConfidenceInterval ci = ConfidenceInterval.BootstrapMedian(values, BootstrapSeed);
        static string Bound(double v) => double.IsNegativeInfinity(v) ? "none" : v.ToString("0.#", CultureInfo.InvariantCulture);
        return $"[{Bound(ci.Low)}, {Bound(ci.High)}]";
    }

    private static string Seeds(int count) => count == 1 ? "1 seed" : $"{count} seeds";

    // A horizon's median (range) over a group's seeds (MedianRange), or "not defined" when a seed's evaluation does not define it.
    private string GroupHorizon(IReadOnlyList<ComparisonCell> group, bool exact) =>
        group.All(x => x.Table.HorizonsDefined(minT))
            ? MedianRange([.. group.Select(x => exact ? x.Table.HExact(minT) : x.Table.H90(minT))])
            : EvaluationTable.NotDefined;

    // The plots' subtitle: seeds per agent, checkpoint frames, episodes per T and how actions were chosen.
    private string Subtitle()
    {
        var c = CultureInfo.InvariantCulture;
        string seeds = string.Join(", ", Agents.Select(a => string.Create(c, $"{a.Name()} {cells.Where(x => x.Agent == a).Select(x => x.Seed).Distinct().Count()}"))); // seeds, not cells: a swept setting adds cells of the same seeds
        long[] frames = [.. cells.Select(x => x.Provenance?.Frames ?? x.Frames)];
        string span = frames.Min() == frames.Max() ? string.Create(c, $"{frames[0]:N0}") : string.Create(c, $"{frames.Min():N0}..{frames.Max():N0}");
        string text = string.Create(c, $"seeds per agent: {seeds}; evaluated checkpoints of {span} frames; {cells[0].Table.Rows[0].Episodes} episodes per T");
        return cells[0].Provenance is EvalProvenance p ? $"{text}; {p.Actions} actions" : text;
    }

    /// <summary>
    /// "15 (14–16)": the median and range over seeds of a horizon, where a horizon not reached (null) is "none"
    /// and ranks below every T. The median is the middle value (odd count) or the mean of the two middle values
    /// (even count); it is "none" when a middle value is none, i.e. when at least half the seeds (more than half
    /// for an odd count) reach no horizon. The range is lowest–highest: "none–16" when some seeds reach none.
    /// When no seed reaches a horizon the whole is just "none"; with no seeds, "-".
    /// </summary>
    public static string MedianRange(int?[] horizons)
    {
        int?[] values = [.. horizons.OrderBy(h => h ?? int.MinValue)];
        if (values.Length == 0)
        {
            return "-";
        }

        if (values[^1] is null)
        {
            return "none";
        }

        int? low = values[(values.Length - 1) / 2], high = values[values.Length / 2];
        string median = low is int a && high is int b ? ((a + b) / 2.0).ToString("0.#", CultureInfo.InvariantCulture) : "none";
        return $"{median} ({Show(values[0])}–{Show(values[^1])})";
    }

    // "0.950 ± 0.010", or "not evaluated" where an evaluation played no T of the training range (its figure is NaN).
    private static string MeanSd(double[] values) => values.Any(double.IsNaN)
        ? "not evaluated (no T of the training range)"
        : string.Create(CultureInfo.InvariantCulture, $"{values.Average():F3} ± {StandardDeviation(values):F3}");

    private static double StandardDeviation(double[] values)
    {
        if (values.Length < 2)
        {
            return 0;
        }

        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static string Show(int? horizon) => horizon?.ToString(CultureInfo.InvariantCulture) ?? "none";
}
