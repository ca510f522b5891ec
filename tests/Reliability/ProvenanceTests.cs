using System.Globalization;
using System.Text.Json.Nodes;
using GridTime.Agents;
using GridTime.Tests.Sweeps;
using GridTime.Tests.Training;
using GridTime.Training.Runs;
using static TorchSharp.torch;

namespace GridTime.Tests.Reliability;

/// <summary>Issue 17's resume and provenance cases: each failed (exit 0 with a wrong or untraceable result) before.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ProvenanceTests
{
    // One worker: a session's weights depend only on the checkpoint and the settings.
    // Ends with the NAC width (which the baseline does not have: Small[..^2] leaves it out).
    private static readonly string[] Small = ["--workers", "1", "--hidden", "16", "--envs-per-worker", "4", "--steps", "5", "--log-interval", "200", "--episode-log-every", "0", "--arithmetic-width", "2"];

    private static string[] Train(string run, long frames, params string[] more) =>
        ["train", "--run-dir", run, "--frames", frames.ToString(CultureInfo.InvariantCulture), .. Small, .. more];

    [Fact]
    public void ACheckpointOfAnotherRunIsRefusedAndNothingIsWritten()
    {
        using var folder = new TemporaryFolder();
        string a = folder["a"], b = folder["b"];
        Assert.Equal(0, Gridtime.Run(Train(a, 1000, "--checkpoint-interval", "400")).ExitCode);
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", b, "--frames", "300", "--agent", "baseline", "--grid-size", "7", .. Small[..^2]]).ExitCode);
        File.Copy(new RunFolder(b).LatestCheckpoint, new RunFolder(a).LatestCheckpoint, overwrite: true);
        Dictionary<string, byte[]> before = FolderSnapshot.Take(a);

        (int code, string output, string error) = Gridtime.Run("train", "--resume", a, "--frames", "1500");
        Assert.Equal(2, code);
        Assert.Contains("belongs to another run", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("", output);
        FolderSnapshot.AssertUnchanged(before, a);
    }

    [Fact]
    public void ACheckpointWithoutRunIdThatDoesNotMatchConfigJsonIsRefused()
    {
        // Checkpoints of an older GridTime have no run id: the settings in config.json still tell them apart.
        using var folder = new TemporaryFolder();
        string a = folder["a"];
        Assert.Equal(0, Gridtime.Run(Train(a, 300)).ExitCode);
        var files = new RunFolder(a);
        JsonObject config = JsonNode.Parse(File.ReadAllText(files.ConfigFile))!.AsObject();
        config.Remove(RunFolder.RunKey);
        config["hidden"] = 32;
        File.WriteAllText(files.ConfigFile, config.ToJsonString());
        (int code, _, string error) = Gridtime.Run("train", "--resume", a, "--frames", "600");
        Assert.Equal(2, code);
        Assert.Contains("hidden is 32 there but 16", error);
    }

    [Fact]
    public void ASettingGivenOnResumeAppliesAtOnceAndIsRecorded()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 400)).ExitCode);
        string plain = folder["plain"], again = folder["again"], scaled = folder["scaled"];
        foreach (string copy in new[] { plain, again, scaled })
        {
            CopyFolder(run, copy);
        }

        Assert.Equal(0, Gridtime.Run("train", "--resume", plain, "--frames", "800").ExitCode);
        Assert.Equal(0, Gridtime.Run("train", "--resume", again, "--frames", "800").ExitCode);
        (int code, _, string error) = Gridtime.Run("train", "--resume", scaled, "--frames", "800", "--nac-learning-rate-scale", "1000", "--adam-epsilon", "0.001");
        Assert.True(code == 0, error);

        // Two plain resumes agree to the bit, so a difference is the setting's doing.
        float[] Weights(string r)
        {
            (_, ActorCritic network, var optimizer) = Checkpoint.Load(new RunFolder(r).LatestCheckpoint);
            using (network)
            using (optimizer)
            {
                return [.. network.parameters().SelectMany(p => p.data<float>().ToArray())];
            }
        }

        Assert.Equal(Weights(plain), Weights(again));
        Assert.NotEqual(Weights(plain), Weights(scaled));

        JsonObject config = JsonNode.Parse(File.ReadAllText(new RunFolder(scaled).ConfigFile))!.AsObject();
        JsonArray changes = config[RunFolder.RunKey]!["changes"]!.AsArray();
        Assert.Contains(changes, c => (string?)c!["setting"] == "nac-learning-rate-scale" && (string?)c["to"] == "1000" && (long)c["frames"]! >= 400);
        Assert.Contains(changes, c => (string?)c!["setting"] == "adam-epsilon" && (string?)c["from"] == "1E-08" && (string?)c["to"] == "0.001");
        Assert.Contains(changes, c => (string?)c!["setting"] == "frames" && (string?)c["to"] == "800");
        Assert.Equal(1000, (double)config["nacLearningRateScale"]!);

        // The checkpoint carries the history too, so a damaged config.json loses none of it.
        Assert.Equal(3, Checkpoint.Verify(new RunFolder(scaled).LatestCheckpoint).Changes.Count);
    }

    [Fact]
    public void AConfigJsonEditedByHandIsRefusedUnlessTheFlagSaysTheSame()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 300)).ExitCode);
        var files = new RunFolder(run);
        string original = File.ReadAllText(files.ConfigFile);
        File.WriteAllText(files.ConfigFile, original.Replace("\"learningRate\": 0.0005", "\"learningRate\": 0.002", StringComparison.Ordinal));

        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "600");
        Assert.Equal(2, code);
        Assert.Contains("edited by hand", error);
        Assert.Contains("--learning-rate 0.002", error);
        Assert.Single(error.Trim().Split('\n'));

        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "600", "--learning-rate", "0.002");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("config.json holds settings", error); // the advice followed: no warning about it
        Assert.Equal(0.002, Checkpoint.Verify(files.LatestCheckpoint).Config.LearningRate);

        File.WriteAllText(files.ConfigFile, File.ReadAllText(files.ConfigFile).Replace("\"hidden\": 16", "\"hidden\": 64", StringComparison.Ordinal));
        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "900");
        Assert.Equal(2, code);
        Assert.Contains("hidden shapes the network", error);
    }

    [Fact]
    public void ASettingThatShapesTheNetworkMayBeGivenAgainOnResumeButNotChanged()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 200)).ExitCode);
        var files = new RunFolder(run);
        byte[] before = File.ReadAllBytes(files.ConfigFile);

        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "400", "--hidden", "32", "--agent", "nac");
        Assert.Equal(2, code);
        Assert.Contains("--hidden cannot change when resuming (it shapes the network or the task): the run has 16, not 32", error);
        Assert.Equal(before, File.ReadAllBytes(files.ConfigFile));

        // Given again with the run's own values (a script that always passes them): resumed, no change recorded.
        (code, string output, error) = Gridtime.Run("train", "--resume", run, "--frames", "400", "--hidden", "16", "--agent", "nac", "--seed", "1");
        Assert.True(code == 0, error);
        Assert.Equal(["frames"], files.ReadConfig()!.Value.Record!.Changes.Select(change => change.Setting));
        Assert.DoesNotContain("hidden", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AResumeThatChangesAFixedSettingIsToldThatFirst()
    {
        // A reward-only timer run: changing its agent, or what trains its readout, is named as the change it is, not
        // as what the other agent lacks or what the other gradient would leave untrained.
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", run, "--frames", "200", .. Small[..^2], "--agent", "timer", "--time-left-readout", "difference", "--time-left-loss", "0", "--time-left-gradient", "all"]).ExitCode);
        foreach ((string[] flags, string message) in new[]
        {
            (new[] { "--agent", "nac" }, "gridtime: --agent cannot change when resuming (it shapes the network or the task): the run has timer, not nac"),
            (["--time-left-gradient", "time-left-loss"], "gridtime: --time-left-gradient cannot change when resuming (it shapes the network or the task): the run has all, not time-left-loss"),
        })
        {
            (int code, _, string error) = Gridtime.Run(["train", "--resume", run, "--frames", "400", .. flags]);
            Assert.Equal(2, code);
            Assert.Equal(message, error.Trim());
        }
    }

    [Fact]
    public void ARunKilledBeforeItsFirstCheckpointResumesFromFrameZero()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", run, "--frames", "600", .. Small[..^4], "--arithmetic-width", "2", "--episode-log-every", "1"]).ExitCode);
        var files = new RunFolder(run);
        string runId = Checkpoint.Verify(files.LatestCheckpoint).RunId!;

        // What kill -9 before the first checkpoint leaves: config.json, metrics and logs, no checkpoint.
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder))
        {
            File.Delete(checkpoint);
        }

        (int code, _, string error) = Gridtime.Run(Train(run, 600));
        Assert.Equal(2, code);
        Assert.Contains("--resume", error);

        (code, _, error) = Gridtime.Run("train", "--resume", run);
        Assert.True(code == 0, error);
        Assert.Contains("starting it again from frame 0", error);
        CheckpointHeader header = Checkpoint.Verify(files.LatestCheckpoint);
        Assert.InRange(header.Frames, 600, 700);
        Assert.Equal(runId, header.RunId);
        long[] rows = [.. File.ReadAllLines(files.MetricsFile).Skip(1).Select(l => long.Parse(l.Split(',')[0], CultureInfo.InvariantCulture))];
        Assert.Equal(rows.Distinct().Order(), rows);

        // The session from frame 0 plays the same episodes again (same seed): the dead session's are all gone.
        var records = GridTime.Environment.Episodes.EpisodeLogReader.Read(files.EpisodeLog(0)).Records;
        Assert.NotEmpty(records);
        Assert.Equal(records.Count, records.Select(r => (r.Episode, r.Frames, r.Instruction, r.AgentStart, r.Target)).Distinct().Count());
    }

    [Fact]
    public void ARunWhoseCheckpointsWereRemovedAfterItsFirstIsNotRestartedFromZero()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 600, "--checkpoint-interval", "400")).ExitCode);
        var files = new RunFolder(run);
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder))
        {
            File.Delete(checkpoint);
        }

        string metrics = File.ReadAllText(files.MetricsFile);
        (int code, _, string error) = Gridtime.Run("train", "--resume", run);
        Assert.Equal(2, code);
        Assert.Contains($"--resume: {run} has no checkpoint left, yet its metrics.csv records training to ", error);
        Assert.Contains("past its first checkpoint (due at 400; removed or moved?)", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(metrics, File.ReadAllText(files.MetricsFile)); // nothing dropped

        // Only the row logged where the first checkpoint was due (written just before it): the checkpoint's write may have
        // failed, so there may never have been one; the run starts again from frame 0.
        string[] lines = File.ReadAllLines(files.MetricsFile);
        int firstDue = Array.FindIndex(lines, 1, l => long.Parse(l.Split(',')[0], CultureInfo.InvariantCulture) >= 400);
        File.WriteAllLines(files.MetricsFile, lines[..(firstDue + 1)]);
        (code, _, error) = Gridtime.Run("train", "--resume", run);
        Assert.True(code == 0, error);
        Assert.Contains("starting it again from frame 0", error);
    }

    [Fact]
    public void ACopiedRunContinuesUnderANewIdAndTheOriginalRefusesItsCheckpoints()
    {
        using var folder = new TemporaryFolder();
        string original = folder["original"], copy = folder["copy of it"];
        Assert.Equal(0, Gridtime.Run(Train(original, 300, "--checkpoint-interval", "200")).ExitCode);
        string originalId = Checkpoint.Verify(new RunFolder(original).LatestCheckpoint).RunId!;
        CopyFolder(original, copy);

        (int code, _, string error) = Gridtime.Run("train", "--resume", copy, "--frames", "600");
        Assert.True(code == 0, error);
        Assert.Contains($"forked from {originalId}", error);
        string copyId = Checkpoint.Verify(new RunFolder(copy).LatestCheckpoint).RunId!;
        Assert.NotEqual(originalId, copyId);

        // The original goes on under its own id and does not take the copy's new checkpoints for its own.
        Assert.Equal(0, Gridtime.Run("train", "--resume", original, "--frames", "600").ExitCode);
        Assert.Equal(originalId, Checkpoint.Verify(new RunFolder(original).LatestCheckpoint).RunId);
        (code, _, error) = Gridtime.Run("eval", "--run", original, "--checkpoint", new RunFolder(copy).LatestCheckpoint, "--t-to", "3", "--episodes", "2");
        Assert.Equal(2, code);
        Assert.Contains("belongs to another run", error);

        // The copy still owns the checkpoints it was copied with (its ancestor's).
        Assert.Equal(0, Gridtime.Run("eval", "--run", copy, "--checkpoint", Directory.GetFiles(new RunFolder(copy).CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal).First(), "--t-to", "3", "--episodes", "2").ExitCode);
    }

    [Fact]
    public void ResumeTakesAPeriodicCheckpointNewerThanLatest()
    {
        // As a full disk leaves it: frames-N.ckpt written, latest.ckpt still the one before.
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 1200, "--checkpoint-interval", "400")).ExitCode);
        var files = new RunFolder(run);
        string[] periodic = [.. Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal)];
        File.Copy(periodic[0], files.LatestCheckpoint, overwrite: true);

        ResumePoint point = ResumePoint.Find(files)!;
        Assert.Equal(periodic[^1], point.Checkpoint);
        Assert.False(point.LatestDamaged);
        Assert.Empty(point.Skipped);
        Assert.Empty(point.Prepare(files));
        Assert.True(File.Exists(files.LatestCheckpoint));
    }

    [Fact]
    public void ASettingChangeIsAnnouncedOnlyOnceRecorded()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 300)).ExitCode);
        string config = File.ReadAllText(new RunFolder(run).ConfigFile);
        using (RunLock.Acquire(run))
        {
            (int code, string output, string error) = Gridtime.Run("train", "--resume", run, "--frames", "600", "--learning-rate", "0.001");
            Assert.Equal(2, code);
            Assert.Contains("in use by", error);
            Assert.DoesNotContain("recorded in", output);
        }

        Assert.Equal(config, File.ReadAllText(new RunFolder(run).ConfigFile));
    }

    [Theory]
    [InlineData("runs/a", "runs/a")]
    [InlineData("copy of A", "'copy of A'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    public void CommandLinesQuoteWhatAShellWouldSplit(string argument, string quoted) =>
        Assert.Equal(quoted, GridTime.Training.Files.CommandLine.Quote(argument));

    [Theory]
    [InlineData(-0.0004f, "+0.000")]
    [InlineData(0.0004f, "+0.000")]
    [InlineData(-0.0126f, "-0.013")]
    [InlineData(0.9996f, "+1.000")]
    public void InspectPrintsAWeightThatRoundsToZeroAsPlusZero(float weight, string shown) =>
        Assert.Equal(shown, GridTime.Cli.Commands.InspectCommand.Show(weight));

    [Fact]
    public void AfterResumeTensorBoardHasOnePointPerStepAndAgreesWithMetricsCsv()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 1200, "--checkpoint-interval", "400")).ExitCode);
        var files = new RunFolder(run);

        // As after kill -9 at 1200 frames whose last checkpoints were lost: training from 400 is redone.
        File.Delete(files.LatestCheckpoint);
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Where(f => Checkpoint.Verify(f).Frames > 500))
        {
            File.Delete(checkpoint);
        }

        Assert.Contains(TensorBoardEvents.Read(files.TensorBoardFolder), p => p.Step > 500);
        Dictionary<long, double> before = TensorBoardEvents.Events(files.TensorBoardFolder).Where(e => e.Scalars.Count > 0).ToDictionary(e => e.Step, e => e.WallTime);
        Thread.Sleep(1100); // a back-computed wall time would now differ from the original by more than rounding
        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "1200");
        Assert.True(code == 0, error);

        // The rows kept from before the resume carry the wall times they were first written with.
        var after = TensorBoardEvents.Events(files.TensorBoardFolder).Where(e => e.Scalars.Count > 0 && e.Step <= 400).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, e => Assert.Equal(before[e.Step], e.WallTime));
        Assert.DoesNotContain(Directory.GetDirectories(run), d => Path.GetFileName(d).StartsWith("tb.", StringComparison.Ordinal));

        var points = TensorBoardEvents.Read(files.TensorBoardFolder).Where(p => p.Tag == "charts/frames_per_second").ToList();
        string[] rows = [.. File.ReadAllLines(files.MetricsFile).Skip(1)];
        Assert.Equal(points.Select(p => p.Step).Distinct().Count(), points.Count);
        Assert.Equal(rows.Length, points.Count);
        int column = 2 + Array.IndexOf(MetricsLog.Names, "charts/frames_per_second");
        foreach (string row in rows)
        {
            string[] fields = row.Split(',');
            long step = long.Parse(fields[0], CultureInfo.InvariantCulture);
            float logged = points.Single(p => p.Step == step).Value;
            Assert.Equal(double.Parse(fields[column], CultureInfo.InvariantCulture), logged, 1e-5 * Math.Max(1, Math.Abs(logged)));
        }
    }

    [Fact]
    public void AfterResumeEpisodeLogsHoldEachStretchOfTrainingOnce()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        string[] logged = ["--workers", "1", "--hidden", "16", "--envs-per-worker", "4", "--steps", "5", "--log-interval", "200", "--episode-log-every", "1", "--arithmetic-width", "2"];
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", run, "--frames", "1200", "--checkpoint-interval", "400", .. logged]).ExitCode);
        var files = new RunFolder(run);
        File.Delete(files.LatestCheckpoint);
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Where(f => Checkpoint.Verify(f).Frames > 500))
        {
            File.Delete(checkpoint);
        }

        long resumedAt = Checkpoint.Verify(Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Single()).Frames;
        Assert.Contains(GridTime.Environment.Episodes.EpisodeLogReader.Read(files.EpisodeLog(0)).Records, r => r.Frames > resumedAt);
        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "1200");
        Assert.True(code == 0, error);
        Assert.Contains("episode records played after the checkpoint", error);

        // One worker: its records' frame counts never go back, as they would if the redone stretch were logged twice.
        long[] frames = [.. GridTime.Environment.Episodes.EpisodeLogReader.Read(files.EpisodeLog(0)).Records.Select(r => r.Frames)];
        Assert.Equal(frames.Order(), frames);
        Assert.Contains(frames, f => f > resumedAt);
    }

    [Fact]
    public void AChecksummedCheckpointRelabelledAsUncheckedIsRefused()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 300)).ExitCode);
        var files = new RunFolder(run);
        byte[] bytes = File.ReadAllBytes(files.LatestCheckpoint);
        "GTCKPT01"u8.CopyTo(bytes);
        bytes[bytes.Length / 2] ^= 0x40;
        string relabelled = folder["relabelled.ckpt"];
        File.WriteAllBytes(relabelled, bytes);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(relabelled));
        Assert.Contains(relabelled, error.Message);
        (int code, _, string message) = Gridtime.Run("inspect", "--checkpoint", relabelled);
        Assert.Equal(2, code);
        Assert.Single(message.Trim().Split('\n'));
    }

    [Fact]
    public void ReproduceRefusesCellsTrainedWithOtherSettingsAndWritesNothing()
    {
        using var folder = new TemporaryFolder();
        string root = folder["cmp"];
        string[] tiny = ["reproduce", "--run-dir", root, "--agents", "baseline", "--workers", "1", "--envs-per-worker", "4", "--steps", "5",
            "--t-to", "3", "--episodes", "2", "--select-last", "1", "--episode-log-every", "0"];
        (int code, string output, string error) = Gridtime.Run([.. tiny, "--hidden", "16", "--frames", "300"]);
        Assert.True(code == 0, error + output);
        Dictionary<string, byte[]> before = FolderSnapshot.Take(root);

        (code, output, error) = Gridtime.Run([.. tiny, "--hidden", "64", "--grid-size", "7", "--max-t", "8", "--frames", "300"]);
        Assert.Equal(2, code);
        Assert.Contains("baseline-s1 planned with other settings", error);
        Assert.Single(error.Trim().Split('\n'));
        FolderSnapshot.AssertUnchanged(before, root);

        string summary = File.ReadAllText(Path.Combine(root, "summary.md"));
        Assert.Contains("hidden 16", summary);
        Assert.Contains(Checkpoint.Read(new RunFolder(Path.Combine(root, "baseline-s1")).LatestCheckpoint).Sha256, summary);

        // A second reproduce into the same folder while one runs is refused.
        using (RunLock.Acquire(root, RunLock.SweepFileName))
        {
            (code, _, error) = Gridtime.Run([.. tiny, "--hidden", "16", "--frames", "300"]);
            Assert.Equal(2, code);
            Assert.Contains("one sweep or reproduce per folder", error);
        }

        // A larger budget is not another setting: the cell trains on.
        (code, output, error) = Gridtime.Run([.. tiny, "--hidden", "16", "--frames", "600"]);
        Assert.True(code == 0, error + output);
        Assert.Contains("resuming at", output);
    }

    [Fact]
    public void AnEpisodeLogWithoutChecksumsIsReplayedWithAWarning()
    {
        // A schema 1 record (older GridTime): the same map without its crc32 key.
        byte[] bytes = GridTime.Environment.Episodes.EpisodeLogFormat.Encode(GridTime.Tests.Rendering.ReplayTests.Episode(3, 8) with { Schema = 1 });
        int crc = bytes.AsSpan().LastIndexOf("crc32"u8) - 1;
        Assert.Equal(0xA5, bytes[crc]);
        Assert.Equal(0xDE, bytes[0]);
        byte[] schemaOne = bytes[..crc];
        int keys = (schemaOne[1] << 8) | schemaOne[2];
        schemaOne[1] = (byte)((keys - 1) >> 8);
        schemaOne[2] = (byte)(keys - 1);
        using var folder = new TemporaryFolder();
        File.WriteAllBytes(folder["old.msgpack"], schemaOne);

        (int code, _, string error) = Gridtime.Run("replay", folder["old.msgpack"], "--out", folder["old.gif"]);
        Assert.True(code == 0, error);
        Assert.Contains("1 records of schema 1 (older GridTime) carry no checksum", error);
        Assert.True(File.Exists(folder["old.gif"]));
    }

    [Fact]
    public void EvalRefusesACheckpointOfAnotherRunAndFindsTheRunOfItsOwn()
    {
        using var folder = new TemporaryFolder();
        string a = folder["a"], b = folder["b"];
        Assert.Equal(0, Gridtime.Run(Train(a, 300)).ExitCode);
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", b, "--frames", "300", "--agent", "baseline", "--grid-size", "7", .. Small[..^2]]).ExitCode);
        string[] evaluation = ["--t-to", "3", "--episodes", "2"];
        Assert.Equal(0, Gridtime.Run(["eval", "--run", a, "--select-last", "1", .. evaluation]).ExitCode);
        Dictionary<string, byte[]> before = FolderSnapshot.Take(a);

        (int code, _, string error) = Gridtime.Run(["eval", "--run", a, "--checkpoint", new RunFolder(b).LatestCheckpoint, .. evaluation]);
        Assert.Equal(2, code);
        Assert.Contains("belongs to another run", error);
        Assert.Single(error.Trim().Split('\n'));
        FolderSnapshot.AssertUnchanged(before, a);

        // Without --run, a checkpoint is evaluated into the run whose checkpoints/ folder holds it.
        (code, string output, error) = Gridtime.Run(["eval", "--checkpoint", new RunFolder(b).LatestCheckpoint, .. evaluation]);
        Assert.True(code == 0, error);
        Assert.Contains(Checkpoint.Read(new RunFolder(b).LatestCheckpoint).Sha256, File.ReadAllText(Path.Combine(b, "eval.csv")));
        Assert.Contains("provenance:", output);

        // A checkpoint given as the run, or a folder given as the checkpoint, is named for what it is.
        (code, _, error) = Gridtime.Run(["eval", "--run", new RunFolder(a).LatestCheckpoint, .. evaluation]);
        Assert.Equal(2, code);
        Assert.Contains("is a file, not a folder (a checkpoint? give it with --checkpoint)", error);
        (code, _, error) = Gridtime.Run("inspect", "--checkpoint", a);
        Assert.Equal(2, code);
        Assert.Contains("is a folder, not a checkpoint file", error);

        // Every command that takes a run and a checkpoint follows the same rule (RunLoading.Resolve): inspect and
        // export refuse another run's checkpoint as eval does; inspect reads a checkpoint given alone.
        foreach (string[] command in new[] { new[] { "inspect" }, ["export", "--onnx", folder["b.onnx"]] })
        {
            (code, _, error) = Gridtime.Run([.. command, "--run", a, "--checkpoint", new RunFolder(b).LatestCheckpoint]);
            Assert.True(code == 2, $"{command[0]}: exit {code}: {error}");
            Assert.Contains("belongs to another run", error);
            Assert.Single(error.Trim().Split('\n'));
        }

        Assert.False(File.Exists(folder["b.onnx"]));
        (code, output, error) = Gridtime.Run("inspect", "--checkpoint", new RunFolder(b).LatestCheckpoint);
        Assert.True(code == 0, error);
        Assert.Contains("agent baseline", output);
    }

    [Fact]
    public void AStaleEvalLockIsTakenOverWithAWarning()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(Train(run, 300)).ExitCode);

        // As kill -9 during an eval leaves it: a process that no longer runs.
        File.WriteAllText(Path.Combine(run, RunLock.EvalFileName), $"pid=999999\nstart=1\nhost={System.Environment.MachineName}\n");
        (int code, _, string error) = Gridtime.Run("eval", "--run", run, "--select-last", "1", "--t-to", "3", "--episodes", "2");
        Assert.True(code == 0, error);
        Assert.Contains("warning: took over eval.lock of run from process 999999", error);
        Assert.False(File.Exists(Path.Combine(run, RunLock.EvalFileName)));
    }

    [Fact]
    public void OrdinaryMistakesAreNamedForWhatTheyAre()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(["train", "--run-dir", run, "--frames", "300", "--episode-log-every", "1", .. Small[..^4], "--arithmetic-width", "2"]).ExitCode);
        string log = new RunFolder(run).EpisodeLog(0);

        (int code, _, string error) = Gridtime.Run("replay", log, "--out", Path.Combine(folder["missing"], "x.gif"));
        Assert.Equal(2, code);
        Assert.Contains($"the folder {folder["missing"]} does not exist", error);

        (code, _, error) = Gridtime.Run("replay", log, "--out", folder["x.gif"], "--fps", "0");
        Assert.Equal(2, code);
        Assert.Contains("--fps must be 0.01 to 100, got 0", error);

        (code, _, error) = Gridtime.Run(Train(folder["big"], 300, "--checkpoint-interval", "1e30"));
        Assert.Equal(2, code);
        Assert.Contains("--checkpoint-interval: 1e30 is far too large", error);

        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "100");
        Assert.Equal(2, code);
        Assert.Contains("give a larger --frames", error);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
