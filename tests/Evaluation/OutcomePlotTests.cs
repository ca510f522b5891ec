using GridTime.Agents;
using GridTime.Rendering.Plots;
using GridTime.Training.Evaluation;
using SkiaSharp;

namespace GridTime.Tests.Evaluation;

/// <summary>comparison-outcomes.png and eval-outcomes.png: how the episodes of each T end, as stacked shares.</summary>
public sealed class OutcomePlotTests
{
    private const int Episodes = 4;

    // A table of 4 episodes per T for T = 4, 5, 6, from (exact, early, late, timeout) counts per T.
    private static EvaluationTable Table(params (int Exact, int Early, int Late, int Timeout)[] counts) =>
        new([.. counts.Select((c, i) =>
        {
            Assert.Equal(Episodes, c.Exact + c.Early + c.Late + c.Timeout);
            return new EvaluationRow(4 + i, Episodes, c.Exact, 10, c.Exact / (double)Episodes, c.Early, c.Late, c.Timeout, 1);
        })]);

    // 2 agents x 2 seeds, trained on T 5..6, evaluated on T 4..6.
    private static Comparison TwoByTwo() => new(
    [
        new ComparisonCell(CoreKind.Baseline, 1, 1000, 1, Table((4, 0, 0, 0), (2, 1, 1, 0), (0, 0, 1, 3))),
        new ComparisonCell(CoreKind.Baseline, 2, 1000, 1, Table((2, 2, 0, 0), (4, 0, 0, 0), (1, 0, 0, 3))),
        new ComparisonCell(CoreKind.Nac, 1, 2000, 1, Table((3, 0, 1, 0), (3, 1, 0, 0), (2, 1, 1, 0))),
        new ComparisonCell(CoreKind.Nac, 2, 2000, 1, Table((1, 1, 1, 1), (4, 0, 0, 0), (0, 0, 0, 4))),
    ], 5, 6);

    [Fact]
    public void EachAgentsPanelStacksTheMeanSharesOverItsSeeds()
    {
        IReadOnlyList<Panel> panels = TwoByTwo().OutcomePanels();

        // Hexact from T = 5: baseline 5 and 5; nac 6 (T 6: 2 of 4 exact) and 5.
        Assert.Equal(["baseline (2 seeds; Hexact 5 (5–5))", "nac (2 seeds; Hexact 5.5 (5–6))"], panels.Select(p => p.Layout.Title));
        Assert.All(panels, p => Assert.Empty(p.Curves));
        Assert.All(panels, p => Assert.Equal((5.0, 6.0), (p.Layout.ShadedFrom, p.Layout.ShadedTo)));
        Assert.All(panels, p => Assert.Equal(["exact (t = T)", "early (t < T)", "late (t > T)", "timeout (never arrived)"], p.Stack!.Layers.Select(l => l.Label)));
        Assert.All(panels, p => Assert.Equal([4.0, 5, 6], p.Stack!.X));

        // Per T, the mean over the two seeds of count / 4: baseline T 4: exact (4 + 2) / 8, early (0 + 2) / 8, ...
        double[][] baseline = [.. panels[0].Stack!.Layers.Select(l => l.Height)];
        Assert.Equal([0.75, 0.75, 0.125], baseline[0]);
        Assert.Equal([0.25, 0.125, 0], baseline[1]);
        Assert.Equal([0, 0.125, 0.125], baseline[2]);
        Assert.Equal([0, 0, 0.75], baseline[3]);
        double[][] nac = [.. panels[1].Stack!.Layers.Select(l => l.Height)];
        Assert.Equal([0.5, 0.875, 0.25], nac[0]);
        Assert.Equal([0.125, 0.125, 0.125], nac[1]);
        Assert.Equal([0.25, 0, 0.125], nac[2]);
        Assert.Equal([0.125, 0, 0.5], nac[3]);

        // The bars drawn: each T's stack reaches exactly 1; nac's timeouts at T 6 run from 0.5 to 1.
        foreach (BarStack stack in panels.Select(p => p.Stack!))
        {
            Assert.All(stack.Edges(stack.Layers.Count - 1), e => Assert.Equal(1, e.Top, 12));
            Assert.All(Enumerable.Range(0, stack.X.Length), i => Assert.Equal(1, stack.Layers.Sum(l => l.Height[i]), 12));
        }

        Assert.Equal((0.5, 1.0), panels[1].Stack!.Edges(3)[2]);
    }

    [Fact]
    public void TheOutcomePictureIsAPngOfOnePanelPerAgentWithItsProvenance()
    {
        (_, _, byte[] outcomes) = TwoByTwo().EncodePlots();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], outcomes[..8]);
        Assert.Equal("How episodes end against T (share of episodes, mean over seeds)", CurvePlot.ReadText(outcomes, CurvePlot.TitleKeyword));
        Assert.Equal("seeds per agent: baseline 2, nac 2; evaluated checkpoints of 1,000..2,000 frames; 4 episodes per T", CurvePlot.ReadText(outcomes, CurvePlot.SubtitleKeyword));
        Assert.Equal("baseline (2 seeds; Hexact 5 (5-5))\nnac (2 seeds; Hexact 5.5 (5-6))", CurvePlot.ReadText(outcomes, PanelGrid.PanelsKeyword)); // Latin-1: – as -

        // Side by side: two panels of 820 x 440 under a header of 44 pixels and 20 per subtitle line.
        using SKBitmap bitmap = SKBitmap.Decode(outcomes);
        Assert.Equal(2 * 820, bitmap.Width);
        Assert.True(bitmap.Height > 440 + 44 && (bitmap.Height - 440 - 44) % 20 == 0, $"height {bitmap.Height}");
    }

    [Fact]
    public void ManyAgentsGoThreeToARow()
    {
        ComparisonCell Cell(CoreKind agent) => new(agent, 1, 1000, 1, Table((4, 0, 0, 0), (4, 0, 0, 0), (4, 0, 0, 0)));
        var comparison = new Comparison([.. new[] { CoreKind.Baseline, CoreKind.Nac, CoreKind.Nalu, CoreKind.Counter }.Select(Cell)], 5, 6);
        (_, _, byte[] outcomes) = comparison.EncodePlots();
        using SKBitmap bitmap = SKBitmap.Decode(outcomes);
        Assert.Equal(3 * 820, bitmap.Width);
        Assert.True(bitmap.Height > 2 * 440, $"two rows, height {bitmap.Height}");
        Assert.Equal(4, CurvePlot.ReadText(outcomes, PanelGrid.PanelsKeyword)!.Split('\n').Length);
    }

    [Fact]
    public void OneRunsPlotHasItsOwnSharesAndEvalsProvenance()
    {
        EvaluationTable table = Table((4, 0, 0, 0), (1, 1, 1, 1), (0, 0, 0, 4));
        BarStack stack = OutcomePlot.Stack([table]);
        Assert.Equal([[1, 0.25, 0], [0, 0.25, 0], [0, 0.25, 0], [0, 0.25, 1]], stack.Layers.Select(l => l.Height));

        var provenance = new EvalProvenance("run", "id", "checkpoints/latest.ckpt", new string('a', 64), 1234, 7, true, 4, 6, Episodes, "v");
        byte[] png = GridTime.Training.Evaluation.RunEvaluation.EncodeOutcomes(table, 5, 6, provenance);
        Assert.Equal(provenance.Subtitle, CurvePlot.ReadText(png, CurvePlot.SubtitleKeyword));
        Assert.Equal(provenance.Caption, CurvePlot.ReadText(png, CurvePlot.CaptionKeyword));
        Assert.Equal("4,5,6", CurvePlot.ReadText(png, CurvePlot.XTicksKeyword));
        using SKBitmap bitmap = SKBitmap.Decode(png);
        Assert.Equal((1100, 600), (bitmap.Width, bitmap.Height));
    }
}
