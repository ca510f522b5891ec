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
public sealed record PlotLayout(string Title, string XLabel, string YLabel, double? ShadedFrom = null, double? ShadedTo = null, string ShadedLabel = "training range");

/// <summary>Line plots written as PNG with ScottPlot: evaluation curves against T and their comparisons.</summary>
public static class CurvePlot
{
    /// <summary>Writes the curves to <paramref name="path"/> as a PNG of the given size.</summary>
    public static void SavePng(string path, PlotLayout layout, IReadOnlyList<Curve> curves, int width = 900, int height = 540)
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
        plot.XLabel(layout.XLabel);
        plot.YLabel(layout.YLabel);
        plot.ShowLegend(Alignment.LowerLeft);
        plot.Axes.Margins(0.02, 0.08);
        plot.SavePng(path, width, height);
    }
}
