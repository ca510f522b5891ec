using GridTime.Cli;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

[Collection(ConsoleCollection.Name)]
public sealed class ResumeRepairTests
{
    [Fact]
    public void ADamagedLatestCheckpointFallsBackToThePreviousGoodOneAndSaysSo()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 1200)).ExitCode);
        var files = new RunFolder(run);
        string newestPeriodic = Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal).Last();
        long periodicFrames = Checkpoint.Verify(newestPeriodic).Frames;
        byte[] latest = File.ReadAllBytes(files.LatestCheckpoint);
        File.WriteAllBytes(files.LatestCheckpoint, latest[..(latest.Length / 2)]);

        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "2000");
        Assert.True(code == 0, error);
        Assert.Contains("latest.ckpt is damaged or truncated", error);
        Assert.Contains($"resuming from the previous checkpoint, {newestPeriodic}", error);
        Assert.Equal(latest[..(latest.Length / 2)], File.ReadAllBytes(files.LatestCheckpoint + ".damaged"));
        Assert.True(Checkpoint.Verify(files.LatestCheckpoint).Frames >= 2000);

        // The metrics rows logged after the checkpoint that was resumed from were dropped, so frames never repeat.
        long[] frames = [.. File.ReadAllLines(files.MetricsFile).Skip(1).Select(line => long.Parse(line.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(frames.Order().Distinct(), frames);
        Assert.Contains(frames, f => f <= periodicFrames);
    }

    [Fact]
    public void ADamagedConfigJsonIsKeptAsideAndWrittenAgainFromTheCheckpoint()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 500)).ExitCode);
        var files = new RunFolder(run);
        File.WriteAllText(files.ConfigFile, "{ \"hidden\": 16, \"workers");

        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "1000");
        Assert.True(code == 0, error);
        Assert.Contains("config.json is not valid", error);
        Assert.Equal("{ \"hidden\": 16, \"workers", File.ReadAllText(files.ConfigFile + ".damaged"));
        Assert.Equal(16, Settings<TrainConfig>.ReadFile(files.ConfigFile, RunFolder.RecordKeys).Hidden);
    }

    [Fact]
    public void WhenEveryCheckpointIsDamagedResumeRefusesAndTouchesNothing()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 500)).ExitCode);
        var files = new RunFolder(run);
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder))
        {
            File.WriteAllText(checkpoint, "not a checkpoint");
        }

        string metrics = File.ReadAllText(files.MetricsFile);
        (int code, string output, string error) = Gridtime.Run("train", "--resume", run, "--frames", "2000");
        Assert.Equal(Program.BadInput, code);
        Assert.Contains("no usable checkpoint", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(metrics, File.ReadAllText(files.MetricsFile));
        Assert.All(Directory.GetFiles(files.CheckpointFolder), f => Assert.Equal("not a checkpoint", File.ReadAllText(f)));
    }

    [Fact]
    public void MetricsRepairCutsATornLineAndRowsAfterTheCheckpointButKeepsEveryEarlierRow()
    {
        using var folder = new TemporaryFolder();
        string csv = folder["metrics.csv"];
        string[] rows = [MetricsLog.Header, "200,1.0,1", "400,2.0,1", "600,3.0,1"];
        File.WriteAllText(csv, string.Join("\n", rows) + "\n800,4.");

        IReadOnlyList<string> changes = MetricsLog.Repair(csv, resumeFrames: 400);
        Assert.Equal(2, changes.Count);
        Assert.Contains("torn last line", changes[0]);
        Assert.Contains("dropped 1 row logged after", changes[1]);
        Assert.Equal(string.Join("\n", rows[..3]) + "\n", File.ReadAllText(csv));
        Assert.Empty(MetricsLog.Repair(csv, resumeFrames: 400));
    }

    [Fact]
    public void ResumePointPrefersLatestThenTheNewestPeriodicCheckpoint()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 900)).ExitCode);
        var files = new RunFolder(run);
        ResumePoint point = ResumePoint.Find(files)!;
        Assert.Equal(files.LatestCheckpoint, point.Checkpoint);
        Assert.Empty(point.Skipped);

        File.Delete(files.LatestCheckpoint);
        point = ResumePoint.Find(files)!;
        Assert.Equal(Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal).Last(), point.Checkpoint);
        Assert.Null(ResumePoint.Find(new RunFolder(folder["nothing"])));
    }
}
