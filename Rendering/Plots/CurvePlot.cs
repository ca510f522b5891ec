using ScottPlot;

namespace GridTime.Rendering.Plots;

/// <summary>One curve of a plot: y against x, with an optional band (for example the spread over seeds).</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values (NaN leaves a gap).</param>
/// <param name="Low">Lower edge of the band, or null.</param>
/// <param name="High">Upper edge of the band, or null.</param>
/// <param name="Dashed">Draw as a dashed line without markers (for reference curves).</param>
public sealed record Curve(string Label, double[] X, double[] Y, double[]? Low = null, double[]? High = null, bool Dashed = false);

/// <summary>What a <see cref="CurvePlot"/> shows besides its curves.</summary>
/// <param name="Title">Title above the plot.</param>
/// <param name="XLabel">X axis label.</param>
/// <param name="YLabel">Y axis label.</param>
/// <param name="ShadedFrom">Start of the shaded x range (for example the training range of T), or null.</param>
/// <param name="ShadedTo">End of the shaded x range.</param>
/// <param name="ShadedLabel">Legend text of the shaded range.</param>
/// <param name="Caption">
/// Provenance shown under the x axis label (what was evaluated, with which settings and software) and stored in
/// the PNG as a tEXt chunk with the keyword <see cref="CurvePlot.CaptionKeyword"/>; null for none.
/// </param>
public sealed record PlotLayout(string Title, string XLabel, string YLabel, double? ShadedFrom = null, double? ShadedTo = null, string ShadedLabel = "training range", string? Caption = null);

/// <summary>
/// Line plots encoded as PNG with ScottPlot: evaluation curves against T and their comparisons. The plot is
/// encoded in memory; the caller writes the bytes (whole, through a temporary file).
/// </summary>
public static class CurvePlot
{
    /// <summary>Keyword of the PNG tEXt chunk holding <see cref="PlotLayout.Caption"/>.</summary>
    public const string CaptionKeyword = "Description";

    /// <summary>Encodes the curves as a PNG of the given size.</summary>
    public static byte[] EncodePng(PlotLayout layout, IReadOnlyList<Curve> curves, int width = 900, int height = 540)
    {
        var plot = new Plot();
        if (layout.ShadedFrom is double from && layout.ShadedTo is double to)
        {
            var span = plot.Add.HorizontalSpan(from - 0.5, to + 0.5);
            span.FillStyle.Color = Colors.Gray.WithAlpha(0.2);
            span.LineStyle.Width = 0;
            span.LegendText = layout.ShadedLabel;
        }

        IPalette palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (Curve curve in curves)
        {
            Color color = curve.Dashed ? Colors.Black : palette.GetColor(index++);
            if (curve.Low is not null && curve.High is not null)
            {
                var band = plot.Add.FillY(curve.X, curve.Low, curve.High);
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }

            var line = plot.Add.Scatter(curve.X, curve.Y);
            line.Color = color;
            line.LegendText = curve.Label;
            line.LineWidth = 2;
            line.MarkerSize = curve.Dashed ? 0 : 5;
            if (curve.Dashed)
            {
                line.LinePattern = LinePattern.Dashed;
            }
        }

        plot.Title(layout.Title);
        plot.XLabel(layout.Caption is null ? layout.XLabel : $"{layout.XLabel}\n{Wrap(layout.Caption, 110)}");
        if (layout.Caption is not null)
        {
            // The caption shares the axis label: smaller and plain so that the provenance fits the width.
            plot.Axes.Bottom.Label.FontSize = 12;
            plot.Axes.Bottom.Label.Bold = false;
        }

        plot.YLabel(layout.YLabel);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.Axes.Margins(0.02, 0.08);
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        return layout.Caption is null ? png : WithText(png, CaptionKeyword, layout.Caption);
    }

    /// <summary>Encodes the curves and writes them to <paramref name="output"/>.</summary>
    public static void WritePng(Stream output, PlotLayout layout, IReadOnlyList<Curve> curves, int width = 900, int height = 540) =>
        output.Write(EncodePng(layout, curves, width, height));

    /// <summary>The tEXt chunk <paramref name="keyword"/> of a PNG, or null (text read as Latin-1).</summary>
    public static string? ReadText(byte[] png, string keyword)
    {
        int position = 8;
        while (position + 12 <= png.Length)
        {
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            if (length < 0 || position + 12 + length > png.Length)
            {
                return null;
            }

            if (png.AsSpan(position + 4, 4).SequenceEqual("tEXt"u8))
            {
                ReadOnlySpan<byte> data = png.AsSpan(position + 8, length);
                int zero = data.IndexOf((byte)0);
                if (zero > 0 && System.Text.Encoding.Latin1.GetString(data[..zero]) == keyword)
                {
                    return System.Text.Encoding.Latin1.GetString(data[(zero + 1)..]);
                }
            }

            position += 12 + length;
        }

        return null;
    }

    // Breaks text into lines of at most `width` characters at "; " (a longer part stays whole on its line).
    private static string Wrap(string text, int width)
    {
        var lines = new List<string>();
        foreach (string part in text.Split("; "))
        {
            if (lines.Count > 0 && lines[^1].Length + 2 + part.Length <= width)
            {
                lines[^1] += "; " + part;
            }
            else
            {
                lines.Add(part);
            }
        }

        return string.Join('\n', lines);
    }

    // Inserts a tEXt chunk right after IHDR (signature 8 bytes, IHDR chunk 25 bytes).
    private static byte[] WithText(byte[] png, string keyword, string text)
    {
        const int afterHeader = 8 + 25;
        byte[] data = [.. System.Text.Encoding.Latin1.GetBytes(keyword), 0, .. System.Text.Encoding.Latin1.GetBytes(text)];
        var chunk = new byte[12 + data.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        "tEXt"u8.CopyTo(chunk.AsSpan(4));
        data.CopyTo(chunk.AsSpan(8));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), GridTime.Environment.Episodes.Crc32.Compute(chunk.AsSpan(4, 4 + data.Length)));
        return [.. png.AsSpan(0, afterHeader), .. chunk, .. png.AsSpan(afterHeader)];
    }
}
