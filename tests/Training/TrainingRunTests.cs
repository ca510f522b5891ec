using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Runs;
using static TorchSharp.torch;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class TrainingRunTests
{
    private static readonly string[] Small =
    [
        "--hidden", "32", "--workers", "2", "--envs-per-worker", "4", "--steps", "5",
        "--log-interval", "1000", "--checkpoint-interval", "2000", "--episode-log-every", "1",
    ];

    // nac trains through GridTime's rollout pass without autograd (FastRolloutPass), nalu through autograd.
    [Theory]
    [InlineData("nac")]
    [InlineData("nalu")]
    public void AShortRunWritesEveryArtifact(string agent)
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = Gridtime.Run(["train", "--run-dir", run, "--agent", agent, "--frames", "4010", "--seed", "3", .. Small]);
        Assert.True(code == 0, error + output);

        var files = new RunFolder(run);
        string config = File.ReadAllText(files.ConfigFile);
        Assert.Contains("\"seed\": 3", config);
        Assert.Contains("\"torchsharp\"", config);
        Assert.Contains("\"gridtime\"", config);
        Assert.Contains("\"kernels\"", config);
        Assert.Contains("\"workers\": 2", config);

        Assert.True(File.Exists(files.LatestCheckpoint));
        Assert.True(File.Exists(files.PeriodicCheckpoint(2000)) || Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Length > 0);
        Assert.Empty(Directory.GetFiles(files.CheckpointFolder, "*.tmp"));

        string[] metrics = File.ReadAllLines(files.MetricsFile);
        Assert.Equal(["frames", "wall_seconds", .. MetricsLog.Names], metrics[0].Split(','));
        // A row for each of the 4 log intervals, however fast the run (workers wait while the row is written).
        Assert.True(metrics.Length >= 5, string.Join('\n', metrics));
        // The last row takes in the updates after the last log point (here 4000) instead of ending the run on a row of a
        // few updates: it covers at least a log interval.
        long[] rowFrames = [.. metrics.Skip(1).Select(row => long.Parse(row.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.True(rowFrames[^1] >= 4010 && rowFrames[^1] - rowFrames[^2] >= 1000, string.Join('\n', metrics));
        int memoryColumn = 2 + Array.IndexOf(MetricsLog.Names, "charts/resident_memory_mb");
        Assert.All(metrics.Skip(1), row => Assert.InRange(double.Parse(row.Split(',')[memoryColumn], System.Globalization.CultureInfo.InvariantCulture), 50, 20_000));

        Assert.NotEmpty(Directory.GetFiles(files.TensorBoardFolder, "events.out.tfevents.*"));

        EpisodeLog log = EpisodeLogReader.Read(files.EpisodeLog(0));
        Assert.Null(log.TruncatedAt);
        Assert.NotEmpty(log.Records);
        EpisodeRecord first = log.Records[0];
        Assert.Equal("run", first.Run);
        Assert.Equal(agent, first.Agent);
        Assert.InRange(first.Instruction, 5, 12);
        Assert.Equal(first.Instruction + 10, first.Timeout);
        Assert.All(first.Steps, s => Assert.Equal(1f, s.Probabilities.Sum(), 3));
        Assert.Equal(first.Steps[^1].Agent == first.Target, first.ArrivalTime is not null);
    }

    [Fact]
    public void ResumeContinuesTheFrameCountAndRestoresTheOptimizer()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", run, "--frames", "2000", .. Small]).ExitCode);
        var files = new RunFolder(run);
        (CheckpointHeader before, ActorCritic network, var optimizer) = Checkpoint.Load(files.LatestCheckpoint);
        long stepsBefore = optimizer.StepCount;
        Tensor momentBefore = optimizer.Moments[0].clone();
        Assert.InRange(before.Frames, 2000, 2100);
        Assert.True(stepsBefore > 0);
        Assert.True(momentBefore.abs().sum().item<float>() > 0);

        // The restored optimizer holds exactly the saved moments.
        (_, _, var reloaded) = Checkpoint.Load(files.LatestCheckpoint);
        Assert.True(reloaded.Moments[0].allclose(momentBefore, rtol: 0, atol: 0));
        Assert.Equal(stepsBefore, reloaded.StepCount);

        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "4000");
        Assert.True(code == 0, error);
        (CheckpointHeader after, _, var resumed) = Checkpoint.Load(files.LatestCheckpoint);
        Assert.InRange(after.Frames, 4000, 4100);
        Assert.True(resumed.StepCount > stepsBefore);
        Assert.True(after.WallSeconds > before.WallSeconds);
        long[] rows = [.. File.ReadAllLines(files.MetricsFile).Skip(1).Select(l => long.Parse(l.Split(',')[0]))];
        Assert.Equal(rows.Order(), rows);
        Assert.Contains(rows, f => f > 2100);
        Assert.Equal(2, File.ReadAllLines(files.MetricsFile).Count(l => l.StartsWith("frames,", StringComparison.Ordinal)) + 1);
        network.Dispose();
    }

    [Fact]
    public void AnInterruptedRunWritesAFinalCheckpoint()
    {
        using var folder = new TemporaryFolder();
        var files = new RunFolder(folder["run"]);
        files.Create();
        var config = new TrainConfig { Hidden = 32, Workers = 2, EnvsPerWorker = 4, Steps = 5, Frames = 10_000_000, CheckpointInterval = 1_000_000 };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        TrainingOutcome outcome = Trainer.Run(config, files, SessionStart.NewRun(), stop.Token, TextWriter.Null);
        Assert.True(outcome.Interrupted);
        Assert.True(outcome.Frames > 0);
        Assert.Equal(outcome.Frames, Checkpoint.Verify(files.LatestCheckpoint).Frames);
    }

    [Fact]
    public void LearningHappensOnASmallSetting()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        string[] setting = ["--grid-size", "3", "--min-t", "2", "--max-t", "4", "--hidden", "64", "--workers", "2", "--envs-per-worker", "16",
            "--steps", "10", "--learning-rate", "1e-3", "--seed", "5", "--episode-log-every", "0", "--log-interval", "20000"];
        var rules = new GridWorldOptions { Size = 3, MinInstruction = 2, MaxInstruction = 4 };
        using var untrained = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Hidden = 64, Seed = 5 });
        double before = MeanFraction(untrained, rules);

        (int code, _, string error) = Gridtime.Run(["train", "--run-dir", run, "--frames", "150000", .. setting]);
        Assert.True(code == 0, error);
        (_, ActorCritic trained, var optimizer) = Checkpoint.Load(new RunFolder(run).LatestCheckpoint);
        double after = MeanFraction(trained, rules);
        Assert.True(after > before + 0.25, $"fraction of best: untrained {before:F3}, trained {after:F3}");
        trained.Dispose();
        optimizer.Dispose();
    }

    private static double MeanFraction(ActorCritic network, GridWorldOptions rules)
    {
        double reward = 0, best = 0;
        for (int t = rules.MinInstruction; t <= rules.MaxInstruction; t++)
        {
            foreach (EvaluationEpisode e in PolicyEvaluator.Run(network, rules, t, 100, 99, greedy: false))
            {
                reward += e.Reward;
                best += e.BestAchievableReward;
            }
        }

        return reward / best;
    }
}
