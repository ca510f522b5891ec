using System.Globalization;
using GridTime.Environment;

namespace GridTime.Training.Evaluation;

/// <summary>
/// A 95% confidence interval [<paramref name="Low"/>, <paramref name="High"/>] around an estimate, and the ways GridTime
/// computes one: <see cref="Wilson"/> for a share of episodes, <see cref="BootstrapMedian"/> for the median of a figure
/// over seeds.
/// </summary>
/// <param name="Low">Lower bound.</param>
/// <param name="High">Upper bound.</param>
public readonly record struct ConfidenceInterval(double Low, double High)
{
    /// <summary>z of a two-sided 95% interval of the normal distribution, Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>Resamples of <see cref="BootstrapMedian"/>.</summary>
    public const int BootstrapResamples = 10_000;

    /// <summary>
    /// The Wilson score interval of a share: <paramref name="successes"/> of <paramref name="trials"/> (Wilson 1927; the
    /// interval Brown, Cai and DasGupta 2001 recommend for a binomial proportion): with p = k/n and z = <see cref="Z95"/>,
    /// centre (p + z²/2n) / (1 + z²/n), half-width z·√(p(1 − p)/n + z²/4n²) / (1 + z²/n). Unlike p ± z·√(p(1 − p)/n) it
    /// stays inside [0, 1] and is not empty at 0 or n successes (0 of 100: [0, 0.037]).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">trials &lt; 1, or successes outside 0..trials.</exception>
    public static ConfidenceInterval Wilson(long successes, long trials)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes, trials);
        double n = trials, p = successes / n, z2 = Z95 * Z95;
        double denominator = 1 + (z2 / n);
        double centre = (p + (z2 / (2 * n))) / denominator;
        double half = Z95 * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n))) / denominator;
        // At 0 or n successes the bound is 0 or 1 exactly (rounding would leave 1e-17 outside).
        return new ConfidenceInterval(successes == 0 ? 0 : Math.Max(0, centre - half), successes == trials ? 1 : Math.Min(1, centre + half));
    }

    /// <summary>
    /// The percentile bootstrap interval of the median of <paramref name="values"/> (Efron and Tibshirani 1993, ch. 13):
    /// <see cref="BootstrapResamples"/> resamples of the same size drawn with replacement by a generator seeded with
    /// <paramref name="seed"/> (the same values and seed give the same interval), the median of each (the mean of the two
    /// middle values for an even count), and the 2.5th and 97.5th percentiles of those medians. A value may be
    /// <see cref="double.NegativeInfinity"/> (a horizon not reached, below every T); a bound may then be too. With few
    /// values the interval is wide, as it should be: from 5 seeds it cannot be narrower than the 2nd to the 4th value.
    /// </summary>
    /// <exception cref="ArgumentException">No values, or a NaN among them.</exception>
    public static ConfidenceInterval BootstrapMedian(IReadOnlyList<double> values, ulong seed)
    {
        if (values.Count == 0 || values.Any(double.IsNaN))
        {
            throw new ArgumentException("the bootstrap needs at least one value and no NaN", nameof(values));
        }

        var random = new SeededRandom(seed);
        var medians = new double[BootstrapResamples];
        var sample = new double[values.Count];
        for (int r = 0; r < BootstrapResamples; r++)
        {
            for (int i = 0; i < sample.Length; i++)
            {
                sample[i] = values[random.NextInt(values.Count)];
            }

            Array.Sort(sample);
            medians[r] = Statistics.Median(sample);
        }

        Array.Sort(medians);
        return new ConfidenceInterval(Percentile(medians, 0.025), Percentile(medians, 0.975));
    }

    // The q-quantile of sorted values by the nearest-rank rule (an element of the sample, never a value between two).
    private static double Percentile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>"[91.2, 94.0]%" for shares: the bounds in percent with one decimal.</summary>
    public string Percent() => string.Create(CultureInfo.InvariantCulture, $"[{Low * 100:F1}, {High * 100:F1}]%");
}
