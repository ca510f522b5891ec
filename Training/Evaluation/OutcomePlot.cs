using System.Globalization;
using GridTime.Rendering.Plots;

namespace GridTime.Training.Evaluation;

/// <summary>
/// How the episodes of each T end, as stacked shares of the episodes (eval-outcomes.png, comparison-outcomes.png):
/// arriving exactly at T, early (t &lt; T), late (t &gt; T), or not at all (a timeout at the rules' L, T + m by
/// default), where t is the step of arrival. Beyond the training range an agent can fail by keeping on walking
/// (timeouts) or by counting wrong (early or late); the reward curves alone do not tell which.
/// </summary>
public static class OutcomePlot
{
    /// <summary>The y axis label: each bar's layers add up to 1.</summary>
    public const string YLabel = "share of episodes";

    /// <summary>
    /// The outcomes, bottom to top: legend text, colour (index into <see cref="BarStack.Palette"/>: bluish green,
    /// sky blue, orange, reddish purple, told apart with the common colour-vision deficiencies) and the episodes of a
    /// row that ended so. Exact arrivals at the bottom, so that their share is read against the axis.
    /// </summary>
    private static readonly (string Label, int Colour, Func<EvaluationRow, int> Count)[] Outcomes =
    [
        ("exact (t = T)", 3, r => r.ExactArrivals),
        ("early (t < T)", 2, r => r.Early),
        ("late (t > T)", 1, r => r.Late),
        ("timeout (never arrived)", 7, r => r.Timeouts),
    ];

    /// <summary>
    /// The stacked shares of <paramref name="tables"/> (the seeds of one agent, or one run): per T and outcome the
    /// mean over the tables of the share of its episodes that ended so; each bar adds up to 1. The tables must hold
    /// the same T in the same order.
    /// </summary>
    public static BarStack Stack(IReadOnlyList<EvaluationTable> tables) => new(
        [.. tables[0].Rows.Select(r => (double)r.Instruction)],
        [.. Outcomes.Select(o => new BarLayer(o.Label, EvaluationTable.Across(tables, r => o.Count(r) / (double)r.Episodes, v => v.Average()), o.Colour))]);

    /// <summary>The layout of an outcome plot or panel: T on x with the training range <paramref name="minT"/>..<paramref name="maxT"/> shaded, shares 0..1 on y.</summary>
    public static PlotLayout Layout(string title, int minT, int maxT, string? caption = null, string? subtitle = null) =>
        new(title, "instruction T (steps)", YLabel, minT, maxT, string.Create(CultureInfo.InvariantCulture, $"training range T {minT}..{maxT}"), caption, subtitle, IntegerX: true, YFromZero: true);

    /// <summary>
    /// One panel per group (an agent's seeds, or a run), titled with the group's name, each the <see cref="Stack"/>
    /// of its tables.
    /// </summary>
    public static IReadOnlyList<Panel> Panels(IReadOnlyList<(string Name, IReadOnlyList<EvaluationTable> Tables)> groups, int minT, int maxT) =>
        [.. groups.Select(g => new Panel(Layout(g.Name, minT, maxT), [], Stack(g.Tables)))];

    /// <summary>
    /// The panels as one PNG under <paramref name="title"/> and <paramref name="subtitle"/> (also its tEXt chunks):
    /// side by side, three to a row.
    /// </summary>
    public static byte[] EncodePanels(string title, string subtitle, IReadOnlyList<Panel> panels) =>
        PanelGrid.EncodePng(title, subtitle, panels, columns: Math.Min(3, panels.Count));
}
