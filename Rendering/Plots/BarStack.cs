using ScottPlot;

namespace GridTime.Rendering.Plots;

/// <summary>One layer of a <see cref="BarStack"/>: its height at each x of the stack.</summary>
/// <param name="Label">Legend text.</param>
/// <param name="Height">Height at each x of the stack (same length as <see cref="BarStack.X"/>; at least 0).</param>
/// <param name="Colour">Index into <see cref="BarStack.Palette"/>, fixed so that a layer keeps its colour across plots.</param>
public sealed record BarLayer(string Label, double[] Height, int Colour);

/// <summary>
/// Stacked bars, one bar per x, drawn by <see cref="CurvePlot"/>: at each x layer i's bar runs from the sum of the
/// heights of layers 0..i−1 to that sum plus its own height (layer 0 at the bottom), for example the shares of
/// episodes that end in each way at each T. Discrete bars rather than filled areas: nothing is drawn between two
/// evaluated x.
/// </summary>
/// <param name="X">The bars' positions (ascending).</param>
/// <param name="Layers">The layers, bottom first.</param>
public sealed record BarStack(double[] X, IReadOnlyList<BarLayer> Layers)
{
    /// <summary>
    /// The layers' colours: the colour-blind-safe palette of Wong, "Points of view: Color blindness", Nature Methods
    /// 8, 441 (2011), after Okabe and Ito: black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish
    /// purple (ScottPlot's <c>ColorblindFriendly</c>).
    /// </summary>
    public static readonly IPalette Palette = new ScottPlot.Palettes.ColorblindFriendly();

    /// <summary>Share of the space between neighbouring x that a bar covers.</summary>
    public const double BarShare = 0.9;

    /// <summary>
    /// A bar's width in x units: <see cref="BarShare"/> of the smallest gap between neighbouring x (of 1 for a single x),
    /// at most a fiftieth of the x span (and at least that of 1), so that chosen T values far apart (200, 500, 1000) stay
    /// narrow bars at their T rather than look like ranges of T.
    /// </summary>
    public double Width
    {
        get
        {
            double[] x = [.. X.Distinct().Order()];
            double gap = x.Length < 2 ? 1 : x.Zip(x.Skip(1), (a, b) => b - a).Min();
            double span = x.Length < 2 ? 0 : x[^1] - x[0];
            return BarShare * Math.Min(gap, Math.Max(1, span / 50));
        }
    }

    /// <summary>The bottom and top edge of layer <paramref name="layer"/>'s bar at each x, as drawn.</summary>
    public (double Bottom, double Top)[] Edges(int layer)
    {
        var edges = new (double, double)[X.Length];
        for (int i = 0; i < X.Length; i++)
        {
            double bottom = Layers.Take(layer).Sum(l => l.Height[i]);
            edges[i] = (bottom, bottom + Layers[layer].Height[i]);
        }

        return edges;
    }

    /// <summary>
    /// Adds the bars to <paramref name="plot"/>, one bar plot per layer with its legend text, top layer first so
    /// that the legend lists the layers in the order they are stacked, top to bottom.
    /// </summary>
    public void AddTo(Plot plot)
    {
        if (Layers.Any(l => l.Height.Length != X.Length))
        {
            throw new ArgumentException($"every layer of a bar stack needs a height for each of its {X.Length} x");
        }

        for (int layer = Layers.Count - 1; layer >= 0; layer--)
        {
            Color colour = Palette.GetColor(Layers[layer].Colour);
            var bars = X.Zip(Edges(layer), (x, edge) => new Bar
            {
                Position = x,
                ValueBase = edge.Bottom,
                Value = edge.Top,
                Size = Width,
                FillColor = colour,
                LineWidth = 0,
            }).ToList();
            var plottable = plot.Add.Bars(bars);
            plottable.LegendText = Layers[layer].Label;
        }
    }
}
