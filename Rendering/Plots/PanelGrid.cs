using ScottPlot;
using SkiaSharp;

namespace GridTime.Rendering.Plots;

/// <summary>One panel of a <see cref="PanelGrid"/>: a <see cref="CurvePlot"/> layout, its curves and its bars.</summary>
/// <param name="Layout">Title, axes and options of the panel.</param>
/// <param name="Curves">Its curves.</param>
/// <param name="Stack">Its stacked bars (under the curves), or null.</param>
public sealed record Panel(PlotLayout Layout, IReadOnlyList<Curve> Curves, BarStack? Stack = null);

/// <summary>
/// Several <see cref="CurvePlot"/> panels on one PNG, row by row, under a common title and subtitle (the subtitle
/// wrapped at "; " to the width). The PNG holds the title and subtitle as tEXt chunks
/// (<see cref="CurvePlot.TitleKeyword"/>, <see cref="CurvePlot.SubtitleKeyword"/>) and the panels' titles, one per
/// line, under <see cref="PanelsKeyword"/>.
/// </summary>
public static class PanelGrid
{
    /// <summary>Keyword of the PNG tEXt chunk listing the panels' titles, one per line.</summary>
    public const string PanelsKeyword = "Panels";

    /// <summary>Encodes the panels, <paramref name="columns"/> to a row, each <paramref name="panelWidth"/> × <paramref name="panelHeight"/> pixels.</summary>
    public static byte[] EncodePng(string title, string subtitle, IReadOnlyList<Panel> panels, int columns = 2, int panelWidth = 820, int panelHeight = 440)
    {
        if (panels.Count == 0 || columns < 1)
        {
            throw new ArgumentException("a panel grid needs at least one panel and one column");
        }

        int rows = (panels.Count + columns - 1) / columns;
        int width = Math.Min(columns, panels.Count) * panelWidth;
        using SKTypeface typeface = SKTypeface.FromFamilyName("DejaVu Sans") ?? SKTypeface.Default;
        using var titleFont = new SKFont(typeface, 22) { Embolden = true };
        using var subtitleFont = new SKFont(typeface, 14);
        List<string> lines = Wrap(subtitle, subtitleFont, width - 40);
        int header = 44 + (20 * lines.Count);

        using var surface = SKSurface.Create(new SKImageInfo(width, header + (rows * panelHeight)));
        SKCanvas canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(title, width / 2f, 30, SKTextAlign.Center, titleFont, paint);
        for (int i = 0; i < lines.Count; i++)
        {
            canvas.DrawText(lines[i], width / 2f, 52 + (20 * i), SKTextAlign.Center, subtitleFont, paint);
        }

        for (int i = 0; i < panels.Count; i++)
        {
            Plot plot = CurvePlot.Build(panels[i].Layout, panels[i].Curves, panels[i].Stack);
            using SKBitmap bitmap = SKBitmap.Decode(plot.GetImageBytes(panelWidth, panelHeight, ImageFormat.Png));
            canvas.DrawBitmap(bitmap, (i % columns) * panelWidth, header + ((i / columns) * panelHeight));
        }

        using SKImage image = surface.Snapshot();
        using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
        return CurvePlot.WithText(png.ToArray(),
        [
            (CurvePlot.TitleKeyword, title),
            (CurvePlot.SubtitleKeyword, subtitle),
            (PanelsKeyword, string.Join('\n', panels.Select(p => p.Layout.Title))),
        ]);
    }

    // Breaks text at "; " into lines no wider than `width` pixels (a longer part stays whole on its line).
    private static List<string> Wrap(string text, SKFont font, float width)
    {
        var lines = new List<string>();
        foreach (string part in text.Split("; "))
        {
            if (lines.Count > 0 && font.MeasureText(lines[^1] + "; " + part) <= width)
            {
                lines[^1] += "; " + part;
            }
            else
            {
                lines.Add(part);
            }
        }

        return lines;
    }
}
