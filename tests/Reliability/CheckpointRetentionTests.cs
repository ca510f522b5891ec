using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridTime.Tests.Training;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

[Collection(ConsoleCollection.Name)]
public sealed class CheckpointRetentionTests
{
    private static string[] Periodic(RunFolder run) => [.. Directory.GetFiles(run.CheckpointFolder, "frames-*.ckpt").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public void ByDefaultTheNewestFourPeriodicCheckpointsAndLatestStay()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = Gridtime.Run(ReliabilityRuns.Train(run, frames: 2400, checkpointInterval: 200));
        Assert.True(code == 0, error);
        var files = new RunFolder(run);

        // A checkpoint every 200 frames: 12 were written, the four newest stay (frames counted in updates of 40).
        string[] kept = Periodic(files);
        Assert.Equal(4, kept.Length);
        long newest = Checkpoint.Verify(files.LatestCheckpoint).Frames;
        Assert.All(kept, name => Assert.InRange(long.Parse(name["frames-".Length..^".ckpt".Length], System.Globalization.CultureInfo.InvariantCulture), newest - 1000, newest));
        Assert.DoesNotContain("removed", output, StringComparison.Ordinal); // one at a time, as each new one is written
        // Each is named by the frames it holds (two workers: one may finish an update after the interval is seen), and the
        // last is latest.ckpt's bytes under a name that does not change when the run continues.
        Assert.All(kept, name => Assert.Equal(long.Parse(name["frames-".Length..^".ckpt".Length], System.Globalization.CultureInfo.InvariantCulture), Checkpoint.Verify(Path.Combine(files.CheckpointFolder, name)).Frames));
        Assert.Equal(File.ReadAllBytes(files.LatestCheckpoint), File.ReadAllBytes(Path.Combine(files.CheckpointFolder, kept[^1])));

        // eval chooses among them and resume continues from latest.ckpt.
        (code, output, error) = Gridtime.Run("eval", "--run", run, "--t-to", "6", "--episodes", "4");
        Assert.True(code == 0, error);
        Assert.Contains("among 4 checkpoints", output, StringComparison.Ordinal);
        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "2800");
        Assert.True(code == 0, error);
        Assert.Equal(4, Periodic(files).Length);
    }

    [Fact]
    public void ZeroKeepsEveryCheckpointAndALaterResumeKeepsTheSetting()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, _, string error) = Gridtime.Run([.. ReliabilityRuns.Train(run, frames: 1200, checkpointInterval: 200), "--keep-checkpoints", "0"]);
        Assert.True(code == 0, error);
        var files = new RunFolder(run);
        // One every 200 frames (named by the frames counted when it was written) and the last weights under their own
        // frames: none is removed.
        string[] first = Periodic(files);
        Assert.True(first.Length >= 6, string.Join(", ", first));

        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "1600");
        Assert.True(code == 0, error);
        string[] second = Periodic(files);
        Assert.Subset(second.ToHashSet(), first.ToHashSet());
        Assert.True(second.Length >= first.Length + 2, string.Join(", ", second));
        int before = second.Length;

        // Asked for on resume, the older ones go at the next checkpoint, and the output says so once.
        (code, string output, error) = Gridtime.Run("train", "--resume", run, "--frames", "2000", "--keep-checkpoints", "2");
        Assert.True(code == 0, error);
        Assert.Equal(2, Periodic(files).Length);
        Assert.Contains($"removed {before - 1} older checkpoints, keeping the newest 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingIsRemovedWhileTheNewestIsNotWhole()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run([.. ReliabilityRuns.Train(run, frames: 1200, checkpointInterval: 200), "--keep-checkpoints", "0"]).ExitCode);
        var files = new RunFolder(run);
        string[] all = Periodic(files);
        string newest = Path.Combine(files.CheckpointFolder, all[^1]);
        byte[] whole = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, whole[..(whole.Length / 2)]);

        Assert.Empty(CheckpointRetention.Prune(files, 2));
        Assert.Equal(all, Periodic(files));

        File.WriteAllBytes(newest, whole);
        IReadOnlyList<string> removed = CheckpointRetention.Prune(files, 2);
        Assert.Equal(all[..^2], removed.Select(Path.GetFileName));
        Assert.Equal(all[^2..], Periodic(files));
    }

    [Fact]
    public void AConfigJsonWrittenBeforeTheSettingExistedStillResumes()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 400)).ExitCode);
        var files = new RunFolder(run);

        // As an older GridTime wrote it: no keepCheckpoints key, hashed without it; and no checkpoint, so config.json is
        // all that resume has (and checks against its hash).
        DeleteCheckpoints(files);

        TrainConfig config = Settings<TrainConfig>.ReadFile(files.ConfigFile, RunFolder.RecordKeys);
        string older = JsonSerializer.Serialize(config, Settings<TrainConfig>.Json).Replace("  \"keepCheckpoints\": 4,\n", "", StringComparison.Ordinal);
        Assert.DoesNotContain("keepCheckpoints", older, StringComparison.Ordinal);
        JsonObject file = JsonNode.Parse(File.ReadAllText(files.ConfigFile))!.AsObject();
        file.Remove("keepCheckpoints");
        file["run"]!["settingsSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(older)));
        File.WriteAllText(files.ConfigFile, file.ToJsonString());

        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "800");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("edited by hand", error, StringComparison.Ordinal);

        // A hand edit of such a file is still noticed.
        DeleteCheckpoints(files);

        file["gamma"] = 0.5;
        File.WriteAllText(files.ConfigFile, file.ToJsonString());
        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "800");
        Assert.Equal(2, code);
        Assert.Contains("edited by hand", error, StringComparison.Ordinal);
    }

    // What a process killed before its first checkpoint leaves: no checkpoint, and no metrics row past one (a run whose
    // rows reach past a checkpoint it no longer holds is refused instead).
    private static void DeleteCheckpoints(RunFolder run)
    {
        foreach (string checkpoint in Directory.GetFiles(run.CheckpointFolder))
        {
            File.Delete(checkpoint);
        }

        File.Delete(run.MetricsFile);
    }
}
