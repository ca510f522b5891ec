using System.Globalization;
using GridTime.Rendering.Plots;
using ScottPlot;
using SkiaSharp;

namespace GridTime.Tests.Rendering;

/// <summary>Stacked bars: each layer drawn between the running sums in its fixed colour, under the shaded range.</summary>
public sealed class BarStackTests
{
    // Three x, three layers; at x = 2 the middle layer is empty.
    private static readonly BarStack Stack = new([1, 2, 3],
    [
        new BarLayer("bottom", [0.5, 0.25, 0.2], 3),
        new BarLayer("middle", [0.25, 0, 0.4], 1),
        new BarLayer("top", [0.25, 0.75, 0.4], 7),
    ]);

    [Fact]
    public void TheLayersRunBetweenTheRunningSums()
    {
        Assert.Equal([(0, 0.5), (0, 0.25), (0, 0.2)], Stack.Edges(0));
        Assert.Equal([(0.5, 0.75), (0.25, 0.25), (0.2, 0.6000000000000001)], Stack.Edges(1));
        Assert.Equal([(0.75, 1), (0.25, 1), (0.6000000000000001, 1)], Stack.Edges(2));
        Assert.Equal(0.9, Stack.Width);
        Assert.Equal(0.9 * 16, new BarStack([200, 500, 1000], [new BarLayer("a", [1, 1, 1], 0)]).Width, 9); // a fiftieth of the span 800, not 0.9 of the gap 300
        Assert.Equal(0.9 * 3.94, new BarStack([3, 50, 7, 200], [new BarLayer("a", [1, 1, 1, 1], 0)]).Width, 9); // in any order: the gap 3..7 is 4, the span 197
    }

    [Fact]
    public void ThePaletteIsWongsColourBlindSafeOne()
    {
        string[] expected = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"];
        Assert.Equal(expected, Enumerable.Range(0, 8).Select(i => BarStack.Palette.GetColor(i).ToHex()[..7].ToUpperInvariant()));
    }

    [Fact]
    public void EachLayerIsDrawnInItsColourBetweenItsEdges()
    {
        Plot plot = CurvePlot.Build(new PlotLayout("bars", "x", "share", IntegerX: true, YFromZero: true), [], Stack);
        using SKBitmap bitmap = SKBitmap.Decode(plot.GetImageBytes(800, 500, ImageFormat.Png));
        for (int layer = 0; layer < Stack.Layers.Count; layer++)
        {
            Color expected = BarStack.Palette.GetColor(Stack.Layers[layer].Colour);
            foreach ((double x, (double bottom, double top)) in Stack.X.Zip(Stack.Edges(layer)).Where(e => e.Second.Top > e.Second.Bottom))
            {
                Pixel at = plot.GetPixel(new Coordinates(x, (bottom + top) / 2));
                SKColor seen = bitmap.GetPixel((int)Math.Round(at.X), (int)Math.Round(at.Y));
                Assert.True((seen.Red, seen.Green, seen.Blue) == (expected.R, expected.G, expected.B),
                    string.Create(CultureInfo.InvariantCulture, $"layer {layer} at x {x}: pixel {seen}, expected {expected}"));
            }
        }
    }

    [Fact]
    public void TheShadedRangeLiesBehindTheBars()
    {
        // Stacked shares fill the whole height: the training range is shaded behind them, so its bars keep the
        // colour-blind-safe colours exactly and the shading shows in the gaps between them.
        Plot plot = CurvePlot.Build(new PlotLayout("bars", "x", "share", ShadedFrom: 2, ShadedTo: 2, IntegerX: true, YFromZero: true), [], Stack);
        using SKBitmap bitmap = SKBitmap.Decode(plot.GetImageBytes(800, 500, ImageFormat.Png));
        Color top = BarStack.Palette.GetColor(Stack.Layers[2].Colour);
        SKColor At(double x)
        {
            Pixel at = plot.GetPixel(new Coordinates(x, 0.9));
            return bitmap.GetPixel((int)Math.Round(at.X), (int)Math.Round(at.Y));
        }

        Assert.Equal((top.R, top.G, top.B), (At(1).Red, At(1).Green, At(1).Blue));
        Assert.Equal((top.R, top.G, top.B), (At(2).Red, At(2).Green, At(2).Blue));

        // Between two bars inside the range: the shading, grey (128) at 20% opacity over the data area's background,
        // 0.8 · background + 0.2 · 128; between two bars outside it, the background itself.
        SKColor outside = At(1 + (BarStack.BarShare / 2) + ((1 - BarStack.BarShare) / 5)); // left of the range, which starts at 1.5
        SKColor gap = At(2 + (BarStack.BarShare / 2) + ((1 - BarStack.BarShare) / 4));
        Assert.All(new[] { (gap.Red, outside.Red), (gap.Green, outside.Green), (gap.Blue, outside.Blue) }, c => Assert.InRange(c.Item1, (0.8 * c.Item2) + 25.6 - 1.5, (0.8 * c.Item2) + 25.6 + 1.5));
    }
}
