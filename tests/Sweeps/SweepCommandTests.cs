using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Runs;
using GridTime.Training.Config;
using GridTime.Training.Sweeps;

namespace GridTime.Tests.Sweeps;

[Collection(ConsoleCollection.Name)]
public sealed class SweepCommandTests
{
    private static readonly string[] Tiny =
        ["--frames", "2000", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--t-to", "8", "--episodes", "4", "--episode-log-every", "0", "--select-last", "1"];

    [Fact]
    public void EachCellRunsOnceAndTheCollectionHasOneTablePerSettingCombination()
    {
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        string[] sweep = ["sweep", "--run-dir", root, "--agents", "baseline", "--seeds", "2", "--set", "learning-rate=1e-4,5e-4", .. Tiny];
        (int code, string output, string error) = Gridtime.Run(sweep);
        Assert.True(code == 0, error + output);
        string[] cells = ["baseline-s1_learning-rate=0.0001", "baseline-s2_learning-rate=0.0001", "baseline-s1_learning-rate=0.0005", "baseline-s2_learning-rate=0.0005"];
        Assert.All(cells, cell => Assert.True(File.Exists(Path.Combine(root, cell, "eval.csv")), cell));
        Assert.True(File.Exists(Path.Combine(root, SweepPlan.FileName)));
        Assert.Contains("[4/4] baseline-s2_learning-rate=0.0005: done", output);
        Assert.Contains("[1/4] baseline-s1_learning-rate=0.0001: done in", output);

        string summary = File.ReadAllText(Path.Combine(root, "summary.md"));
        Assert.Contains("### learning-rate=0.0001\n", summary);
        Assert.Contains("### learning-rate=0.0005\n", summary);
        Assert.Equal(2, summary.Split('\n').Count(line => line.StartsWith("| baseline | 1, 2 |", StringComparison.Ordinal)));
        string[] csv = File.ReadAllLines(Path.Combine(root, "comparison.csv"));
        Assert.EndsWith(",settings", csv[0]);
        Assert.Equal(1 + (4 * 8), csv.Length);
        Assert.Equal(16, csv.Count(line => line.EndsWith(",learning-rate=0.0005", StringComparison.Ordinal)));

        // How episodes end: one panel per setting combination and agent.
        string[] panels = GridTime.Rendering.Plots.CurvePlot.ReadText(File.ReadAllBytes(Path.Combine(root, "comparison-outcomes.png")), GridTime.Rendering.Plots.PanelGrid.PanelsKeyword)!.Split('\n');
        Assert.Equal(2, panels.Length);
        Assert.StartsWith("baseline learning-rate=0.0001 (2 seeds; Hexact ", panels[0]);
        Assert.StartsWith("baseline learning-rate=0.0005 (2 seeds; Hexact ", panels[1]);

        // A rerun finds every cell done and trains nothing.
        DateTime trained = File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, cells[3])).LatestCheckpoint);
        (code, output, error) = Gridtime.Run(sweep);
        Assert.True(code == 0, error);
        Assert.Equal(4, output.Split('\n').Count(line => line.Contains(": already trained and evaluated", StringComparison.Ordinal)));
        Assert.DoesNotContain("started", output);
        Assert.Equal(trained, File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, cells[3])).LatestCheckpoint));

        // Another plan for the same folder is refused, naming the difference, and changes nothing.
        string plan = File.ReadAllText(Path.Combine(root, SweepPlan.FileName));
        (code, _, error) = Gridtime.Run(["sweep", "--run-dir", root, "--agents", "baseline", "--seeds", "2", "--set", "learning-rate=1e-4,1e-3", .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("adds the cell baseline-s1_learning-rate=0.001", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(plan, File.ReadAllText(Path.Combine(root, SweepPlan.FileName)));

        (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
        Assert.Equal(0, code);
        Assert.Contains("0 pending, 0 running, 4 done, 0 failed (of 4)", output);
    }

    [Fact]
    public void ASettingOfAPartOnlySomeAgentsHaveIsSweptForThemAlone()
    {
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        (int code, string output, string error) = Gridtime.Run(["sweep", "--run-dir", root, "--agents", "baseline,timer", "--seeds", "1", "--set", "time-left-loss=0.5,1", .. Tiny]);
        Assert.True(code == 0, error + output);
        Assert.Equal(["baseline-s1", "timer-s1_time-left-loss=0.5", "timer-s1_time-left-loss=1"], Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => n != "logs").Order(StringComparer.Ordinal));
        Assert.Empty(SettingGrid.SweepProblems(new TrainConfig { ArithmeticInput = GridTime.Agents.ArithmeticInput.Instruction }, [GridTime.Agents.CoreKind.Baseline, GridTime.Agents.CoreKind.Nac]));
        Assert.Equal(GridTime.Agents.ArithmeticInput.InstructionAndState, new TrainConfig { ArithmeticInput = GridTime.Agents.ArithmeticInput.Instruction }.ForAgent(GridTime.Agents.CoreKind.Baseline).ArithmeticInput);

        // The summary names a setting given to some agents only with those agents.
        (code, output, error) = Gridtime.Run(["sweep", "--run-dir", folder["decay"], "--agents", "baseline,timer", "--nau-learning-rate-decay", "none", .. Tiny]);
        Assert.True(code == 0, error + output);
        Assert.Contains("nau-learning-rate-decay none (timer only)", File.ReadAllText(Path.Combine(folder["decay"], "summary.md")));

        // A setting no agent of the sweep has is refused, as train refuses it.
        (code, _, error) = Gridtime.Run(["sweep", "--run-dir", folder["other"], "--agents", "baseline,nac", "--time-left-loss", "2", .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("--time-left-loss: the baseline agent has no time-left estimate to train", error);
    }

    [Fact]
    public void ABudgetBelowWhatACellTrainedIsRefusedAndTheFolderIsUnchanged()
    {
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        string[] sweep = ["sweep", "--run-dir", root, "--agents", "baseline", .. Tiny[2..]];

        // 1 worker x 4 environments x 5 steps: 20 frames an update, so a budget of 2,010 ends at 2,020.
        (int code, string output, string error) = Gridtime.Run([.. sweep, "--frames", "2010"]);
        Assert.True(code == 0, error + output);
        Assert.Contains("done: 2,020 frames", output);

        // The same command again holds the few frames past its budget and is not refused.
        (code, output, error) = Gridtime.Run([.. sweep, "--frames", "2010"]);
        Assert.True(code == 0, error + output);
        Assert.Contains("== baseline-s1: already trained and evaluated", output);

        Dictionary<string, byte[]> before = FolderSnapshot.Take(root);
        (code, output, error) = Gridtime.Run([.. sweep, "--frames", "1000"]);
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: {root} holds baseline-s1 trained to 2,020 frames, more than --frames 1,000: give --frames 2010 or more, or another --run-dir\n", error);
        Assert.Equal("", output);
        FolderSnapshot.AssertUnchanged(before, root);

        // Collecting counts one cell as one cell.
        (code, output, error) = Gridtime.Run("sweep", "collect", "--run-dir", root);
        Assert.True(code == 0, error);
        Assert.Contains("summary.md (1 of 1 cell)\n", output);
    }

    [Fact]
    public void APlanOfOtherCellsIsRefusedCountingCellsInEnglish()
    {
        var eval = new GridTime.Training.Evaluation.EvalSettings();
        SweepPlan Plan(int seeds) => SweepPlan.Make([GridTime.Agents.CoreKind.Baseline], [.. Enumerable.Range(1, seeds).Select(s => (ulong)s)], [], new TrainConfig(), eval, "gridtime sweep");
        Assert.Equal("f holds a sweep of 2 cells planned otherwise: this command lacks its cell baseline-s2 (1 cell)", Plan(1).DifferenceFrom(Plan(2), "f"));
        Assert.Equal("f holds a sweep of 1 cell planned otherwise: this command adds the cell baseline-s2 (2 cells)", Plan(2).DifferenceFrom(Plan(1), "f"));
        Assert.Equal(["0 cells", "1 cell", "2 cells"], new[] { 0, 1, 2 }.Select(SweepCell.Count));
    }

    [Fact]
    public void ATrainingRunsFolderIsNotASweepFolder()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run("train", "--run-dir", run, "--frames", "200", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--episode-log-every", "0").ExitCode);
        string[] before = Directory.GetFileSystemEntries(run);
        (int code, _, string error) = Gridtime.Run(["sweep", "--run-dir", run, "--agents", "nac", .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("is a training run's folder (it holds config.json): give the sweep a folder of its own", error);
        Assert.Equal(before, Directory.GetFileSystemEntries(run));
    }

    [Fact]
    public void ASettingGivenAsAFlagAndSweptIsRefused()
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run(["sweep", "--run-dir", folder["sweep"], "--set", "learning-rate=1e-3", "--learning-rate", "2e-4", .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("--learning-rate is given as a flag and swept by --set learning-rate=...: give it in one place", error);
        Assert.False(Directory.Exists(folder["sweep"]));
    }

    [Fact]
    public void ACellIsDoneWhenTrainedWhicheverCheckpointWonAndAnEvalByHandIsRedone()
    {
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        // Eval chooses between the checkpoints at 1,000 and 2,000 frames: the cell is done either way.
        string[] sweep = ["sweep", "--run-dir", root, "--agents", "baseline", "--seeds", "2", .. Tiny[..^2], "--select-last", "2", "--checkpoint-interval", "1000"];
        (int code, string output, string error) = Gridtime.Run(sweep);
        Assert.True(code == 0, error + output);
        (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
        Assert.Equal(0, code);
        Assert.Contains("0 pending, 0 running, 2 done, 0 failed (of 2)", output);

        // An eval by hand into a folder of its own leaves the cell done.
        string cell = Path.Combine(root, "baseline-s1");
        Assert.Equal(0, Gridtime.Run("eval", "--run", cell, "--t-list", "20,30", "--episodes", "2", "--out", folder["more-t"]).ExitCode);
        (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
        Assert.Contains("0 pending, 0 running, 2 done, 0 failed (of 2)", output);

        // One into the cell replaces its eval.csv: that cell is pending again, and the next run evaluates it again.
        Assert.Equal(0, Gridtime.Run("eval", "--run", cell, "--t-to", "3", "--episodes", "2").ExitCode);
        (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
        Assert.Contains("its eval.csv is no longer the sweep's evaluation (evaluated again by hand? `gridtime eval --run CELL --out FOLDER` leaves it in place)", output);
        Assert.Contains("1 pending, 0 running, 1 done, 0 failed (of 2)", output);
        (code, output, error) = Gridtime.Run(sweep);
        Assert.True(code == 0, error + output);
        Assert.Contains("== baseline-s1: already trained (2,000 frames)", output);
        Assert.Equal(0, Gridtime.Run("sweep", "collect", "--run-dir", root).ExitCode);

        // A cell's eval.csv cut short (its last rows gone, the rest still naming the evaluation): refused, naming the cut.
        string csv = Path.Combine(cell, "eval.csv");
        string[] lines = File.ReadAllLines(csv);
        File.WriteAllLines(csv, lines[..^3]);
        Dictionary<string, byte[]> before = Directory.GetFiles(root).ToDictionary(f => f, File.ReadAllBytes);
        (code, _, error) = Gridtime.Run("sweep", "collect", "--run-dir", root);
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: {csv} is not the whole evaluation the sweep made of baseline-s1: it ends at T = 5, not 8 as its provenance claims (5 of 8 rows); rerun the sweep to evaluate it again", error.TrimEnd('\n'));
        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
    }

    [Theory]
    [InlineData("learning-rte=1e-4", "--set learning-rte: no such setting; the closest are learning-rate,")]
    [InlineData("seed=1,2", "--set seed: the sweep sets seed itself")]
    [InlineData("agent=nac", "--set agent: the sweep sets agent itself")]
    [InlineData("learning-rate=1e-4,abc", "--set learning-rate: expected number, got 'abc'")]
    [InlineData("learning-rate=1e-4,0.0001", "--set learning-rate: the value 0.0001 is given twice")]
    [InlineData("entropy-coef=0,01", "--set entropy-coef: the value 01 looks like the end of a number written with a decimal comma")]
    [InlineData("hidden=0", "--set hidden=0: ")]
    [InlineData("learning-rate", "--set learning-rate: expected NAME=VALUE")]
    [InlineData("min-t=4,5", "--set min-t: min-t changes the task the cells are trained and scored on, and one comparison scores every cell under one task")]
    [InlineData("max-reward=10,20", "--set max-reward: max-reward changes the task")]
    [InlineData("reward-shape=clipped,unclipped", "--set reward-shape: reward-shape changes the task")]
    [InlineData("progress-seconds=1,2", "--set progress-seconds: progress-seconds changes only what a run shows, not what it learns")]
    [InlineData("episode-log-every=1,5", "--set episode-log-every: episode-log-every changes only what a run shows")]
    [InlineData("gamma=0.9", "--sbatch-arg 'x': expected one sbatch value on one line, an option starting with -", "x")]
    [InlineData("gamma=0.9", "--sbatch-arg '--x rm -rf /': expected one sbatch value", "--x\nrm -rf /")]
    [InlineData("gamma=0.9", "--sbatch-arg '--output=/tmp/x.log': each cell's log is the sweep's own", "--output=/tmp/x.log")]
    [InlineData("gamma=0.9", "--sbatch-arg '-o/tmp/x.log': each cell's log is the sweep's own", "-o/tmp/x.log")]
    [InlineData("gamma=0.9", "--sbatch-arg '--time=2:00:00': set the time limit with --time", "--time=2:00:00")]
    [InlineData("gamma=0.9", "--sbatch-arg '--array=0-9': the sweep's job array is its own", "--array=0-9")]
    [InlineData("gamma=0.9", "--time 'banana': expected a Slurm time limit such as 90 (minutes), 1:30:00, 2-00:00:00 or UNLIMITED", "--account=lab", "--time", "banana")]
    [InlineData("gamma=0.9", "--time '1:30:00:00': expected a Slurm time limit", "--account=lab", "--time", "1:30:00:00")]
    [InlineData("gamma=0.9", "--mem '2 GB': expected", "--account=lab", "--mem", "2 GB")]
    [InlineData("gamma=0.9", "--mem '1.5G': expected a Slurm memory size such as 2G, 500M or 2048 (megabytes)", "--account=lab", "--mem", "1.5G")]
    public void BadSettingsAreRefusedInOneLineBeforeAnythingIsWritten(string set, string message, string sbatchArg = "--account=lab", params string[] more)
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run(["sweep", "--run-dir", folder["sweep"], "--set", set, "--backend", "slurm", $"--sbatch-arg={sbatchArg}", .. more, .. Tiny]);
        Assert.Equal(2, code);
        Assert.StartsWith("gridtime: " + message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(folder["sweep"]));
    }

    [Theory]
    [InlineData("18446744073709551615", "2", "--first-seed 18446744073709551615 with --seeds 2 runs past the largest seed, 18446744073709551615")]
    [InlineData("18446744073709551614", "3", "--first-seed 18446744073709551614 with --seeds 3 runs past the largest seed")]
    [InlineData("1", "10001", "--seeds must be 1..10000, got 10001")]
    [InlineData("1", "0", "--seeds must be 1..10000, got 0")]
    public void SeedsThatWouldWrapOrNeverEndAreRefused(string first, string seeds, string message)
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run(["sweep", "--run-dir", folder["sweep"], "--first-seed", first, "--seeds", seeds, .. Tiny]);
        Assert.Equal(2, code);
        Assert.StartsWith("gridtime: " + message, error);
        Assert.False(Directory.Exists(folder["sweep"]));
    }

    [Fact]
    public void AFailedCellIsNamedWithItsLogAndARerunRunsOnlyIt()
    {
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        string[] sweep = ["sweep", "--run-dir", root, "--agents", "baseline", "--seeds", "2", .. Tiny];
        System.Environment.SetEnvironmentVariable(FaultInjection.FailCellVariable, "baseline-s2");
        (int code, string output, string error) = (0, "", "");
        try
        {
            (code, output, error) = Gridtime.Run(sweep);
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(FaultInjection.FailCellVariable, null);
        }

        string log = Path.Combine(root, "logs", "baseline-s2.log");
        Assert.Equal(1, code);
        Assert.Contains($"gridtime: cell 1 baseline-s2 failed: fault-injection: cell baseline-s2 made to fail (GRIDTIME_FAULT_FAIL_CELL); log: {log}", error);
        Assert.Single(error.Split('\n'), line => line.Contains("baseline-s2 failed", StringComparison.Ordinal));
        Assert.Contains("gridtime: 1 of 2 cells not done", error);
        Assert.Contains("fault-injection: cell baseline-s2 made to fail", File.ReadAllText(log));
        Assert.Contains("Not collected (1 of 2 cells not done): baseline-s2 (failed)", File.ReadAllText(Path.Combine(root, "summary.md")));

        (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
        Assert.Equal(0, code);
        Assert.Matches(@"1  baseline-s2  failed    fault-injection: .*; log: .*baseline-s2\.log", output);
        Assert.Contains("0 pending, 0 running, 1 done, 1 failed (of 2)", output);

        DateTime trained = File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, "baseline-s1")).LatestCheckpoint);
        (code, output, error) = Gridtime.Run(sweep);
        Assert.True(code == 0, error + output);
        Assert.Contains("== baseline-s1: already trained and evaluated", output);
        Assert.Contains("[1/1] baseline-s2: started", output);
        Assert.Equal(trained, File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, "baseline-s1")).LatestCheckpoint));
        Assert.Contains("| baseline | 1, 2 |", File.ReadAllText(Path.Combine(root, "summary.md")));
    }

    [Fact]
    public void ParallelCellsRunAsTheirOwnProcessesEachWithItsLog()
    {
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        (int code, string output, string error) = Gridtime.Run(["sweep", "--run-dir", root, "--agents", "baseline,nac", "--parallel", "2", .. Tiny]);
        Assert.True(code == 0, error + output);
        Assert.Contains("[1/2] baseline-s1: started", output);
        Assert.Contains("[2/2] nac-s1: started", output);
        foreach (string cell in new[] { "baseline-s1", "nac-s1" })
        {
            string log = File.ReadAllText(Path.Combine(root, "logs", cell + ".log"));
            Assert.Contains($"gridtime sweep: cell {(cell == "nac-s1" ? 1 : 0)} {cell} on ", log);
            Assert.Contains($"{cell}: provenance: run {cell} ", log);
            Assert.Equal(CellState.Done, CellRecord.Read(new RunFolder(Path.Combine(root, cell)))!.State);
        }

        Assert.Contains("| nac | 1 |", File.ReadAllText(Path.Combine(root, "summary.md")));
    }

    [Fact]
    public void TheSlurmBackendSubmitsOneArrayTaskPerCellAndResubmitsOnlyWhatIsMissing()
    {
        using var folder = new TemporaryFolder();
        using var slurm = new FakeSlurm();
        string root = folder["sweep"];
        string[] sweep = ["sweep", "--backend", "slurm", "--run-dir", root, "--agents", "baseline,nac", "--seeds", "2", "--max-parallel", "3", "--cpus-per-task", "1",
            "--mem", "1G", "--time", "10", "--partition", "debug", "--sbatch-arg=--account=lab", .. Tiny];
        SlurmClient.SearchPath = slurm.Folder;
        try
        {
            (int code, string output, string error) = Gridtime.Run(sweep);
            Assert.True(code == 0, error + output);
            Assert.Contains("submitted 4 of 4 cells as Slurm array job 4242", output);
            Assert.Equal($"--parsable {Path.Combine(root, "sweep.sbatch")}", slurm.Arguments(4242));
            string script = slurm.Submitted(4242);
            string[] expected =
            [
                "#SBATCH --array=0-3%3", $"#SBATCH --output={root}/logs/%A_%a.log", "#SBATCH --requeue", "#SBATCH --cpus-per-task=1", "#SBATCH --mem=1G",
                "#SBATCH --time=10", "#SBATCH --partition=debug", "#SBATCH --account=lab",
            ];
            Assert.All(expected, line => Assert.Contains(line + "\n", script));
            string exec = script.Split('\n').Single(line => line.StartsWith("exec ", StringComparison.Ordinal));
            Assert.EndsWith($" sweep run-cell --run-dir {root} --cell \"$SLURM_ARRAY_TASK_ID\"", exec);
            Assert.True(File.Exists(exec.Split(' ')[1]), exec);
            Assert.Equal("4242", Assert.Single(SlurmBackend.Jobs(root)).Job);

            // While Slurm holds the array, status shows what squeue says.
            slurm.Queue = "0 RUNNING\n1 PENDING\n2-3 PENDING\n";
            (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
            Assert.Equal(0, code);
            Assert.Matches(@"0  baseline-s1  running   Slurm task 4242_0 RUNNING", output);
            Assert.Matches(@"3  nac-s2       pending   Slurm task 4242_3 PENDING", output);

            // A rerun while all are queued submits nothing.
            (code, output, error) = Gridtime.Run(sweep);
            Assert.True(code == 0, error);
            Assert.Contains("nothing to submit: 0 cells done, 4 queued or running", output);

            // With the controller down, status falls back to the cells' records and a rerun submits nothing.
            using (var down = new FakeSlurm(controllerDown: true))
            {
                SlurmClient.SearchPath = down.Folder;
                (code, output, error) = Gridtime.Run("sweep", "status", "--run-dir", root);
                Assert.Equal(0, code);
                Assert.Equal("gridtime: warning: squeue failed (exit 1): squeue: error: Unable to contact slurm controller (connect failure); the cells' own records alone are shown", error.Trim());
                Assert.Contains("4 pending, 0 running, 0 done, 0 failed (of 4)", output);
                (code, _, error) = Gridtime.Run(sweep);
                Assert.Equal(1, code);
                Assert.Equal("gridtime: cannot ask Slurm about the sweep's earlier arrays (squeue failed (exit 1): squeue: error: Unable to contact slurm controller (connect failure)); nothing was submitted", error.Trim());
                Assert.Single(SlurmBackend.Jobs(root));
                SlurmClient.SearchPath = slurm.Folder;
            }

            // Task 0 runs its cell; task 1 fails, tasks 2 and 3 are cancelled (3 before it started).
            Assert.Equal(0, Gridtime.Run("sweep", "run-cell", "--run-dir", root, "--cell", "0").ExitCode);
            slurm.Queue = "";
            slurm.Jobs = "JobId=4243 ArrayJobId=4242 ArrayTaskId=0 JobState=COMPLETED ExitCode=0:0\nJobId=4244 ArrayJobId=4242 ArrayTaskId=1 JobState=FAILED ExitCode=1:0\n"
                + "JobId=4245 ArrayJobId=4242 ArrayTaskId=2 JobState=CANCELLED ExitCode=0:15\nJobId=4242 ArrayJobId=4242 ArrayTaskId=3 JobState=CANCELLED ExitCode=0:0\n";
            (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
            Assert.Equal(0, code);
            Assert.Matches(@"0  baseline-s1  done ", output);
            Assert.Matches(@"1  baseline-s2  failed    Slurm task 4242_1 FAILED, exit code 1:0\n", output);
            Assert.Matches(@"3  nac-s2       failed    Slurm task 4242_3 cancelled before it started \(no log\)\n", output);
            Assert.Contains("0 pending, 0 running, 1 done, 3 failed (of 4)", output);

            (code, output, error) = Gridtime.Run(sweep);
            Assert.True(code == 0, error);
            Assert.Contains("submitted 3 of 4 cells as Slurm array job 4243", output);
            Assert.Contains("#SBATCH --array=1-3%3\n", slurm.Submitted(4243));
            Assert.Equal(["4242", "4243"], SlurmBackend.Jobs(root).Select(j => j.Job));

            // Collect merges the one finished cell and names the others.
            (code, output, error) = Gridtime.Run("sweep", "collect", "--run-dir", root);
            Assert.True(code == 0, error);
            Assert.Contains($"wrote {root}/comparison.csv, comparison.png, comparison-reward.png, comparison-outcomes.png, summary.md (1 of 4 cells)", output);
            Assert.Contains("| baseline | 1 |", File.ReadAllText(Path.Combine(root, "summary.md")));
        }
        finally
        {
            SlurmClient.SearchPath = null;
        }
    }

    [Fact]
    public void NoSbatchOrNoControllerIsOneLineAndNothingIsSubmitted()
    {
        using var folder = new TemporaryFolder();
        using var down = new FakeSlurm(controllerDown: true);
        string root = folder["sweep"];
        string[] sweep = ["sweep", "--backend", "slurm", "--run-dir", root, "--agents", "baseline", .. Tiny];
        try
        {
            SlurmClient.SearchPath = folder.Path;
            (int code, _, string error) = Gridtime.Run(sweep);
            Assert.Equal(1, code);
            Assert.Equal("gridtime: sbatch is not on PATH: the slurm backend needs Slurm's client commands (Debian: apt-get install slurm-client) and a slurm.conf naming the cluster", error.Trim());

            SlurmClient.SearchPath = down.Folder;
            (code, _, error) = Gridtime.Run(sweep);
            Assert.Equal(1, code);
            Assert.Equal("gridtime: sbatch failed (exit 1): sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure); nothing was submitted (run the same command again when Slurm answers)", error.Trim());
            Assert.Empty(SlurmBackend.Jobs(root));
        }
        finally
        {
            SlurmClient.SearchPath = null;
        }
    }

    [Fact]
    public void ArrayListsAndRangesAreSlurmsNotation()
    {
        Assert.Equal("0-3", SlurmClient.ArrayList([3, 1, 0, 2]));
        Assert.Equal("1,4,6-7", SlurmClient.ArrayList([1, 4, 6, 7]));
        Assert.Equal([2, 3, 4, 5], SlurmClient.Indices("[2-5%2]"));
        Assert.Equal([1, 4, 7, 8, 9], SlurmClient.Indices("1,4,7-9"));
        Assert.Equal(3, ClosestNames.Distance("kitten", "sitting"));
        Assert.Equal(0, ClosestNames.Distance("gamma", "gamma"));
    }
}
