using System.Globalization;
using GridTime.Agents;
using GridTime.Rendering.Plots;
using GridTime.Training.Evaluation;
using ScottPlot;
using SkiaSharp;

namespace GridTime.Tests.Rendering;

/// <summary>Plots: integer ticks for T, a y axis from 0, the legend outside the data, the subtitle in the PNG.</summary>
public sealed class CurvePlotTests
{
    [Theory]
    [InlineData(1, 12, new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })]
    [InlineData(1, 30, new[] { 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30 })]
    [InlineData(1, 60, new[] { 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60 })]
    [InlineData(3, 250, new[] { 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240 })]
    public void IntegerTicksAreWholeNumbersAtARoundStep(int low, int high, int[] expected) =>
        Assert.Equal(expected, CurvePlot.IntegerTicks(low, high));

    [Fact]
    public void ThePngSaysWhichTicksAndYRangeItDrew()
    {
        double[] ts = [.. Enumerable.Range(1, 30).Select(t => (double)t)];
        var curve = new Curve("agent", ts, [.. ts.Select(t => 3 + (t % 3))]);
        byte[] png = CurvePlot.EncodePng(new PlotLayout("title", "T", "reward", Subtitle: "checkpoint x.ckpt (1,000 frames); 7 episodes per T; greedy actions", IntegerX: true, YFromZero: true), [curve]);
        Assert.Equal("2,4,6,8,10,12,14,16,18,20,22,24,26,28,30", CurvePlot.ReadText(png, CurvePlot.XTicksKeyword));
        AssertFromZero(png);
        Assert.Equal("checkpoint x.ckpt (1,000 frames); 7 episodes per T; greedy actions", CurvePlot.ReadText(png, CurvePlot.SubtitleKeyword));
        Assert.Equal("title", CurvePlot.ReadText(png, CurvePlot.TitleKeyword));

        // Without the settings the axis is ScottPlot's own: its y axis starts near the data (3), not at 0.
        byte[] plain = CurvePlot.EncodePng(new PlotLayout("title", "T", "reward"), [curve]);
        Assert.True(YRange(plain).Low > 2, $"y range {YRange(plain)}");
        Assert.Null(CurvePlot.ReadText(plain, CurvePlot.SubtitleKeyword));
    }

    [Theory]
    [InlineData(CurvePattern.Solid, true)]
    [InlineData(CurvePattern.Points, false)]
    public void PointsAreNotJoinedByALine(CurvePattern pattern, bool joined)
    {
        // Two values far apart (T = 200 and 1000): halfway between them a line passes, points leave the background.
        Curve curve = new("chosen T", [200, 1000], [0, 1], Pattern: pattern);
        Plot plot = CurvePlot.Build(new PlotLayout("points", "T", "y", YFromZero: true), [curve]);
        using SKBitmap bitmap = SKBitmap.Decode(plot.GetImageBytes(1100, 600, ImageFormat.Png));
        Color colour = new ScottPlot.Palettes.Category10().GetColor(0);
        bool Coloured(double x, double y)
        {
            // Within two pixels, near the curve's colour (a line is drawn antialiased).
            Pixel at = plot.GetPixel(new Coordinates(x, y));
            for (int dx = -2; dx <= 2; dx++)
            {
                for (int dy = -2; dy <= 2; dy++)
                {
                    SKColor seen = bitmap.GetPixel((int)Math.Round(at.X) + dx, (int)Math.Round(at.Y) + dy);
                    if (Math.Abs(seen.Red - colour.R) + Math.Abs(seen.Green - colour.G) + Math.Abs(seen.Blue - colour.B) < 60)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        Assert.True(Coloured(200, 0) && Coloured(1000, 1), "both values are drawn");
        Assert.Equal(joined, Coloured(600, 0.5));
    }

    [Fact]
    public void TheLegendHidesNoPointOfAnyCurve()
    {
        // Curves along the bottom and the top of the data area from the first T to the last: a legend drawn inside
        // the data area (in any corner) covers some of their markers.
        double[] ts = [.. Enumerable.Range(1, 30).Select(t => (double)t)];
        Curve[] curves =
        [
            new("bottom, a label long enough to make a wide legend", ts, [.. ts.Select(_ => 0.0)]),
            new("top", ts, [.. ts.Select(_ => 1.0)]),
            new("middle", ts, [.. ts.Select(_ => 0.5)]),
        ];
        Plot plot = CurvePlot.Build(new PlotLayout("legend", "T", "y", IntegerX: true, YFromZero: true), curves);
        using SKBitmap bitmap = SKBitmap.Decode(plot.GetImageBytes(1100, 600, ImageFormat.Png));
        IPalette palette = new ScottPlot.Palettes.Category10();
        for (int c = 0; c < curves.Length; c++)
        {
            Color expected = palette.GetColor(c);
            foreach ((double x, double y) in curves[c].X.Zip(curves[c].Y))
            {
                Pixel at = plot.GetPixel(new Coordinates(x, y));
                SKColor seen = bitmap.GetPixel((int)Math.Round(at.X), (int)Math.Round(at.Y));
                Assert.True(seen.Red == expected.R && seen.Green == expected.G && seen.Blue == expected.B,
                    string.Create(CultureInfo.InvariantCulture, $"curve {c} at ({x}, {y}): pixel {seen}, expected {expected}"));
            }
        }
    }

    [Fact]
    public void ACurveTakesThePaletteColourItAsksFor()
    {
        double[] xs = [1, 2, 3];
        Curve[] curves = [new("first", xs, [1, 1, 1], Colour: 3), new("second", xs, [2, 2, 2], Colour: 3, Pattern: CurvePattern.Dotted)];
        Plot plot = CurvePlot.Build(new PlotLayout("colours", "x", "y", YFromZero: true), curves);
        using SKBitmap bitmap = SKBitmap.Decode(plot.GetImageBytes(800, 500, ImageFormat.Png));
        Color expected = new ScottPlot.Palettes.Category10().GetColor(3);
        foreach (Curve curve in curves)
        {
            Pixel at = plot.GetPixel(new Coordinates(curve.X[1], curve.Y[1]));
            SKColor seen = bitmap.GetPixel((int)Math.Round(at.X), (int)Math.Round(at.Y));
            Assert.Equal((expected.R, expected.G, expected.B), (seen.Red, seen.Green, seen.Blue));
        }
    }

    [Fact]
    public void TheComparisonPlotsStartAtZeroWithIntegerTicksAndSaySeedsAndEpisodes()
    {
        static EvaluationTable Table(double reward) =>
            new([.. Enumerable.Range(1, 20).Select(t => new EvaluationRow(t, 7, reward, 10, 0.5, 0, 0, 0, 0))]);
        var comparison = new Comparison(
        [
            new ComparisonCell(CoreKind.Baseline, 1, 1000, 1, Table(6)),
            new ComparisonCell(CoreKind.Baseline, 2, 3000, 1, Table(8)),
            new ComparisonCell(CoreKind.Nac, 1, 2000, 1, Table(7)),
        ], 5, 12);
        (byte[] fraction, byte[] reward, byte[] outcomes) = comparison.EncodePlots();
        foreach (byte[] png in new[] { fraction, reward })
        {
            AssertFromZero(png);
            Assert.Equal("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20", CurvePlot.ReadText(png, CurvePlot.XTicksKeyword));
            Assert.Equal("seeds per agent: baseline 2, nac 1; evaluated checkpoints of 1,000..3,000 frames; 7 episodes per T", CurvePlot.ReadText(png, CurvePlot.SubtitleKeyword));
        }

        Assert.Equal("seeds per agent: baseline 2, nac 1; evaluated checkpoints of 1,000..3,000 frames; 7 episodes per T", CurvePlot.ReadText(outcomes, CurvePlot.SubtitleKeyword));

        // Checkpoints of one size are named once; two cells of one seed (a swept setting) are one seed.
        var same = new Comparison([new ComparisonCell(CoreKind.Nac, 1, 2000, 1, Table(6), Settings: "lr=1"), new ComparisonCell(CoreKind.Nac, 1, 2000, 1, Table(7), Settings: "lr=2")], 5, 12);
        Assert.Equal("seeds per agent: nac 1; evaluated checkpoints of 2,000 frames; 7 episodes per T", CurvePlot.ReadText(same.EncodePlots().Reward, CurvePlot.SubtitleKeyword));
    }

    [Fact]
    public void ANegativeValueIsShownBelowZero()
    {
        // An unclipped reward: −8 at T = 3. The axis reaches below it: −8 − 0.015·(10.5 + 8) = −8.2775.
        byte[] png = CurvePlot.EncodePng(new PlotLayout("negative", "x", "y", YFromZero: true), [new Curve("reward", [1, 2, 3], [10, 2, -8])]);
        (double low, double high) = YRange(png);
        Assert.Equal(-8.2775, low, 3);
        Assert.Equal(10.5, high, 3);
    }

    // The y axis from 0: its lowest value is 0 or a sliver (at most 2% of the range) below it.
    private static void AssertFromZero(byte[] png)
    {
        (double low, double high) = YRange(png);
        Assert.True(low <= 0 && low >= -0.02 * high, $"y range {low}..{high}");
    }

    private static (double Low, double High) YRange(byte[] png)
    {
        string[] parts = CurvePlot.ReadText(png, CurvePlot.YRangeKeyword)!.Split("..");
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
