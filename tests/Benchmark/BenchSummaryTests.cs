using GridTime.Training.Benchmark;

namespace GridTime.Tests.Benchmark;

public sealed class BenchSummaryTests
{
    // Compare setting, 2 cores: nac 1,000 -> 1,500 frames/s (10 -> 15 GFLOP/s), timer 2,000 -> 3,200 (12 -> 18).
    private static readonly TrainingSpeed[] Speeds =
    [
        Speed("nac", 1, 1000, 10, [0.02]),
        Speed("nac", 2, 1500, 15, [0.37]),
        Speed("timer", 1, 2000, 12, [0.05]),
        Speed("timer", 2, 3200, 18, [0.00]),
    ];

    [Fact]
    public void AgentComparisonGivesSharesWithTheirUnits()
    {
        Assert.Equal(
            [
                "agents with 2 workers, as a share of the fastest (3,200 frames/s): nac 0.47, timer 1.00",
                "agents with 2 workers, per FLOP (GFLOP/s as a share of the most efficient, 18.0 GFLOP/s): nac 0.83, timer 1.00",
                "1 -> 2 workers: nac 1.50x, timer 1.60x",
            ],
            BenchSummary.AgentComparison(Speeds, 2));
        Assert.Equal("1 -> 2 workers: nac 1.50x, timer 1.60x; the product alone on all cores at once: 1.84x", BenchSummary.AgentComparison(Speeds, 2, matmulScaling: 1.84)[^1]);
    }

    [Fact]
    public void ScalingGivesTheRangeOfEachRoundsRatio()
    {
        // Three rounds of nac: 1 worker 1,000, 800, 1,100 (median 1,000); 2 workers 1,900, 1,720, 2,000 (median 1,900).
        // Ratio of the medians 1.90; round by round 1.90, 2.15, 1.818...: the range 1.82-2.15. The timer's one round
        // has no range.
        TrainingSpeed[] speeds =
        [
            Speeds[0] with { FramesPerSecondRuns = [1000, 800, 1100] },
            Speeds[1] with { FramesPerSecond = 1900, FramesPerSecondRuns = [1900, 1720, 2000] },
            Speeds[2],
            Speeds[3],
        ];
        Assert.Equal("1 -> 2 workers: nac 1.90x (rounds 1.82-2.15), timer 1.60x", BenchSummary.AgentComparison(speeds, 2)[^1]);
        Assert.EndsWith("nac 2 workers / 1 worker = 1.90x (rounds 1.82-2.15)", BenchSummary.Headline(Report(speeds, othersMax: 0) with { ScalingAllCores = 1900.0 / 1000 }, "nac"));

        // One core: the one-worker entry is the all-cores entry, its ratio 1 by definition, and no range.
        TrainingSpeed[] oneCore = [speeds[0]];
        Assert.Equal("1 -> 1 workers: nac 1.00x", BenchSummary.AgentComparison(oneCore, 1)[^1]);
        Assert.EndsWith("nac 1 workers / 1 worker = 1.00x", BenchSummary.Headline(Report(oneCore, othersMax: 0) with { Cores = 1, ScalingAllCores = 1 }, "nac"));
    }

    [Fact]
    public void HeadlineNamesTheAgentOfEachFigure()
    {
        // Ceiling: timer's 18 GFLOP/s over 2 x 20 = 45 %, over 2 x libtorch's 10 = 90 %; scaling: nac's 1,500 / 1,000.
        BenchmarkReport report = Report(Speeds, othersMax: 0.37) with { CeilingFraction = 18.0 / 40, ScalingAllCores = 1.5 };
        Assert.Equal(
            "headline: timer with 2 workers reached 45.0 % of the 2-core matmul ceiling (90.0 % of 2 x libtorch's matmul); nac 2 workers / 1 worker = 1.50x",
            BenchSummary.Headline(report, "nac"));
        Assert.EndsWith("nac 2 workers / 1 worker = 1.50x; the product alone on all cores at once: 1.91x", BenchSummary.Headline(report with { MatmulScalingAllCores = 1.91 }, "nac"));
        Assert.Contains("(90.0 % of 2 x libtorch's matmul, 47.5 % at the machine's pace beside each run)", BenchSummary.Headline(report with { CeilingFractionAtPace = 0.475 }, "nac"));
        Assert.StartsWith("headline: timer with 2 workers reached 45.0 % of the 2-core matmul ceiling with every layer on every frame (90.0 %", BenchSummary.Headline(report with { FullWork = true }, "nac"));
    }

    [Fact]
    public void HeadlineNamesASettingOtherThanCompare()
    {
        TrainingSpeed[] speeds = [.. Speeds, Speed("gru", 1, 900, 30, [0.0]) with { Setting = "default" }];
        BenchmarkReport report = Report(speeds, othersMax: 0.37) with { CeilingFraction = 30.0 / 40, ScalingAllCores = 1.5 };
        Assert.StartsWith("headline: gru (default setting) with 1 worker reached 75.0 % of the 2-core matmul ceiling", BenchSummary.Headline(report, "nac"));
    }

    [Fact]
    public void ShareAtPaceHoldsEachRunToTheCeilingScaledByTheProductBesideIt()
    {
        // 10 GFLOP/s per 1,000 frames/s. Ceiling 20 per core; the product usually ran at 16. Runs with 2 workers:
        // 1,000 frames/s beside a product at 16 (the usual pace): 10 / (2 x 20) = 25 %; 1,200 beside 12 (a slow
        // minute, ceiling 15): 12 / 30 = 40 %; 1,500 beside 20: 15 / 50 = 30 %. Median 30 %.
        TrainingSpeed speed = Speed("nac", 2, 1200, 12, [0, 0, 0]) with { FramesPerSecondRuns = [1000, 1200, 1500], ProductGflopsBesideRuns = [16, 12, 20] };
        Assert.Equal(0.30, BenchSummary.ShareAtPace(speed, ceiling: 20, usualPace: 16), 12);

        // Two runs: the mean of the two shares, 25 % and 40 %.
        Assert.Equal(0.325, BenchSummary.ShareAtPace(speed with { FramesPerSecondRuns = [1000, 1200], ProductGflopsBesideRuns = [16, 12] }, 20, 16), 12);

        // Not measured, or one measurement missing: 0.
        Assert.Equal(0, BenchSummary.ShareAtPace(speed with { ProductGflopsBesideRuns = [] }, 20, 16));
        Assert.Equal(0, BenchSummary.ShareAtPace(speed with { ProductGflopsBesideRuns = [16, 12] }, 20, 16));
        Assert.Equal(0, BenchSummary.ShareAtPace(speed, 20, usualPace: 0));
    }

    [Fact]
    public void WarningNamesTheMostDisturbedMeasurement()
    {
        Assert.Equal(
            "warning: other processes used up to 37 % of the machine's CPU time during the measurements (most during training nac with 2 workers); these figures are not comparable with an idle machine's",
            BenchSummary.OthersWarning(Report(Speeds, othersMax: 0.37)));
    }

    [Fact]
    public void NoWarningOnAQuietMachineOrWithoutProc()
    {
        TrainingSpeed[] quiet = [.. Speeds.Select(s => s with { OthersCpuShareRuns = [0.08] })];
        Assert.Null(BenchSummary.OthersWarning(Report(quiet, othersMax: 0.08)));
        Assert.Null(BenchSummary.OthersWarning(Report(Speeds, othersMax: BenchSummary.BusyShare)));
        TrainingSpeed[] unread = [.. Speeds.Select(s => s with { OthersCpuShareRuns = null })];
        Assert.Null(BenchSummary.OthersWarning(Report(unread, othersMax: null)));
    }

    private static TrainingSpeed Speed(string agent, int workers, double fps, double gflops, double[] others) =>
        new("compare", workers, 32, 20, fps, gflops, [fps]) { Agent = agent, OthersCpuShareRuns = others };

    private static BenchmarkReport Report(TrainingSpeed[] speeds, double? othersMax) => new()
    {
        Cores = 2,
        MatmulGflopsOneCore = 20,
        MatmulGflopsLibtorch = 10,
        Training = speeds,
        OthersCpuShareMax = othersMax,
    };
}
