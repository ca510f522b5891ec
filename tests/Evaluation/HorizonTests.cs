using GridTime.Training.Evaluation;

namespace GridTime.Tests.Evaluation;

public sealed class HorizonTests
{
    // A row with the given fraction of best (mean best 10) and exact-arrival rate.
    private static EvaluationRow Row(int t, double fraction, double exact) =>
        new(t, 100, 10 * fraction, 10, exact, 0, 0, 0, 0);

    private static EvaluationTable Table(params (double Fraction, double Exact)[] fromT1) =>
        new([.. fromT1.Select((r, i) => Row(i + 1, r.Fraction, r.Exact))]);

    [Fact]
    public void TheHorizonsRunFromTFiveUntilTheFirstFailure()
    {
        EvaluationTable table = Table(
            (0.2, 0.0), (0.3, 0.0), (0.5, 0.1), (0.7, 0.2), // T 1..4 do not count
            (0.95, 0.9), (0.99, 0.8), (0.9, 0.5), (0.91, 0.49), // T 5..8
            (0.92, 0.7), (0.85, 0.9), (0.95, 0.95)); // T 9..11: a gap at 10 ends H90
        Assert.Equal(9, table.H90());
        Assert.Equal(7, table.HExact());
    }

    [Fact]
    public void AFailureAtFiveMeansNoHorizon()
    {
        EvaluationTable table = Table((1, 1), (1, 1), (1, 1), (1, 1), (0.89, 0.4), (1, 1));
        Assert.Null(table.H90());
        Assert.Null(table.HExact());
    }

    [Fact]
    public void TheHorizonStopsAtTheLastEvaluatedTAndNeedsConsecutiveTs()
    {
        EvaluationTable all = Table((1, 1), (1, 1), (1, 1), (1, 1), (1, 1), (1, 1));
        Assert.Equal(6, all.H90());
        EvaluationTable gap = new([Row(5, 1, 1), Row(6, 1, 1), Row(8, 1, 1)]);
        Assert.Equal(6, gap.H90());
        Assert.Equal(6, all.H90(from: 3));
    }

    [Fact]
    public void ExactlyOnTheThresholdCounts()
    {
        // One step off everywhere scores exactly 0.9 of best: H90 accepts it, Hexact does not.
        EvaluationTable table = Table((0.9, 0), (0.9, 0), (0.9, 0), (0.9, 0), (0.9, 0), (0.9, 0.5));
        Assert.Equal(6, table.H90());
        Assert.Null(table.HExact());
        Assert.Equal(6, Table((1, 0), (1, 0), (1, 0), (1, 0), (1, 0.5), (1, 0.5)).HExact());
    }

    [Fact]
    public void CsvRoundTrip()
    {
        EvaluationTable table = Table((0.5, 0.1), (0.95, 0.9));
        EvaluationTable read = EvaluationTable.FromCsv(table.ToCsv(), "test");
        Assert.Equal(table.Rows, read.Rows);
        Assert.Throws<InvalidDataException>(() => EvaluationTable.FromCsv("a,b\n1,2", "test"));
    }

    [Theory]
    // All of n episodes exact: the Wilson interval is [n / (n + z²), 1], z² = 3.84146 (32 episodes: 0.893).
    [InlineData(1, 20, "H90 = 20, Hexact = 20; on the training range T 5..12: 100.0 % of best, exact arrivals 100.0 % (95% CI [89.3, 100.0]%, Wilson, 32 episodes)")]
    [InlineData(10, 16, "H90 and Hexact: not defined, the range starts at T = 10, above the training range's smallest T 5 (they count from it); on T 10..12 of the training range T 5..12: 100.0 % of best, exact arrivals 100.0 % (95% CI [75.8, 100.0]%, Wilson, 12 episodes)")]
    [InlineData(1, 6, "H90 = 6, Hexact = 6; on T 5..6 of the training range T 5..12: 100.0 % of best, exact arrivals 100.0 % (95% CI [67.6, 100.0]%, Wilson, 8 episodes)")]
    [InlineData(13, 20, "H90 and Hexact: not defined, the range starts at T = 13, above the training range's smallest T 5 (they count from it); no evaluated T in the training range T 5..12")]
    [InlineData(1, 4, "H90 and Hexact: not defined, the range ends at T = 4, below the training range's smallest T 5 (they count from it); no evaluated T in the training range T 5..12")]
    public void TheSummaryNamesWhatWasPlayed(int from, int to, string expected)
    {
        var table = new EvaluationTable([.. Enumerable.Range(from, to - from + 1).Select(t => new EvaluationRow(t, 4, 10, 10, 1, 0, 0, 0, 0))]);
        Assert.Equal(expected, GridTime.Training.Evaluation.RunEvaluation.Summary(table, 5, 12));
    }

    [Fact]
    public void AHorizonOfNoneSaysWhichTBrokeItsRule()
    {
        // T = 5 earns 7.4 of 10 with 46% exact: neither horizon is reached; T = 6 onwards would pass.
        var table = new EvaluationTable([new EvaluationRow(5, 100, 7.4, 10, 0.46, 30, 24, 0, 1.2), .. Enumerable.Range(6, 7).Select(t => new EvaluationRow(t, 100, 10, 10, 1, 0, 0, 0, 0))]);
        Assert.StartsWith(
            "H90 = none (T = 5 earns 0.74 of the best, below 0.9), Hexact = none (T = 5 has 46% exact, below 50%); ",
            GridTime.Training.Evaluation.RunEvaluation.Summary(table, 5, 12));
    }

    [Fact]
    public void UndefinedFiguresReadNoneInTheTerminalTable()
    {
        // T 40: every episode timed out (no arrival, so no |t − T|); T 41: nothing could be earned (no fraction of best).
        var table = new EvaluationTable([new EvaluationRow(40, 10, 0, 10, 0, 0, 0, 10, double.NaN), new EvaluationRow(41, 10, 0, 0, 0.5, 5, 0, 5, 2.5)]);
        string[] lines = table.ToText().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(" 40    0.00  10.00  0.000   0.00      0     0     10   none", lines[1]);
        Assert.Equal(" 41    0.00   0.00   none   0.50      5     0      5   2.50", lines[2]);
        Assert.DoesNotContain("NaN", table.ToText());
    }
}
