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
public sealed record ComparisonCell(CoreKind Agent, ulong Seed, long Frames, double TrainingSeconds, EvaluationTable Table);

/// <summary>
/// Compares agents over seeds: comparison.csv (every cell's per-T figures), comparison.png (mean fraction of
/// best achievable against T, band = range over seeds), comparison-reward.png (mean reward and the best
/// achievable, the paper's Figure 5 layout) and summary.md (horizons and training-range figures per agent).
/// </summary>
public sealed class Comparison(IReadOnlyList<ComparisonCell> cells, int minT, int maxT)
{
    /// <summary>The agents, in the order first seen.</summary>
    public IReadOnlyList<CoreKind> Agents => [.. cells.Select(c => c.Agent).Distinct()];

    /// <summary>All per-T rows of all cells, long form.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("agent,seed,frames," + string.Join(',', EvaluationTable.Columns) + "\n");
        foreach (ComparisonCell cell in cells)
        {
            foreach (string row in cell.Table.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
            {
                text.Append(CultureInfo.InvariantCulture, $"{cell.Agent.Name()},{cell.Seed},{cell.Frames},{row}\n");
            }
        }

        return text.ToString();
    }

    /// <summary>The summary in Markdown.</summary>
    public string ToMarkdown(string title, string commandLine)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"# {title}");
        text.AppendLine();
        text.AppendLine(c, $"Command: `{commandLine}`");
        text.AppendLine();
        text.AppendLine(c, $"Trained on T ~ U{{{minT}..{maxT}}}; evaluated for T = {cells[0].Table.Rows[0].Instruction}..{cells[0].Table.Rows[^1].Instruction}, "
            + $"{cells[0].Table.Rows[0].Episodes} episodes per T. H90 = largest T with mean reward ≥ 0.9 of the best achievable for every T from {minT} up to it; "
            + $"Hexact = largest T with at least half the episodes arriving exactly at T for every T from {minT} up to it (none: T = {minT} already fails).");
        text.AppendLine();
        text.AppendLine("| agent | seeds | frames of the evaluated checkpoints (mean) | training range: fraction of best (mean ± sd) | exact arrivals in training range | H90 median (range) | Hexact median (range) | H90 per seed | Hexact per seed |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (CoreKind agent in Agents)
        {
            var mine = cells.Where(x => x.Agent == agent).ToList();
            double[] fractions = [.. mine.Select(x => x.Table.FractionOfBest(minT, maxT))];
            double[] exact = [.. mine.Select(x => x.Table.ExactRate(minT, maxT))];
            int?[] h90 = [.. mine.Select(x => x.Table.H90(minT))];
            int?[] hExact = [.. mine.Select(x => x.Table.HExact(minT))];
            text.AppendLine(c, $"| {agent.Name()} | {string.Join(", ", mine.Select(x => x.Seed))} | {mine.Average(x => (double)x.Frames):N0} | "
                + $"{fractions.Average():F3} ± {StandardDeviation(fractions):F3} | {exact.Average():F3} ± {StandardDeviation(exact):F3} | "
                + $"{MedianRange(h90)} | {MedianRange(hExact)} | {string.Join(", ", h90.Select(Show))} | {string.Join(", ", hExact.Select(Show))} |");
        }

        return text.ToString();
    }

    /// <summary>Writes comparison.png (fraction of best with spread) and comparison-reward.png (mean reward, Figure 5 layout).</summary>
    public void SavePlots(string fractionPlot, string rewardPlot)
    {
        var fractionCurves = new List<Curve>();
        var rewardCurves = new List<Curve>();
        EvaluationTable first = cells[0].Table;
        double[] ts = [.. first.Rows.Select(r => (double)r.Instruction)];
        rewardCurves.Add(new Curve("best achievable", ts, [.. first.Rows.Select(r => r.MeanBest)], Dashed: true));
        fractionCurves.Add(new Curve("0.9 of best (H90 threshold)", ts, [.. ts.Select(_ => EvaluationTable.RewardThreshold)], Dashed: true));
        foreach (CoreKind agent in Agents)
        {
            var mine = cells.Where(x => x.Agent == agent).Select(x => x.Table).ToList();
            double[] Across(Func<EvaluationRow, double> value, Func<IEnumerable<double>, double> combine) =>
                [.. Enumerable.Range(0, ts.Length).Select(i => combine(mine.Select(t => value(t.Rows[i]))))];
            string label = $"{agent.Name()} ({mine.Count} seed{(mine.Count > 1 ? "s" : "")}; H90 {MedianRange(mine.Select(t => t.H90(minT)).ToArray())})";
            fractionCurves.Add(new Curve(label, ts, Across(r => r.FractionOfBest, v => v.Average()), Across(r => r.FractionOfBest, v => v.Min()), Across(r => r.FractionOfBest, v => v.Max())));
            rewardCurves.Add(new Curve(label, ts, Across(r => r.MeanReward, v => v.Average()), Across(r => r.MeanReward, v => v.Min()), Across(r => r.MeanReward, v => v.Max())));
        }

        CurvePlot.SavePng(fractionPlot, new PlotLayout("Fraction of best achievable reward against T (band: range over seeds)", "instruction T (steps)", "mean reward / best achievable", minT, maxT, $"training range T {minT}..{maxT}"), fractionCurves);
        CurvePlot.SavePng(rewardPlot, new PlotLayout("Mean reward against T (the paper's Figure 5 layout)", "instruction T (steps)", "mean reward per episode", minT, maxT, $"training range T {minT}..{maxT}"), rewardCurves);
    }

    /// <summary>"15 (14–16)" for the median and range of horizons; a missing horizon counts as minT − 1.</summary>
    public string MedianRange(int?[] horizons)
    {
        int[] values = [.. horizons.Select(h => h ?? (minT - 1)).Order()];
        if (values.Length == 0)
        {
            return "-";
        }

        double median = values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2.0;
        return string.Create(CultureInfo.InvariantCulture, $"{median:0.#} ({values[0]}–{values[^1]})");
    }

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
