using GridTime.Agents;
using GridTime.Cli;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

/// <summary>Settings, their bounds, which of them are fixed on resume, and the metrics are each defined once.</summary>
public sealed class SettingsDefinedOnceTests
{
    [Fact]
    public void TheSettingsMarkedFixedOnResumeAreTheOnesThatShapeTheNetworkOrTheTask()
    {
        Assert.Equal(["Agent", "GridSize", "MinT", "MaxT", "MaxReward", "RewardShape", "InstructionShown", "AgentStart", "Hidden", "ArithmeticWidth", "ArithmeticInput", "TimeLeftCap", "TimeLeftGradient", "TimeLeftReadout", "Seed"], ResumePlan.FixedSettings);
        Assert.True(ResumePlan.IsFixed("max-reward"));
        Assert.False(ResumePlan.IsFixed("learning-rate"));
    }

    [Fact]
    public void HelpSaysWhichFlagsAreFixedWhenResuming()
    {
        var options = new ConfigBinding<TrainConfig>().Options.ToDictionary(o => o.Name, o => o.Description ?? "");
        Assert.EndsWith("[default: 1] (fixed when resuming)", options["--seed"]);
        Assert.EndsWith("[default: 5] (fixed when resuming)", options["--grid-size"]);
        Assert.EndsWith("[default: 0.0005]", options["--learning-rate"]);
        Assert.Equal(15, options.Values.Count(d => d.Contains("(fixed when resuming)", StringComparison.Ordinal)));
    }

    [Fact]
    public void TheTaskAndNetworkDefaultsAreTheOptionsRecordsDefaults()
    {
        var config = new TrainConfig();
        Assert.Equal(new GridTime.Environment.GridWorldOptions(), config.World);
        Assert.Equal(new AgentOptions(), config.Network);
        Assert.Equal((5, 5, 12, 10), (config.GridSize, config.MinT, config.MaxT, config.MaxReward));
        Assert.Equal((CoreKind.Nac, 256, 8, 1UL), (config.Agent, config.Hidden, config.ArithmeticWidth, config.Seed));
    }

    [Theory]
    [InlineData(1, 5, 12, 10, 256, 8, "--grid-size: the grid size must be 2..56, got 1")]
    [InlineData(5, 0, 12, 10, 256, 8, "--min-t: the smallest instruction T must be 1..1000000, got 0")]
    [InlineData(5, 5, 1000001, 10, 256, 8, "--max-t: the largest instruction T must be 1..1000000, got 1000001")]
    [InlineData(5, 9, 8, 10, 256, 8, "--max-t: the T range 9..8 is empty")]
    [InlineData(5, 5, 12, 0, 256, 8, "--max-reward: the arrival reward m must be 1..1000000, got 0")]
    [InlineData(5, 5, 12, 10, 8193, 8, "--hidden: the hidden width must be at least 1 and at most 8192, got 8193")]
    [InlineData(5, 5, 12, 10, 256, 0, "--arithmetic-width: the arithmetic width must be at least 1 and at most 1024, got 0")]
    public void TheOptionsRecordsBoundsAreReportedUnderTheFlags(int size, int minT, int maxT, int m, int hidden, int width, string problem)
    {
        var config = new TrainConfig { GridSize = size, MinT = minT, MaxT = maxT, MaxReward = m, Hidden = hidden, ArithmeticWidth = width };
        Assert.Equal(problem, Assert.Single(config.Problems()));
        string reason = problem[(problem.IndexOf(": ", StringComparison.Ordinal) + 2)..];
        string thrown = problem.StartsWith("--hidden", StringComparison.Ordinal) || problem.StartsWith("--arithmetic", StringComparison.Ordinal)
            ? Assert.Throws<ArgumentException>(() => config.Network.Validate()).Message
            : Assert.Throws<ArgumentException>(() => config.World.Validate()).Message;
        Assert.Equal(reason, thrown);
    }

    [Fact]
    public void EachMetricIsOneEntryAndTheHeaderIsUnchanged()
    {
        Assert.Equal(
            "frames,wall_seconds,charts/episodes,charts/mean_reward,charts/fraction_of_best,charts/exact_arrival_rate,charts/mean_episode_length,charts/frames_per_second,"
            + "charts/resident_memory_mb,losses/policy_loss,losses/value_loss,losses/entropy,losses/grad_norm,losses/skipped_updates,losses/time_left,losses/nau_sparsity,eval/h90,eval/hexact",
            MetricsLog.Header);
        var totals = new GridTime.Training.A3C.IntervalTotals
        {
            Episodes = 4,
            Reward = 30,
            BestReward = 40,
            ExactArrivals = 1,
            Steps = 50,
            Updates = 2,
            SkippedUpdates = 3,
            PolicyLoss = 1,
            ValueLoss = 6,
            Entropy = 3,
            GradientNorm = 10,
            TimeLeftLoss = 6,
            TimeLeftUpdates = 2,
            NauSparsity = 0.5,
            NauUpdates = 2,
        };
        var inputs = new MetricInputs(totals, FramesPerSecond: 250, ResidentMegabytes: 99);
        Assert.Equal([4, 7.5, 0.75, 0.25, 12.5, 250, 99, 0.5, 3, 1.5, 5, 3, 3, 0.25, double.NaN, double.NaN], MetricsLog.Metrics.Select(m => m.Value(inputs)));
        // An agent without a time-left estimate or NAUs: those two are undefined (empty in TensorBoard), not 0.
        Assert.True(double.IsNaN((totals with { TimeLeftUpdates = 0, NauUpdates = 0 }).MeanTimeLeftLoss));
        inputs = inputs with { Monitor = new MonitorHorizons(17, null) };
        Assert.Equal([17, MetricsLog.NoHorizon], MetricsLog.Metrics.Skip(14).Select(m => m.Value(inputs)));
    }
}
