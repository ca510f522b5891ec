using System.Globalization;
using GridTime.Agents;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Runs;
using static TorchSharp.torch;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class TrainingMonitorTests
{
    // One worker, so training is deterministic given its seed; the monitor plays T 5..15 at every other log row.
    private static readonly string[] Small =
    [
        "--agent", "counter", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--seed", "7",
        "--log-interval", "1000", "--checkpoint-interval", "2000", "--episode-log-every", "0",
    ];

    private static readonly string[] Monitoring = ["--monitor-interval", "2000", "--monitor-t-to", "15", "--monitor-episodes", "3"];

    private static byte[][] Weights(string run)
    {
        (CheckpointHeader _, ActorCritic network, SharedAdam optimizer) = Checkpoint.Load(new RunFolder(run).LatestCheckpoint);
        using (network)
        using (optimizer)
        {
            return [.. network.parameters().Select(p => p.data<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray())];
        }
    }

    // The eval/h90 and eval/hexact fields of each row of metrics.csv, by frames.
    private static Dictionary<long, (string H90, string HExact)> MonitorColumns(string run)
    {
        string[] lines = File.ReadAllLines(new RunFolder(run).MetricsFile);
        string[] header = lines[0].Split(',');
        int h90 = Array.IndexOf(header, "eval/h90"), hExact = Array.IndexOf(header, "eval/hexact");
        return lines.Skip(1).Select(l => l.Split(',')).ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => (f[h90], f[hExact]));
    }

    private static bool IsHorizon(string field) => field == "none" || (int.TryParse(field, CultureInfo.InvariantCulture, out int t) && t is >= 5 and <= 15);

    [Fact]
    public void MonitoringDoesNotChangeTheTrainedWeightsByOneBit()
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run(["train", "--run-dir", folder["plain"], "--frames", "6000", .. Small]);
        Assert.True(code == 0, error);
        (code, _, error) = Gridtime.Run(["train", "--run-dir", folder["monitored"], "--frames", "6000", .. Small, .. Monitoring]);
        Assert.True(code == 0, error);

        byte[][] plain = Weights(folder["plain"]), monitored = Weights(folder["monitored"]);
        Assert.Equal(plain.Length, monitored.Length);
        for (int p = 0; p < plain.Length; p++)
        {
            Assert.True(plain[p].AsSpan().SequenceEqual(monitored[p]), $"parameter {p} differs");
        }

        // The monitored run has horizons (a T or none) at 2000, 4000, 6000 and NaN on the other rows; the plain run only NaN.
        Dictionary<long, (string H90, string HExact)> rows = MonitorColumns(folder["monitored"]);
        Assert.Equal([1000L, 2000, 3000, 4000, 5000, 6000], rows.Keys.Order());
        Assert.All(rows.Where(r => r.Key % 2000 == 0), r => Assert.True(IsHorizon(r.Value.H90) && IsHorizon(r.Value.HExact), r.Value.ToString()));
        Assert.All(rows.Where(r => r.Key % 2000 != 0), r => Assert.Equal(("NaN", "NaN"), r.Value));
        Assert.All(MonitorColumns(folder["plain"]).Values, v => Assert.Equal(("NaN", "NaN"), v));
    }

    [Fact]
    public void AMonitoringEvaluationNearTheBudgetGoesIntoTheLastRow()
    {
        using var folder = new TemporaryFolder();
        // Updates of 20 frames: the monitoring evaluation at 2000 is 10 frames short of the budget, and the last row, at
        // 2020, takes it in rather than the run ending on a row of one update.
        (int code, _, string error) = Gridtime.Run(["train", "--run-dir", folder["run"], "--frames", "2010", .. Small, .. Monitoring]);
        Assert.True(code == 0, error);
        Dictionary<long, (string H90, string HExact)> rows = MonitorColumns(folder["run"]);
        Assert.Equal([1000L, 2020], rows.Keys.Order());
        Assert.True(IsHorizon(rows[2020].H90) && IsHorizon(rows[2020].HExact), rows[2020].ToString());
    }

    [Fact]
    public void AResumedRunMonitorsTheSameSchedule_AndGivesTheSameFiguresForTheSameWeights()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", run, "--frames", "4000", .. Small, .. Monitoring]).ExitCode);
        Dictionary<long, (string H90, string HExact)> first = MonitorColumns(run);
        (int code, _, string error) = Gridtime.Run(["train", "--resume", run, "--frames", "8000"]);
        Assert.True(code == 0, error);

        // Rows 1000..8000 once each; the figures at 2000 and 4000 (trained before the resume) are the first session's,
        // and 6000 and 8000 were monitored after it.
        Dictionary<long, (string H90, string HExact)> rows = MonitorColumns(run);
        Assert.Equal([1000L, 2000, 3000, 4000, 5000, 6000, 7000, 8000], rows.Keys.Order());
        Assert.Equal(first[2000], rows[2000]);
        Assert.Equal(first[4000], rows[4000]);
        Assert.All(new long[] { 6000, 8000 }, f => Assert.True(IsHorizon(rows[f].H90) && IsHorizon(rows[f].HExact), rows[f].ToString()));

        // The monitor's seed depends only on the run's seed: the same weights give the same figures whenever evaluated.
        var config = new TrainConfig { Agent = CoreKind.Counter, Hidden = 16, Seed = 7, MonitorInterval = 2000, MonitorTTo = 15, MonitorEpisodes = 3 };
        (CheckpointHeader _, ActorCritic network, SharedAdam optimizer) = Checkpoint.Load(new RunFolder(run).LatestCheckpoint);
        using (network)
        using (optimizer)
        using (var monitor = new GridTime.Training.Evaluation.TrainingMonitor(config, network.Options))
        {
            Assert.Equal(monitor.Evaluate(network, optimizer.Lock, default), monitor.Evaluate(network, optimizer.Lock, default));
        }
    }

    [Theory]
    [InlineData("--monitor-interval", "1500", "--monitor-interval must be 0 (none) or a multiple of --log-interval 1000")]
    [InlineData("--monitor-t-to", "11", "--monitor-t-to must be at least --max-t 12")]
    [InlineData("--monitor-episodes", "0", "--monitor-episodes must be at least 1 and at most 1000")]
    [InlineData("--monitor-t-to", "100000", "steps per monitoring evaluation, more than 2000000")]
    public void BadMonitorSettingsFailWithOneLine(string flag, string value, string expected)
    {
        using var folder = new TemporaryFolder();
        string[] monitor = flag == "--monitor-interval" ? [flag, value] : ["--monitor-interval", "1000", flag, value];
        (int code, _, string error) = Gridtime.Run(["train", "--run-dir", folder["run"], "--frames", "1000", .. Small, .. monitor]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(folder["run"]));
    }
}
