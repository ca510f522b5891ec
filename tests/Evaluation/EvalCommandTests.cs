using GridTime.Agents;
using GridTime.Environment.Episodes;
using GridTime.Tests.Training;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Runs;
using SkiaSharp;

namespace GridTime.Tests.Evaluation;

[Collection(ConsoleCollection.Name)]
public sealed class EvalCommandTests
{
    // A run folder holding a checkpoint of a freshly initialised small network.
    private static RunFolder UntrainedRun(TemporaryFolder folder, TrainConfig? settings = null, string name = "run")
    {
        var run = new RunFolder(folder[name]);
        run.Create();
        TrainConfig config = settings ?? new TrainConfig { Hidden = 16, Workers = 1 };
        var network = new ActorCritic(config.Network);
        var shared = new SharedTraining(config, network, new SharedAdam(network.parameters(), 0.9, 0.999, 1e-8), 0, run.Name);
        Checkpoint.Save(shared, 0, run.LatestCheckpoint);
        return run;
    }

    [Fact]
    public void EvalWritesTheDocumentedCsvAPngAndTheEpisodes()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        (int code, string output, string error) = Gridtime.Run("eval", "--run", run.Path, "--t-from", "2", "--t-to", "7", "--episodes", "10", "--seed", "3");
        Assert.True(code == 0, error);
        Assert.Contains("H90 = ", output);

        string[] csv = File.ReadAllLines(Path.Combine(run.Path, "eval.csv"));
        Assert.Equal("T,episodes,mean_reward,mean_best_reward,fraction_of_best,exact_rate,early,late,timeout,mean_abs_arrival_error,exact_rate_low95,exact_rate_high95,"
            + "run,run_id,checkpoint,checkpoint_sha256,checkpoint_frames,eval_seed,actions,t_from,t_to,t_list,episodes_per_t,gridtime_version", csv[0]);
        Assert.Equal(7, csv.Length);
        EvaluationTable table = EvaluationTable.FromCsv(File.ReadAllText(Path.Combine(run.Path, "eval.csv")), "eval.csv");
        Assert.Equal([2, 3, 4, 5, 6, 7], table.Rows.Select(r => r.Instruction));
        Assert.All(table.Rows, r => Assert.Equal(10, r.Early + r.Late + r.Timeouts + (int)Math.Round(r.ExactRate * 10)));

        using SKBitmap png = SKBitmap.Decode(Path.Combine(run.Path, "eval.png"));
        Assert.True(png.Width >= 600 && png.Height >= 400);
        using SKBitmap outcomes = SKBitmap.Decode(Path.Combine(run.Path, "eval-outcomes.png"));
        Assert.Equal((png.Width, png.Height), (outcomes.Width, outcomes.Height));
        Assert.Contains($"wrote {run.Path}/eval.csv, eval.png, eval-outcomes.png, eval-episodes.msgpack", output);

        EpisodeLog episodes = EpisodeLogReader.Read(Path.Combine(run.Path, "eval-episodes.msgpack"));
        Assert.Equal(60, episodes.Records.Count);
        Assert.All(episodes.Records, r => Assert.Equal(-1, r.Worker));
    }

    [Fact]
    public void EvalAtChosenTValuesGivesPerTFiguresAndEpisodesThatEndAtTheirOwnTimeout()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        (int code, string output, string error) = Gridtime.Run("eval", "--run", run.Path, "--t-list", "200,3,40", "--episodes", "4");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("H90 = ", output);
        Assert.Contains("H90 and Hexact: not defined for chosen T values", output);
        Assert.Contains("T 3,40,200,", output);

        string[] csv = File.ReadAllLines(Path.Combine(run.Path, "eval.csv"));
        EvaluationTable table = EvaluationTable.FromCsv(string.Join('\n', csv), "eval.csv");
        Assert.Equal([3, 40, 200], table.Rows.Select(r => r.Instruction));
        int list = Array.IndexOf(csv[0].Split(','), "t_list"), from = Array.IndexOf(csv[0].Split(','), "t_from"), to = Array.IndexOf(csv[0].Split(','), "t_to");
        Assert.All(csv.Skip(1), row => Assert.Equal(("3;40;200", "3", "200"), (row.Split(',')[list], row.Split(',')[from], row.Split(',')[to])));

        // The paper's timeout L = T + m (m = 10) scales with T: an episode that never arrives at T = 200 lasts 210 steps.
        var episodes = EpisodeLogReader.Read(Path.Combine(run.Path, "eval-episodes.msgpack")).Records;
        Assert.Equal(12, episodes.Count);
        Assert.All(episodes, r => Assert.Equal(r.Instruction + 10, r.Timeout));
        Assert.All(episodes, r => Assert.InRange(r.Steps.Count, 1, r.Instruction + 10));
        EvaluationRow longest = table.Rows[^1];
        Assert.Equal(longest.Timeouts, episodes.Count(r => r.Instruction == 200 && r.Steps.Count == 210));
    }

    [Theory]
    [InlineData("0", "--t-list must be comma-separated whole numbers 1..1000000, got '0'")]
    [InlineData("5,x", "got 'x'")]
    [InlineData("5,7,5", "--t-list names T = 5 twice")]
    [InlineData("1000000", "may play 20000200 steps")]
    public void BadTListsFailWithOneLine(string list, string expected)
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        (int code, _, string error) = Gridtime.Run("eval", "--run", run.Path, "--t-list", list, "--episodes", "20", "--select-last", "1");
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(run.Path, "eval.csv")));

        (code, _, error) = Gridtime.Run("eval", "--run", run.Path, "--t-list", "5", "--t-to", "8");
        Assert.Equal(2, code);
        Assert.Contains("--t-list cannot be combined with --t-from or --t-to", error);
    }

    [Fact]
    public void EveryTIsPlayedFromTheSameStartPositions()
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        Assert.Equal(0, Gridtime.Run("eval", "--run", run.Path, "--t-from", "3", "--t-to", "5", "--episodes", "8").ExitCode);
        var byT = EpisodeLogReader.Read(Path.Combine(run.Path, "eval-episodes.msgpack")).Records.GroupBy(r => r.Instruction)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Episode).Select(r => (r.AgentStart, r.Target)).ToList());
        Assert.Equal(byT[3], byT[4]);
        Assert.Equal(byT[3], byT[5]);
    }

    [Fact]
    public void OutHoldingAnotherRunsEvaluationOrInsideARunIsRefused()
    {
        using var folder = new TemporaryFolder();
        string a = folder["a"], b = folder["b"], shared = folder["shared"];
        foreach (string run in new[] { a, b })
        {
            Assert.Equal(0, Gridtime.Run("train", "--run-dir", run, "--frames", "200", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--episode-log-every", "0").ExitCode);
        }

        Assert.Equal(0, Gridtime.Run("eval", "--run", a, "--t-to", "3", "--episodes", "2", "--out", shared).ExitCode);
        byte[] before = File.ReadAllBytes(Path.Combine(shared, "eval.csv"));
        (int code, _, string error) = Gridtime.Run("eval", "--run", b, "--t-to", "3", "--episodes", "2", "--out", shared);
        Assert.Equal(2, code);
        Assert.Contains($"--out {shared} holds the evaluation of another run (a, id ", error);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(shared, "eval.csv")));

        // The same run again replaces its own earlier evaluation there.
        Assert.Equal(0, Gridtime.Run("eval", "--run", a, "--t-to", "4", "--episodes", "2", "--out", shared).ExitCode);

        // An eval.csv there that is a FIFO is refused, never opened (opening it would wait for a writer forever).
        string fifo = folder["fifo"];
        Directory.CreateDirectory(fifo);
        TrustworthyOutputsTests.MakeFifo(Path.Combine(fifo, "eval.csv"));
        (code, _, error) = Gridtime.Run("eval", "--run", a, "--t-to", "3", "--episodes", "2", "--out", fifo);
        Assert.Equal(2, code);
        Assert.Contains("is a FIFO", error);

        (code, _, error) = Gridtime.Run("eval", "--run", a, "--t-to", "3", "--episodes", "2", "--out", Path.Combine(b, "checkpoints"));
        Assert.Equal(2, code);
        Assert.Contains($"is in the checkpoints/ folder of the run {b}", error);
    }

    [Fact]
    public void LatestIsNamedByThePeriodicCheckpointHoldingTheSameBytes()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run("train", "--run-dir", run, "--frames", "400", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5",
            "--checkpoint-interval", "200", "--episode-log-every", "0").ExitCode);
        var files = new RunFolder(run);

        // Training ends by writing its last weights as latest.ckpt and, the same bytes, frames-…400.ckpt; latest.ckpt
        // will be replaced when the run continues, so an evaluation names the other.
        Assert.Equal(File.ReadAllBytes(files.LatestCheckpoint), File.ReadAllBytes(files.PeriodicCheckpoint(400)));
        (int code, string output, string error) = Gridtime.Run("eval", "--run", run, "--t-to", "3", "--episodes", "2", "--select-last", "1");
        Assert.True(code == 0, error);
        Assert.Contains("checkpoints/frames-00000000400.ckpt sha256 ", output);
        string[] csv = File.ReadAllLines(Path.Combine(run, "eval.csv"));
        Assert.Equal("checkpoints/frames-00000000400.ckpt", csv[1].Split(',')[Array.IndexOf(csv[0].Split(','), "checkpoint")]);

        // Bytes under latest.ckpt that no periodic checkpoint holds: named as it is.
        File.Delete(files.PeriodicCheckpoint(400));
        (code, output, error) = Gridtime.Run("eval", "--run", run, "--t-to", "3", "--episodes", "2", "--select-last", "1");
        Assert.True(code == 0, error);
        Assert.Contains("checkpoints/latest.ckpt sha256 ", output);
    }

    [Fact]
    public void SeveralRunsGoOnOnePlot()
    {
        using var a = new TemporaryFolder();
        using var b = new TemporaryFolder();
        using var output = new TemporaryFolder();
        RunFolder first = UntrainedRun(a), second = UntrainedRun(b);
        (int code, string printed, string error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "6", "--episodes", "5", "--out", output.Path);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(output.Path, "eval.png")));
        Assert.Contains($"wrote {output.Path}/eval.png, {output.Path}/eval-outcomes.png", printed);
        // Each run's own evaluation goes into a folder of its own inside --out (both folders are called "run": numbered);
        // the runs' own folders are left as they were.
        foreach (string name in new[] { "eval.csv", "eval.png", "eval-outcomes.png", "eval-episodes.msgpack" })
        {
            Assert.False(File.Exists(Path.Combine(first.Path, name)), $"{name} written into the run folder {first.Path}");
            Assert.False(File.Exists(Path.Combine(second.Path, name)), $"{name} written into the run folder {second.Path}");
            Assert.True(File.Exists(Path.Combine(output.Path, "1-run", name)), name);
            Assert.True(File.Exists(Path.Combine(output.Path, "2-run", name)), name);
        }

        Assert.Contains($"wrote {output.Path}/1-run/eval.csv", printed);
        Assert.Contains($"wrote {output.Path}/2-run/eval.csv", printed);
        byte[] png = File.ReadAllBytes(Path.Combine(output.Path, "eval.png"));
        // Both folders are called "run": each is named by its path as given.
        string one = System.Text.RegularExpressions.Regex.Escape(first.Path), two = System.Text.RegularExpressions.Regex.Escape(second.Path);
        Assert.Matches($"^{one}: checkpoints/latest.ckpt sha256 [0-9a-f]{{12}} \\(0 frames\\); {two}: checkpoints/latest.ckpt sha256 [0-9a-f]{{12}} \\(0 frames\\); 5 episodes per T; sampled actions$",
            GridTime.Rendering.Plots.CurvePlot.ReadText(png, GridTime.Rendering.Plots.CurvePlot.SubtitleKeyword));
        Assert.Equal("1,2,3,4,5,6", GridTime.Rendering.Plots.CurvePlot.ReadText(png, GridTime.Rendering.Plots.CurvePlot.XTicksKeyword));

        // The outcomes of both runs: one panel each, under the plot's subtitle with the eval seed and version.
        byte[] outcomes = File.ReadAllBytes(Path.Combine(output.Path, "eval-outcomes.png"));
        Assert.Equal($"{first.Path}\n{second.Path}", GridTime.Rendering.Plots.CurvePlot.ReadText(outcomes, GridTime.Rendering.Plots.PanelGrid.PanelsKeyword));
        Assert.StartsWith(GridTime.Rendering.Plots.CurvePlot.ReadText(png, GridTime.Rendering.Plots.CurvePlot.SubtitleKeyword) + "; eval seed 1; GridTime ",
            GridTime.Rendering.Plots.CurvePlot.ReadText(outcomes, GridTime.Rendering.Plots.CurvePlot.SubtitleKeyword));
    }

    [Fact]
    public void SeveralRunsLeaveEachRunsOwnEvaluationAsItWas()
    {
        using var a = new TemporaryFolder();
        using var output = new TemporaryFolder();
        RunFolder first = UntrainedRun(a, name: "first");
        RunFolder second = UntrainedRun(a, name: "second");
        Assert.Equal(0, Gridtime.Run("eval", "--run", first.Path, "--t-to", "4", "--episodes", "3").ExitCode);
        Dictionary<string, byte[]> before = Directory.GetFiles(first.Path).ToDictionary(f => f, File.ReadAllBytes);
        (int code, _, string error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "6", "--episodes", "2", "--out", output.Path);
        Assert.True(code == 0, error);
        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(first.Path).Order());

        // An --out whose subfolder for a run would be that run's own folder is refused before any work.
        string parent = Path.GetDirectoryName(first.Path)!;
        (code, _, error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "3", "--episodes", "2", "--out", parent);
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: --out {parent} would put first's evaluation into its own run folder ({first.Path}); choose a folder outside the runs", error.TrimEnd('\n'));
        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));

        // Nor through a link to an input run, into a run's checkpoints/ or a new folder inside a run, or into another run.
        RunFolder third = UntrainedRun(a, name: "third");
        string link = a["link"];
        Directory.CreateSymbolicLink(link, first.Path);
        foreach ((string into, string message) in new[]
        {
            (link, "is the run folder first, one of the inputs"),
            (first.CheckpointFolder, "gridtime: --out "),
            (Path.Combine(first.Path, "eval.png"), "gridtime: --out "),
            (third.Path, "is the folder of another run"),
        })
        {
            (code, _, error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "3", "--episodes", "2", "--out", into);
            Assert.Equal(2, code);
            Assert.Contains(message, error);
        }

        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(first.Path).Order());
        Assert.Equal(["checkpoints"], Directory.GetDirectories(first.Path).Select(Path.GetFileName).Where(n => n != "episodes" && n != "tb"));
    }

    [Fact]
    public void ARunAndALinkToItAreTheSameRun()
    {
        using var a = new TemporaryFolder();
        RunFolder run = UntrainedRun(a);
        string link = a["link"];
        Directory.CreateSymbolicLink(link, run.Path);
        (int code, _, string error) = Gridtime.Run("eval", "--run", run.Path, "--run", link, "--t-to", "3", "--episodes", "2", "--out", a["out"]);
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: the same run folder is given twice with --run: {new RunFolder(link).Path} is {run.Path} under another name", error.TrimEnd('\n'));
        Assert.False(Directory.Exists(a["out"]));
    }

    [Fact]
    public void OutMayNotBeAnInputRunNorAnotherRun()
    {
        using var a = new TemporaryFolder();
        using var b = new TemporaryFolder();
        RunFolder first = UntrainedRun(a), second = UntrainedRun(b);
        (int code, _, string error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "3", "--episodes", "2", "--out", first.Path + "/");
        Assert.Equal(2, code);
        Assert.Contains($"--out {first.Path}/ is the run folder run, one of the inputs", error);
        (code, _, error) = Gridtime.Run("eval", "--run", first.Path, "--t-to", "3", "--episodes", "2", "--out", second.Path);
        Assert.Equal(2, code);
        Assert.Contains($"--out {second.Path} is the folder of another run: its own evaluation would be replaced by one of run", error);
        (code, _, error) = Gridtime.Run("eval", "--run", first.Path, "--t-to", "3", "--episodes", "2", "--out", first.LatestCheckpoint);
        Assert.Equal(2, code);
        Assert.Contains("is a file, not a folder", error);
        Assert.All(new[] { first.Path, second.Path }, run => Assert.False(File.Exists(Path.Combine(run, "eval.csv"))));
        Assert.False(File.Exists(Path.Combine(first.Path, "eval.png")));
    }

    [Fact]
    public void WithOutOneRunsEvaluationGoesThereAndTheRunsOwnStays()
    {
        using var a = new TemporaryFolder();
        RunFolder run = UntrainedRun(a);
        Assert.Equal(0, Gridtime.Run("eval", "--run", run.Path, "--t-to", "4", "--episodes", "2").ExitCode);
        Dictionary<string, byte[]> own = Directory.GetFiles(run.Path).ToDictionary(f => f, File.ReadAllBytes);

        // More T values for a run already evaluated (and compared): into a folder of their own.
        string extra = a["extra"];
        (int code, string output, string error) = Gridtime.Run("eval", "--run", run.Path, "--t-list", "20,30", "--episodes", "2", "--out", extra);
        Assert.True(code == 0, error);
        Assert.Contains($"wrote {extra}/eval.csv, eval.png, eval-outcomes.png, eval-episodes.msgpack", output);
        Assert.Equal(own.Keys.Order(), Directory.GetFiles(run.Path).Order());
        Assert.All(own, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
        Assert.Equal(["eval-episodes.msgpack", "eval-outcomes.png", "eval.csv", "eval.png"], Directory.GetFiles(extra).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Its rows name the run they evaluated and the checkpoint's bytes.
        string[] csv = File.ReadAllLines(Path.Combine(extra, "eval.csv"));
        string[] header = csv[0].Split(',');
        string[] first = csv[1].Split(',');
        Assert.Equal(2, csv.Length - 1);
        Assert.Equal("run", first[Array.IndexOf(header, "run")]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(run.LatestCheckpoint))), first[Array.IndexOf(header, "checkpoint_sha256")]);
        Assert.Equal("20", first[Array.IndexOf(header, "T")]);

        // A combined plot does not go into a folder holding one run's evaluation, nor one run's into a combined plot's folder.
        using var b = new TemporaryFolder();
        RunFolder second = UntrainedRun(b);
        Dictionary<string, byte[]> extraBefore = Directory.GetFiles(extra).ToDictionary(f => f, File.ReadAllBytes);
        (code, _, error) = Gridtime.Run("eval", "--run", run.Path, "--run", second.Path, "--t-to", "3", "--episodes", "2", "--out", extra);
        Assert.Equal(2, code);
        Assert.Contains($"--out {extra} holds one run's evaluation (eval.csv): the combined plot would replace its eval.png and eval-outcomes.png and leave its table", error);
        Assert.All(extraBefore, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
        string both = a["both"];
        Assert.Equal(0, Gridtime.Run("eval", "--run", run.Path, "--run", second.Path, "--t-to", "3", "--episodes", "2", "--out", both).ExitCode);
        (code, _, error) = Gridtime.Run("eval", "--run", run.Path, "--t-to", "3", "--episodes", "2", "--out", both);
        Assert.Equal(2, code);
        Assert.Contains($"--out {both} holds a combined plot of several runs (eval.png without eval.csv)", error);
        Assert.False(File.Exists(Path.Combine(both, "eval.csv")));

        // The run folder itself as --out is the default: the run's own evaluation.
        (code, _, error) = Gridtime.Run("eval", "--run", run.Path, "--t-to", "3", "--episodes", "2", "--out", run.Path + "/");
        Assert.True(code == 0, error);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run.Path, "eval.csv")).Length - 1);
    }

    [Fact]
    public void RunsOfDifferentTasksDoNotShareAPlot()
    {
        using var a = new TemporaryFolder();
        using var b = new TemporaryFolder();
        using var output = new TemporaryFolder();
        RunFolder first = UntrainedRun(a), second = UntrainedRun(b, new TrainConfig { Hidden = 16, Workers = 1, AgentStart = GridTime.Environment.StartCell.Centre });
        (int code, _, string error) = Gridtime.Run("eval", "--run", first.Path, "--run", second.Path, "--t-to", "6", "--episodes", "5", "--out", output.Path);
        Assert.Equal(2, code);
        Assert.Contains("run and run were trained under different rules (5x5, T 5..12, m 10, clipped reward, T shown every-step, random start against 5x5, T 5..12, m 10, clipped reward, T shown every-step, centre start)", error);
        Assert.False(File.Exists(Path.Combine(first.Path, "eval.csv")));
    }

    [Theory]
    [InlineData("--t-from", "0", "--t-from must be at least 1")]
    [InlineData("--t-to", "0", "--t-to at least --t-from")]
    [InlineData("--episodes", "0", "--episodes must be at least 1")]
    public void BadSettingsFail(string flag, string value, string expected)
    {
        using var folder = new TemporaryFolder();
        RunFolder run = UntrainedRun(folder);
        (int code, _, string error) = Gridtime.Run("eval", "--run", run.Path, flag, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(Path.Combine(run.Path, "eval.csv")));
    }

    [Fact]
    public void MissingOrDamagedRunsFail()
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run("eval", "--run", folder["nothing"]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);

        RunFolder run = UntrainedRun(folder);
        byte[] whole = File.ReadAllBytes(run.LatestCheckpoint);
        File.WriteAllBytes(run.LatestCheckpoint, whole[..(whole.Length / 2)]);
        (code, _, error) = Gridtime.Run("eval", "--run", run.Path);
        Assert.Equal(2, code);
        Assert.Contains("truncated", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
