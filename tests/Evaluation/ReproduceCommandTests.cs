using GridTime.Tests.Sweeps;
using GridTime.Tests.Training;
using GridTime.Training.Runs;

namespace GridTime.Tests.Evaluation;

[Collection(ConsoleCollection.Name)]
public sealed class ReproduceCommandTests
{
    private static readonly string[] Tiny =
        ["--frames", "3000", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--t-to", "8", "--episodes", "5", "--episode-log-every", "0"];

    [Fact]
    public void EachCellIsItsOwnRunAndFinishedCellsAreNotTrainedAgain()
    {
        using var folder = new TemporaryFolder();
        string root = folder["cmp"];
        (int code, string output, string error) = Gridtime.Run(["reproduce", "--run-dir", root, "--agents", "baseline,nac", "--seeds", "2", .. Tiny]);
        Assert.True(code == 0, error + output);
        foreach (string cell in new[] { "baseline-s1", "baseline-s2", "nac-s1", "nac-s2" })
        {
            Assert.True(File.Exists(new RunFolder(Path.Combine(root, cell)).LatestCheckpoint), cell);
            Assert.True(File.Exists(Path.Combine(root, cell, "eval.csv")), cell);
        }

        foreach (string file in new[] { "comparison.csv", "comparison.png", "comparison-reward.png", "comparison-outcomes.png", "summary.md" })
        {
            Assert.True(File.Exists(Path.Combine(root, file)), file);
        }

        Assert.Contains($"wrote {root}/comparison.csv, comparison.png, comparison-reward.png, comparison-outcomes.png, summary.md", output);

        string summary = File.ReadAllText(Path.Combine(root, "summary.md"));
        Assert.Contains("| baseline | 1, 2 |", summary);
        Assert.Contains("| nac | 1, 2 |", summary);
        string[] csv = File.ReadAllLines(Path.Combine(root, "comparison.csv"));
        Assert.StartsWith("agent,seed,frames,T,", csv[0]);
        Assert.Equal(1 + (4 * 8), csv.Length);

        DateTime trained = File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, "nac-s2")).LatestCheckpoint);
        (code, output, error) = Gridtime.Run(["reproduce", "--run-dir", root, "--agents", "baseline,nac", "--seeds", "2", .. Tiny]);
        Assert.True(code == 0, error);
        Assert.Contains("nac-s2: already trained", output);
        Assert.Equal(trained, File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, "nac-s2")).LatestCheckpoint));
    }

    [Fact]
    public void ABudgetBelowWhatACellTrainedIsRefusedAndALargerOneTrainsOn()
    {
        using var folder = new TemporaryFolder();
        string root = folder["cmp"];
        string[] reproduce = ["reproduce", "--run-dir", root, "--agents", "baseline", .. Tiny[2..], "--select-last", "1"];
        (int code, string output, string error) = Gridtime.Run([.. reproduce, "--frames", "3000"]);
        Assert.True(code == 0, error + output);
        Dictionary<string, byte[]> before = FolderSnapshot.Take(root);

        (code, output, error) = Gridtime.Run([.. reproduce, "--frames", "2000"]);
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: {root} holds baseline-s1 trained to 3,000 frames, more than --frames 2,000: give --frames 3000 or more, or another --run-dir\n", error);
        Assert.Equal("", output);
        FolderSnapshot.AssertUnchanged(before, root);
        Assert.Contains("frames 3000", File.ReadAllText(Path.Combine(root, "summary.md")));

        // A larger budget trains the cell on, and the summary and plan say so.
        (code, output, error) = Gridtime.Run([.. reproduce, "--frames", "4000"]);
        Assert.True(code == 0, error + output);
        Assert.Contains("== baseline-s1: resuming at 3,000 frames", output);
        Assert.Contains("| baseline | 1 | 4,000 |", File.ReadAllText(Path.Combine(root, "summary.md")));
        Assert.Contains("\"frames\": 4000", File.ReadAllText(Path.Combine(root, GridTime.Training.Sweeps.SweepPlan.FileName)));
    }

    [Fact]
    public void UnknownAgentsFailBeforeAnythingIsWritten()
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run(["reproduce", "--run-dir", folder["cmp"], "--agents", "baseline,transformer", .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("unknown agent 'transformer'", error);
        Assert.False(Directory.Exists(folder["cmp"]));
    }
}

[Collection(ConsoleCollection.Name)]
public sealed class CheckpointSelectionTests
{
    [Fact]
    public void EvalCanRepresentARunByTheBestOfItsLastCheckpoints()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run("train", "--run-dir", run, "--frames", "3000", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4",
            "--steps", "5", "--checkpoint-interval", "1000", "--episode-log-every", "0").ExitCode);
        var candidates = GridTime.Training.Evaluation.CheckpointSelection.Candidates(new RunFolder(run), 3);
        Assert.Equal(3, candidates.Count);
        Assert.Equal(3, candidates.Select(c => c.Header.Frames).Distinct().Count());

        (int code, string output, string error) = Gridtime.Run("eval", "--run", run, "--select-last", "3", "--t-to", "8", "--episodes", "5");
        Assert.True(code == 0, error);
        Assert.Contains("among 3 checkpoints", output);
        Assert.Equal(2, Gridtime.Run("eval", "--run", run, "--select-last", "0").ExitCode);
    }
}
