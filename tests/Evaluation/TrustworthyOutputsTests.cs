using System.Security.Cryptography;
using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Plots;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.A3C;
using GridTime.Cli.Commands;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Tests.Evaluation;

/// <summary>Issue 17, outputs: whole outputs, provenance, locks and refusals of eval, reproduce and replay.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrustworthyOutputsTests
{
    private static readonly string[] Outputs = [RunFolder.EvalCsvName, RunFolder.EvalPlotName, RunFolder.EvalOutcomesName, RunFolder.EvalEpisodesName];

    // A run folder holding a checkpoint of a freshly initialised small network, with a run id.
    private static RunFolder UntrainedRun(TemporaryFolder folder, string name = "run")
    {
        var run = new RunFolder(folder[name]);
        run.Create();
        var config = new TrainConfig { Hidden = 16, Workers = 1 };
        var network = new ActorCritic(config.Network);
        var shared = new SharedTraining(config, network, new SharedAdam(network.parameters(), 0.9, 0.999, 1e-8), 1234, run.Name) { RunId = "run-id-for-test" };
        Checkpoint.Save(shared, 0, run.LatestCheckpoint);
        return run;
    }

    private static string[] Eval(RunFolder run, params string[] more) =>
        ["eval", "--run", run.Path, "--t-from", "2", "--t-to", "5", "--episodes", "4", "--select-last", "1", .. more];

    private static Dictionary<string, byte[]> Snapshot(RunFolder run) =>
        Outputs.ToDictionary(name => name, name => File.ReadAllBytes(Path.Combine(run.Path, name)));

    internal static void MakeFifo(string path)
    {
        using var process = System.Diagnostics.Process.Start("mkfifo", [path])!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    private static string[] TemporaryFiles(string folder) =>
        [.. Directory.GetFileSystemEntries(folder, "*.tmp-*", SearchOption.AllDirectories)];

    [Fact]
    public void EvalRecordsItsProvenanceInEveryOutput()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(run.LatestCheckpoint)));
        (int code, string output, string error) = Gridtime.Run(Eval(run, "--seed", "7", "--greedy"));
        Assert.True(code == 0, error);
        Assert.Contains($"provenance: run run (id run-id-for-test), checkpoints/latest.ckpt sha256 {sha}, 1234 frames; greedy actions, eval seed 7, T 2..5, 4 episodes per T; GridTime ", output);

        string[] csv = File.ReadAllLines(Path.Combine(run.Path, RunFolder.EvalCsvName));
        Assert.StartsWith(string.Join(',', EvaluationTable.Columns) + ",run,run_id,checkpoint,checkpoint_sha256,checkpoint_frames,eval_seed,actions,t_from,t_to,t_list,episodes_per_t,gridtime_version", csv[0]);
        Assert.Equal(5, csv.Length);
        Assert.All(csv.Skip(1), row => Assert.EndsWith($",run,run-id-for-test,checkpoints/latest.ckpt,{sha},1234,7,greedy,2,5,,4,{RunFolder.Versions["gridtime"]}", row));
        Assert.Equal([2, 3, 4, 5], EvaluationTable.FromCsv(string.Join('\n', csv), "eval.csv").Rows.Select(r => r.Instruction));

        string? caption = CurvePlot.ReadText(File.ReadAllBytes(Path.Combine(run.Path, RunFolder.EvalPlotName)), CurvePlot.CaptionKeyword);
        Assert.NotNull(caption);
        Assert.Contains($"run run (id run-id-for-test), checkpoints/latest.ckpt sha256 {sha[..12]}, 1234 frames; greedy actions, eval seed 7", caption);
        byte[] png = File.ReadAllBytes(Path.Combine(run.Path, RunFolder.EvalPlotName));
        Assert.Equal("checkpoint checkpoints/latest.ckpt (1,234 frames); 4 episodes per T; greedy actions", CurvePlot.ReadText(png, CurvePlot.SubtitleKeyword));
        Assert.Equal("2,3,4,5", CurvePlot.ReadText(png, CurvePlot.XTicksKeyword));
        Assert.StartsWith("-0.", CurvePlot.ReadText(png, CurvePlot.YRangeKeyword)); // 0 and a sliver below it
        byte[] outcomes = File.ReadAllBytes(Path.Combine(run.Path, RunFolder.EvalOutcomesName));
        Assert.Equal(CurvePlot.ReadText(png, CurvePlot.SubtitleKeyword), CurvePlot.ReadText(outcomes, CurvePlot.SubtitleKeyword));
        Assert.Equal(caption, CurvePlot.ReadText(outcomes, CurvePlot.CaptionKeyword));

        EpisodeLog episodes = EpisodeLogReader.Read(Path.Combine(run.Path, RunFolder.EvalEpisodesName));
        Assert.Equal(16, episodes.Records.Count);
        Assert.All(episodes.Records, r =>
        {
            Assert.Equal("run", r.Run);
            Assert.Equal("run-id-for-test", r.RunId);
            Assert.Equal(1234, r.Frames);
            Assert.Equal("checkpoints/latest.ckpt", r.Checkpoint);
            Assert.Equal(sha, r.CheckpointSha256);
            Assert.Equal(7UL, r.Seed);
        });
    }

    [Fact]
    public void EpisodeRecordsWithoutProvenanceReadAsBefore()
    {
        var record = new EpisodeRecord { Run = "r", GridSize = 5, Instruction = 3 };
        byte[] bytes = EpisodeLogFormat.Encode(record);
        Assert.DoesNotContain("checkpointSha256", System.Text.Encoding.UTF8.GetString(bytes));
        var reader = new MessagePack.MessagePackReader(bytes);
        EpisodeRecord read = EpisodeLogFormat.Decode(ref reader);
        Assert.Equal("", read.CheckpointSha256);
        Assert.Equal("", read.RunId);

        var stamped = record with { RunId = "id", Checkpoint = "checkpoints/x.ckpt", CheckpointSha256 = "ab" };
        var again = new MessagePack.MessagePackReader(EpisodeLogFormat.Encode(stamped));
        EpisodeRecord back = EpisodeLogFormat.Decode(ref again);
        Assert.Equal(("id", "checkpoints/x.ckpt", "ab"), (back.RunId, back.Checkpoint, back.CheckpointSha256));
    }

    [Fact]
    public void AnUncheckedCheckpointIsEvaluatedWithAWarning()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        byte[] whole = File.ReadAllBytes(run.LatestCheckpoint);
        byte[] old = whole[..^32];
        "GTCKPT01"u8.CopyTo(old);
        File.WriteAllBytes(run.LatestCheckpoint, old);
        (int code, _, string error) = Gridtime.Run(Eval(run));
        Assert.True(code == 0, error);
        Assert.Contains("gridtime: warning: ", error);
        Assert.Contains("GTCKPT01", error);
    }

    [Fact]
    public void CheckpointMeansExactlyThatFile()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        string file = run.PeriodicCheckpoint(1234);
        File.Copy(run.LatestCheckpoint, file);
        (int code, _, string error) = Gridtime.Run("eval", "--run", run.Path, "--checkpoint", file, "--t-to", "3", "--episodes", "2");
        Assert.True(code == 0, error);
        Assert.Contains($",checkpoints/{Path.GetFileName(file)},", File.ReadAllLines(Path.Combine(run.Path, RunFolder.EvalCsvName))[1]);

        Assert.Equal(0, Gridtime.Run("eval", "--run", run.Path, "--checkpoint", file, "--select-last", "1", "--t-to", "3", "--episodes", "2").ExitCode);
        (code, _, error) = Gridtime.Run("eval", "--run", run.Path, "--checkpoint", file, "--select-last", "3", "--t-to", "3", "--episodes", "2");
        Assert.Equal(2, code);
        Assert.Contains("--select-last cannot be combined with --checkpoint", error);
    }

    [Theory]
    [InlineData("directory")]
    [InlineData("symlink")]
    [InlineData("fifo")]
    public void AnOutputThatIsNotARegularFileIsRefusedBeforeAnythingIsWritten(string kind)
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        string csv = Path.Combine(run.Path, RunFolder.EvalCsvName);
        string elsewhere = folder["elsewhere.csv"];
        File.WriteAllText(elsewhere, "keep");
        switch (kind)
        {
            case "directory": Directory.CreateDirectory(csv); break;
            case "symlink": File.CreateSymbolicLink(csv, elsewhere); break;
            default: MakeFifo(csv); break;
        }

        (int code, _, string error) = Gridtime.Run(Eval(run));
        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(RunFolder.EvalCsvName, error);
        Assert.False(File.Exists(Path.Combine(run.Path, RunFolder.EvalPlotName)));
        Assert.False(File.Exists(Path.Combine(run.Path, RunFolder.EvalOutcomesName)));
        Assert.False(File.Exists(Path.Combine(run.Path, RunFolder.EvalEpisodesName)));
        Assert.False(File.Exists(Path.Combine(run.Path, RunLock.EvalFileName)));
        Assert.Equal("keep", File.ReadAllText(elsewhere));
        Assert.Empty(TemporaryFiles(folder.Path));
    }

    [Fact]
    public void AFailedWriteLeavesThePreviousSetIntactAndNoTemporaryFiles()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        Assert.Equal(0, Gridtime.Run(Eval(run, "--seed", "1")).ExitCode);
        Dictionary<string, byte[]> before = Snapshot(run);

        // The plot's temporary file cannot be created (a directory has its name): the write fails after the
        // episodes and the table were written to their temporary files.
        string blocked = OutputFile.TemporaryPath(Path.Combine(run.Path, RunFolder.EvalPlotName));
        Directory.CreateDirectory(Path.Combine(blocked, "inside"));
        (int code, _, string error) = Gridtime.Run(Eval(run, "--seed", "2"));
        Assert.True(code == 1, error);
        Assert.StartsWith("gridtime: cannot write", error);
        Assert.Equal(before, Snapshot(run));
        Assert.Equal([blocked], TemporaryFiles(folder.Path));
        Assert.False(File.Exists(Path.Combine(run.Path, RunLock.EvalFileName)));
    }

    [Fact]
    public void ASecondEvalOfTheSameRunIsRefusedNamingTheHolder()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        using (RunLock.Acquire(run.Path, RunLock.EvalFileName))
        {
            (int code, _, string error) = Gridtime.Run(Eval(run));
            Assert.Equal(2, code);
            Assert.Contains($"process {System.Environment.ProcessId}", error);
            Assert.False(File.Exists(Path.Combine(run.Path, RunFolder.EvalCsvName)));
        }

        // An eval beside a training run is allowed: the locks are separate.
        using (RunLock.Acquire(run.Path))
        {
            Assert.Equal(0, Gridtime.Run(Eval(run)).ExitCode);
        }

        Assert.False(File.Exists(Path.Combine(run.Path, RunLock.EvalFileName)));
    }

    [Theory]
    [InlineData(RunFolder.EvalPlotName)]
    [InlineData(RunFolder.EvalOutcomesName)]
    public void TheCombinedPlotIsCheckedBeforeAnyRunIsEvaluated(string name)
    {
        using var folder = new TemporaryFolder();
        RunFolder first = UntrainedRun(folder, "a"), second = UntrainedRun(folder, "b");
        Directory.CreateDirectory(Path.Combine(folder["out"], name));
        (int code, _, string error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "3", "--episodes", "2", "--out", folder["out"]);
        Assert.Equal(2, code);
        Assert.Contains("combined plot", error);
        Assert.False(File.Exists(Path.Combine(first.Path, RunFolder.EvalCsvName)));
    }

    [Fact]
    public void SelectionLoadsTheBytesItRead()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(run.LatestCheckpoint)));
        IReadOnlyList<CheckpointFile> candidates = CheckpointSelection.Candidates(run, 4);

        // Training replaces latest.ckpt after the candidates were read: what is scored and chosen is what was read.
        File.WriteAllBytes(run.LatestCheckpoint, [1, 2, 3]);
        IReadOnlyList<CheckpointScore> ranked = CheckpointSelection.Rank(candidates, 2, 1);
        Assert.Equal(sha, ranked[0].File.Sha256);
        using ActorCritic network = RunLoading.Network(ranked[0].File);
    }

    [Fact]
    public void ReplayRefusesToOverwriteItsInputOrWriteThroughLinksDevicesAndFolders()
    {
        using var folder = new TemporaryFolder();
        string log = folder["log.msgpack"];
        using (var writer = new EpisodeLogWriter(log))
        {
            writer.Append(new EpisodeRecord { GridSize = 5, Instruction = 3, Timeout = 10, MaxReward = 10, AgentStart = new Cell(0, 0), Target = new Cell(4, 4) });
        }

        byte[] before = File.ReadAllBytes(log);
        string kept = folder["kept.gif"];
        File.WriteAllText(kept, "keep");
        File.CreateSymbolicLink(folder["link.gif"], kept);
        Directory.CreateDirectory(folder["folder.gif"]);
        MakeFifo(folder["fifo.gif"]);
        foreach (string target in new[] { log, folder["link.gif"], folder["folder.gif"], folder["fifo.gif"], "/dev/null" })
        {
            (int code, _, string error) = Gridtime.Run("replay", log, "--out", target);
            Assert.True(code == 2, $"{target}: {code} {error}");
            Assert.Single(error.Trim().Split('\n'));
        }

        Assert.Equal(before, File.ReadAllBytes(log));
        Assert.Equal("keep", File.ReadAllText(kept));
        Assert.Equal(FileKind.Fifo, FileStatus.Of(folder["fifo.gif"], followLinks: false)!.Value.Kind);
        Assert.Equal(FileKind.Device, FileStatus.Of("/dev/null", followLinks: false)!.Value.Kind);
        Assert.Empty(TemporaryFiles(folder.Path));

        Assert.Equal(0, Gridtime.Run("replay", log, "--out", folder["fine.gif"]).ExitCode);
        Assert.Empty(TemporaryFiles(folder.Path));
    }
}
