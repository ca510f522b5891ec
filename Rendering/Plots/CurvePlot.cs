using System.Globalization;
using ScottPlot;

namespace GridTime.Rendering.Plots;

/// <summary>One curve of a plot: y against x, with an optional band (for example the spread over seeds).</summary>
/// <param name="Label">Legend text.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values (NaN leaves a gap).</param>
/// <param name="Low">Lower edge of the band, or null.</param>
/// <param name="High">Upper edge of the band, or null.</param>
/// <param name="Dashed">Draw as a black dashed line without markers (for reference curves).</param>
/// <param name="Colour">Index into the plot's palette (Category10), so that curves of one run share a colour across panels; null: the next unused.</param>
/// <param name="Pattern">The line's pattern, to tell apart curves of one colour (e.g. three losses of one run).</param>
public sealed record Curve(string Label, double[] X, double[] Y, double[]? Low = null, double[]? High = null, bool Dashed = false, int? Colour = null, CurvePattern Pattern = CurvePattern.Solid);

/// <summary>Line patterns of <see cref="Curve"/>.</summary>
public enum CurvePattern
{
    /// <summary>A solid line.</summary>
    Solid,

    /// <summary>A dashed line.</summary>
    Dashed,

    /// <summary>A dotted line.</summary>
    Dotted,

    /// <summary>Points only, not joined: values at chosen x (T = 200, 500, 1000) between which nothing was measured.</summary>
    Points,
}

/// <summary>What a <see cref="CurvePlot"/> shows besides its curves.</summary>
/// <param name="Title">Title above the plot; also the PNG's tEXt chunk <see cref="CurvePlot.TitleKeyword"/>.</param>
/// <param name="XLabel">X axis label.</param>
/// <param name="YLabel">Y axis label.</param>
/// <param name="ShadedFrom">Start of the shaded x range (for example the training range of T), or null.</param>
/// <param name="ShadedTo">End of the shaded x range.</param>
/// <param name="ShadedLabel">Legend text of the shaded range.</param>
/// <param name="Caption">
/// Provenance shown under the x axis label (what was evaluated, with which settings and software) and stored in
/// the PNG as a tEXt chunk with the keyword <see cref="CurvePlot.CaptionKeyword"/>; null for none.
/// </param>
/// <param name="Subtitle">
/// The key facts in one line under the title (which checkpoint, how many episodes, ...), also the tEXt chunk
/// <see cref="CurvePlot.SubtitleKeyword"/>; null for none.
/// </param>
/// <param name="IntegerX">X is a count (such as T): ticks only at whole numbers (<see cref="CurvePlot.IntegerTicks"/>).</param>
/// <param name="YFromZero">
/// The y axis starts at 0 (so heights compare), or at the lowest value when one is negative (an unclipped reward
/// can be), with a sliver below it so that points at the bottom stay visible.
/// </param>
public sealed record PlotLayout(
    string Title,
    string XLabel,
    string YLabel,
    double? ShadedFrom = null,
    double? ShadedTo = null,
    string ShadedLabel = "training range",
    string? Caption = null,
    string? Subtitle = null,
    bool IntegerX = false,
    bool YFromZero = false);

/// <summary>
/// Line plots encoded as PNG with ScottPlot: evaluation curves against T, their comparisons, training curves; under
/// the curves, optionally, a <see cref="BarStack"/> (how episodes end against T). The legend sits right of the data
/// area, so it never hides a curve. The plot is encoded in memory; the caller writes
/// the bytes (whole, through a temporary file). Besides the picture, the PNG holds tEXt chunks a test or a script
/// can read (<see cref="ReadText"/>): the title, subtitle, caption and the x axis ticks drawn.
/// </summary>
public static class CurvePlot
{
    /// <summary>Keyword of the PNG tEXt chunk holding <see cref="PlotLayout.Caption"/>.</summary>
    public const string CaptionKeyword = "Description";

    /// <summary>Keyword of the PNG tEXt chunk holding <see cref="PlotLayout.Title"/>.</summary>
    public const string TitleKeyword = "Title";

    /// <summary>Keyword of the PNG tEXt chunk holding <see cref="PlotLayout.Subtitle"/>.</summary>
    public const string SubtitleKeyword = "Subtitle";

    /// <summary>Keyword of the PNG tEXt chunk holding the major x ticks drawn, comma-separated (invariant culture).</summary>
    public const string XTicksKeyword = "X ticks";

    /// <summary>Keyword of the PNG tEXt chunk holding the y axis range drawn, "low..high" (invariant culture).</summary>
    public const string YRangeKeyword = "Y range";

    /// <summary>Most ticks <see cref="IntegerTicks"/> puts on an axis.</summary>
    public const int MaximumIntegerTicks = 20;

    /// <summary>Encodes the curves (over the bars of <paramref name="stack"/>, if given) as a PNG of the given size.</summary>
    public static byte[] EncodePng(PlotLayout layout, IReadOnlyList<Curve> curves, int width = 1100, int height = 600, BarStack? stack = null)
    {
        Plot plot = Build(layout, curves, stack);
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        return WithText(png, Metadata(plot, layout));
    }

    /// <summary>Encodes the curves and writes them to <paramref name="output"/>.</summary>
    public static void WritePng(Stream output, PlotLayout layout, IReadOnlyList<Curve> curves, int width = 1100, int height = 600) =>
        output.Write(EncodePng(layout, curves, width, height));

    /// <summary>
    /// The ScottPlot plot of the curves, not yet rendered (tests render it to find where a point is drawn). The
    /// legend is on the right edge, outside the data area. The bars of <paramref name="stack"/>, if given, are drawn
    /// first and the shaded range over them (stacked shares fill the whole height, which would hide it), the curves
    /// over both.
    /// </summary>
    public static Plot Build(PlotLayout layout, IReadOnlyList<Curve> curves, BarStack? stack = null)
    {
        var plot = new Plot();

        // The shaded range first, so that it lies behind the bars (their colour-blind-safe colours stay exact) and curves.
        if (layout.ShadedFrom is double from && layout.ShadedTo is double to)
        {
            var span = plot.Add.HorizontalSpan(from - 0.5, to + 0.5);
            span.FillStyle.Color = Colors.Gray.WithAlpha(0.2);
            span.LineStyle.Width = 0;
            span.LegendText = layout.ShadedLabel;
        }

        stack?.AddTo(plot);

        IPalette palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (Curve curve in curves)
        {
            Color color = curve.Dashed ? Colors.Black : palette.GetColor(curve.Colour ?? index++);
            if (curve.Low is not null && curve.High is not null)
            {
                var band = plot.Add.FillY(curve.X, curve.Low, curve.High);
                band.FillColor = color.WithAlpha(0.2);
                band.LineWidth = 0;
            }

            var line = plot.Add.Scatter(curve.X, curve.Y);
            line.Color = color;
            line.LegendText = curve.Label;
            bool points = curve.Pattern == CurvePattern.Points;
            line.LineWidth = points ? 0 : 2;
            line.MarkerSize = points ? 7 : curve.Dashed ? 0 : 5;
            line.LinePattern = curve.Dashed || curve.Pattern == CurvePattern.Dashed ? LinePattern.Dashed
                : curve.Pattern == CurvePattern.Dotted ? LinePattern.Dotted
                : LinePattern.Solid;
        }

        // The subtitle is the title's second line (smaller title font for both): labels are centred on the data
        // area, which the legend on the right narrows, so long lines are wrapped at "; ".
        plot.Title(layout.Subtitle is null ? layout.Title : $"{layout.Title}\n{Wrap(layout.Subtitle, 80)}");
        plot.Axes.Title.Label.FontSize = 14;
        plot.XLabel(layout.Caption is null ? layout.XLabel : $"{layout.XLabel}\n{Wrap(layout.Caption, 95)}");
        if (layout.Caption is not null)
        {
            // The caption shares the axis label: smaller and plain so that the provenance fits the width.
            plot.Axes.Bottom.Label.FontSize = 12;
            plot.Axes.Bottom.Label.Bold = false;
        }

        plot.YLabel(layout.YLabel);
        plot.ShowLegend(Edge.Right);
        plot.Axes.Margins(0.02, 0.08);
        double[] xs = [.. curves.SelectMany(c => c.X).Concat(stack?.X ?? []).Where(double.IsFinite)];
        if (layout.IntegerX && xs.Length > 0)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (int tick in IntegerTicks((int)Math.Floor(xs.Min()), (int)Math.Ceiling(xs.Max())))
            {
                ticks.AddMajor(tick, tick.ToString(CultureInfo.InvariantCulture));
            }

            plot.Axes.Bottom.TickGenerator = ticks;
        }

        if (layout.YFromZero)
        {
            double[] bars = stack is null ? [] : [.. Enumerable.Range(0, stack.Layers.Count).SelectMany(l => stack.Edges(l).SelectMany(e => new[] { e.Bottom, e.Top }))];
            double top = curves.SelectMany(c => c.Y.Concat(c.High ?? [])).Concat(bars).Where(double.IsFinite).DefaultIfEmpty(1).Max();
            double bottom = Math.Min(0, curves.SelectMany(c => c.Y.Concat(c.Low ?? [])).Concat(bars).Where(double.IsFinite).DefaultIfEmpty(0).Min());
            top = top > 0 ? top * 1.05 : 1;
            // A sliver below the bottom, so that markers there are not drawn over by the axis frame.
            plot.Axes.SetLimitsY(bottom - (0.015 * (top - bottom)), top);
        }

        return plot;
    }

    /// <summary>
    /// Ticks at whole numbers for the range <paramref name="low"/>..<paramref name="high"/>: the multiples of the
    /// smallest step of 1, 2, 5, 10, 20, 50, ... that gives at most <see cref="MaximumIntegerTicks"/> of them
    /// (T 1..30: 2, 4, ..., 30; T 1..60: 5, 10, ..., 60; T 1..12: 1, 2, ..., 12).
    /// </summary>
    public static IReadOnlyList<int> IntegerTicks(int low, int high)
    {
        long step = 1;
        for (int i = 0; (((long)high / step) - (((long)low + step - 1) / step) + 1) > MaximumIntegerTicks; i++)
        {
            step = (i % 3) switch { 0 => step * 2, 1 => step / 2 * 5, _ => step * 2 };
        }

        var ticks = new List<int>();
        for (long tick = ((long)low + step - 1) / step * step; tick <= high; tick += step)
        {
            ticks.Add((int)tick);
        }

        return ticks;
    }

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

    /// <summary>
    /// Inserts tEXt chunks (keyword, text; Latin-1, a character outside it becomes '?') right after the PNG's IHDR
    /// chunk (signature 8 bytes, IHDR 25 bytes).
    /// </summary>
    public static byte[] WithText(byte[] png, IEnumerable<(string Keyword, string Text)> chunks)
    {
        const int afterHeader = 8 + 25;
        var added = new List<byte>();
        foreach ((string keyword, string text) in chunks)
        {
            byte[] data = [.. System.Text.Encoding.Latin1.GetBytes(keyword), 0, .. System.Text.Encoding.Latin1.GetBytes(text)];
            var chunk = new byte[12 + data.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
            "tEXt"u8.CopyTo(chunk.AsSpan(4));
            data.CopyTo(chunk.AsSpan(8));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), GridTime.Environment.Episodes.Crc32.Compute(chunk.AsSpan(4, 4 + data.Length)));
            added.AddRange(chunk);
        }

        return [.. png.AsSpan(0, afterHeader), .. added, .. png.AsSpan(afterHeader)];
    }

    // What the rendered plot shows, as text chunks: read after rendering, so the ticks are the ones drawn.
    private static List<(string, string)> Metadata(Plot plot, PlotLayout layout)
    {
        var c = CultureInfo.InvariantCulture;
        var chunks = new List<(string, string)> { (TitleKeyword, layout.Title) };
        if (layout.Subtitle is not null)
        {
            chunks.Add((SubtitleKeyword, layout.Subtitle));
        }

        if (layout.Caption is not null)
        {
            chunks.Add((CaptionKeyword, layout.Caption));
        }

        chunks.Add((XTicksKeyword, string.Join(',', plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Position.ToString("0.######", c)))));
        AxisLimits limits = plot.Axes.GetLimits();
        chunks.Add((YRangeKeyword, string.Create(c, $"{limits.Bottom:0.######}..{limits.Top:0.######}")));
        return chunks;
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
}
