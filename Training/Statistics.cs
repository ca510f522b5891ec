namespace GridTime.Training;

/// <summary>Order statistics that the library's folders share (evaluation's tables, the benchmark's runs).</summary>
public static class Statistics
{
    /// <summary>
    /// The median of <paramref name="sorted"/> (ascending): the middle one, or the mean of the two middle ones; −∞ when
    /// one of those is −∞ (evaluation's horizon of a run that never holds), never the NaN of −∞ beside +∞.
    /// </summary>
    /// <exception cref="ArgumentException">There are no values.</exception>
    public static double Median(IReadOnlyList<double> sorted)
    {
        if (sorted.Count == 0)
        {
            throw new ArgumentException("the median of no values", nameof(sorted));
        }

        double low = sorted[(sorted.Count - 1) / 2], high = sorted[sorted.Count / 2];
        return double.IsNegativeInfinity(low) || double.IsNegativeInfinity(high) ? double.NegativeInfinity : (low + high) / 2;
    }
}
