using GridTime.Agents;
using GridTime.Training.Evaluation;

namespace GridTime.Tests.Evaluation;

/// <summary>The 95% intervals of shares (Wilson) and of medians over seeds (bootstrap), against values worked out by hand.</summary>
public sealed class ConfidenceIntervalTests
{
    // z = 1.95996, z² = 3.84146. 50 of 100: centre 0.5, half-width 1.95996·√(0.0025 + 3.84146/40000) / 1.0384146 = 0.09617.
    // 9 of 10: centre (0.9 + 0.192073) / 1.384146 = 0.78898, half-width 1.95996·√(0.009 + 0.0096037) / 1.384146 = 0.19314.
    // 0 of 100: upper bound z² / (n + z²) = 3.84146 / 103.84146 = 0.036994.
    [Theory]
    [InlineData(50, 100, 0.40383, 0.59617)]
    [InlineData(9, 10, 0.59585, 0.98212)]
    [InlineData(0, 100, 0.0, 0.036994)]
    [InlineData(100, 100, 0.963006, 1.0)]
    public void WilsonMatchesTheFormulaWorkedByHand(int successes, int trials, double low, double high)
    {
        ConfidenceInterval ci = ConfidenceInterval.Wilson(successes, trials);
        Assert.Equal(low, ci.Low, 4);
        Assert.Equal(high, ci.High, 4);
    }

    [Fact]
    public void WilsonRefusesImpossibleCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceInterval.Wilson(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceInterval.Wilson(11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => ConfidenceInterval.Wilson(-1, 10));
    }

    [Fact]
    public void TheBootstrapOfTheMedianIsSeededAndStaysWithinTheSample()
    {
        double[] seeds = [60, 100, 100, 100, 35];
        ConfidenceInterval a = ConfidenceInterval.BootstrapMedian(seeds, 7), b = ConfidenceInterval.BootstrapMedian(seeds, 7);
        Assert.Equal(a, b);
        // A median of 5 resampled values is one of them; the 2.5th percentile lies below the sample's median, 100, since
        // a resample holds three or more of {35, 60} with probability 0.317 (binomial, p = 0.4, 5 draws).
        Assert.Contains(a.Low, seeds);
        Assert.True(a.Low < 100, $"{a}");
        Assert.Equal(100, a.High);
        Assert.Equal(new ConfidenceInterval(7, 7), ConfidenceInterval.BootstrapMedian([7, 7, 7], 1));
        // Horizons not reached (−∞) rank below every T: at least half the seeds without one leave the lower bound none.
        Assert.True(double.IsNegativeInfinity(ConfidenceInterval.BootstrapMedian([double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity, 10, 12], 3).Low));
        Assert.Throws<ArgumentException>(() => ConfidenceInterval.BootstrapMedian([], 1));
    }

    [Fact]
    public void EvalCsvAndTheSummaryCarryTheIntervals()
    {
        // T 5 and 6, 10 episodes each: 9 and 5 exact.
        var table = new EvaluationTable([new EvaluationRow(5, 10, 9, 10, 0.9, 1, 0, 0, 0.1), new EvaluationRow(6, 10, 5, 10, 0.5, 3, 2, 0, 0.5)]);
        string[] csv = table.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",exact_rate_low95,exact_rate_high95", csv[0], StringComparison.Ordinal);
        Assert.EndsWith(",0.5958,0.9821", csv[1], StringComparison.Ordinal);
        Assert.Equal(table, EvaluationTable.FromCsv(string.Join('\n', csv), "t") with { }, new TableComparer());
        // Pooled over the range: 14 of 20.
        Assert.Equal(ConfidenceInterval.Wilson(14, 20), table.ExactInterval(5, 6)!.Value.Interval);
        Assert.Contains("(95% CI [48.1, 85.5]%, Wilson, 20 episodes)", GridTime.Training.Evaluation.RunEvaluation.Summary(table, 5, 6));

        // An eval.csv written before the interval columns existed is still read.
        string older = "T,episodes,mean_reward,mean_best_reward,fraction_of_best,exact_rate,early,late,timeout,mean_abs_arrival_error\n5,10,9,10,0.9,0.9,1,0,0,0.1\n";
        Assert.Equal(9, EvaluationTable.FromCsv(older, "older").Rows[0].ExactArrivals);
    }

    [Fact]
    public void TheComparisonSummaryGivesMediansWithBootstrapIntervalsAndNamesTheSeeds()
    {
        EvaluationTable Reaching(int reached) => new([.. Enumerable.Range(1, 8).Select(t => new EvaluationRow(t, 10, t <= reached ? 10 : 1, 10, t <= reached ? 1 : 0, 0, 0, t <= reached ? 0 : 10, 0))]);
        var comparison = new Comparison([.. new[] { 8, 8, 6, 8, 7 }.Select((h, i) => new ComparisonCell(CoreKind.Nac, (ulong)(i + 1), 100, 1, Reaching(h)))], 5, 8);
        string summary = comparison.ToMarkdown("t", "c");
        Assert.Contains("Seeds: nac 1, 2, 3, 4, 5; evaluation seed not recorded.", summary);
        Assert.Contains("percentile bootstrap, 10,000 resamples", summary);
        ConfidenceInterval h90 = ConfidenceInterval.BootstrapMedian([8, 8, 6, 8, 7], Comparison.BootstrapSeed);
        Assert.Contains($"| [{h90.Low}, {h90.High}] | [{h90.Low}, {h90.High}] |", summary);
        Assert.InRange(h90.Low, 6, 8);
        Assert.Equal(8, h90.High);
    }

    private sealed class TableComparer : IEqualityComparer<EvaluationTable>
    {
        public bool Equals(EvaluationTable? x, EvaluationTable? y) => x!.Rows.SequenceEqual(y!.Rows);

        public int GetHashCode(EvaluationTable obj) => 0;
    }
}
