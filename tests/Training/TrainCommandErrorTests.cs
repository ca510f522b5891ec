namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class TrainCommandErrorTests
{
    public static TheoryData<string[], string> BadArguments => new()
    {
        { ["--workers", "0"], "--workers must be at least 1" },
        { ["--min-t", "9", "--max-t", "8"], "T range 9..8 is empty" },
        { ["--min-t", "0"], "--min-t: the smallest instruction T must be 1..1000000, got 0" },
        { ["--agent", "lstm"], "unknown agent 'lstm'" },
        { ["--learning-rate", "fast"], "--learning-rate: expected number" },
        { ["--config", "/nonexistent/config.json"], "config file /nonexistent/config.json does not exist" },
        { ["--frames"], "--frames" },
        { ["--seed", "--workers", "2"], "--seed needs a value; it got the option --workers" },
        { ["--frames", "100", "--agent", "--frames"], "--agent needs a value; it got the option --frames" },
        { ["--no-such-flag", "1"], "no-such-flag" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void BadArgumentsFailWithOneLineAndTouchNothing(string[] arguments, string expected)
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = Gridtime.Run(["train", "--run-dir", run, .. arguments]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal("", output);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void ARunFolderInsideAnotherRunIsRefused()
    {
        using var folder = new TemporaryFolder();
        string outer = folder["outer"];
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", outer, "--frames", "64", "--workers", "1", "--envs-per-worker", "4", "--steps", "4",
            "--hidden", "16", "--checkpoint-interval", "64", "--log-interval", "64", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        string[] before = [.. Directory.GetFileSystemEntries(outer, "*", SearchOption.AllDirectories).Order()];

        // In its checkpoints/ (where a run's checkpoints are looked for), or in a new folder beside its files.
        foreach (string inside in new[] { Path.Combine(outer, "checkpoints", "inner"), Path.Combine(outer, "sub", "deeper") })
        {
            (code, string output, error) = Gridtime.Run("train", "--run-dir", inside, "--frames", "64");
            Assert.Equal(2, code);
            Assert.Equal($"gridtime: --run-dir {inside} is inside the run folder {outer}, which holds only its own files; choose a folder outside it", error.TrimEnd('\n'));
            Assert.Equal("", output);
        }

        // Nor through a link to its checkpoints/, nor a sweep inside it.
        string link = folder["link"];
        Directory.CreateSymbolicLink(link, Path.Combine(outer, "checkpoints"));
        (code, _, error) = Gridtime.Run("train", "--run-dir", Path.Combine(link, "inner"), "--frames", "64");
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: --run-dir {Path.Combine(link, "inner")} is inside the run folder {outer}, which holds only its own files; choose a folder outside it", error.TrimEnd('\n'));
        (code, _, error) = Gridtime.Run("sweep", "--run-dir", Path.Combine(outer, "sweep"), "--agents", "baseline", "--frames", "64");
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: {Path.Combine(outer, "sweep")} is inside the run folder {outer}, which holds only its own files: give the sweep a folder outside it", error.TrimEnd('\n'));
        Assert.Equal(before, Directory.GetFileSystemEntries(outer, "*", SearchOption.AllDirectories).Order());
    }

    [Fact]
    public void ASettingsFileNamedConfigJsonDoesNotMakeItsFolderARun()
    {
        using var folder = new TemporaryFolder();
        string project = folder["project"];
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "config.json"), "{\"agent\": \"timer\", \"hidden\": 16}");
        string run = Path.Combine(project, "runs", "mine");
        (int code, _, string error) = Gridtime.Run("train", "--config", Path.Combine(project, "config.json"), "--run-dir", run, "--frames", "64", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "4", "--checkpoint-interval", "64", "--log-interval", "64", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(run, "checkpoints", "latest.ckpt")));
    }

    [Fact]
    public void AMissingResumeFolderOrCheckpointFails()
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run("train", "--resume", folder["nothing-here"]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        Assert.False(Directory.Exists(folder["nothing-here"]));

        Directory.CreateDirectory(folder["empty"]);
        (code, _, error) = Gridtime.Run("train", "--resume", folder["empty"]);
        Assert.Equal(2, code);
        Assert.Contains("has no checkpoint", error);
        Assert.Empty(Directory.GetFileSystemEntries(folder["empty"]));
    }

    [Fact]
    public void AnUnreadableConfigFileFails()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder["bad.json"], "{ \"workers\": ");
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", folder["run"], "--config", folder["bad.json"]);
        Assert.Equal(2, code);
        Assert.Contains("not valid", error);
        Assert.False(Directory.Exists(folder["run"]));
    }

    [Fact]
    public void AnExistingRunIsNeverOverwritten()
    {
        using var folder = new TemporaryFolder();
        Directory.CreateDirectory(folder["run"]);
        File.WriteAllText(Path.Combine(folder["run"], "metrics.csv"), "precious");
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", folder["run"], "--frames", "100");
        Assert.Equal(2, code);
        Assert.Contains("already exists", error);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(folder["run"], "metrics.csv")));
    }
}
