using System.CommandLine;
using GridTime.Agents;
using GridTime.Cli;
using GridTime.Training;
using GridTime.Training.Benchmark;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Sweeps;

namespace GridTime.Tests.Training;

/// <summary>Every command's settings are a settings record bound as train's are: help and defaults from the record, values read one way.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class CommandSettingsTests
{
    [Fact]
    public void EvalsFlagsTakeTheirHelpAndDefaultsFromEvalSettings()
    {
        var options = new ConfigBinding<EvalSettings>().Options.ToDictionary(o => o.Name, o => o.Description ?? "");
        Assert.Equal(["--t-from", "--t-to", "--t-list", "--episodes", "--seed", "--greedy", "--select-last"], options.Keys);
        Assert.Equal("Smallest T evaluated. [default: 1]", options["--t-from"]);
        Assert.EndsWith("[default: 60]", options["--t-to"]);
        Assert.EndsWith($"[default: {CheckpointSelection.DefaultCandidates}]", options["--select-last"]);
        Assert.Equal("Take the most probable action instead of sampling from the policy. [default: false]", options["--greedy"]);
        Assert.DoesNotContain("[default:", options["--t-list"]); // no list unless given
        Assert.Equal((1, 60, 100, 1UL, false, 4), (new EvalSettings().From, new EvalSettings().To, new EvalSettings().Episodes, new EvalSettings().Seed, new EvalSettings().Greedy, new EvalSettings().SelectLast));

        // A sweep's --seed seeds its training runs: its evaluation's seed is --eval-seed, and it has no --t-list.
        var sweep = new ConfigBinding<EvalSettings>(new Dictionary<string, string> { ["Seed"] = "--eval-seed" }, ["List"]);
        Assert.Equal(["--t-from", "--t-to", "--episodes", "--eval-seed", "--greedy", "--select-last"], sweep.Options.Select(o => o.Name));
    }

    [Fact]
    public void ATrueOrFalseSettingTakesTheBareFlagForTrue()
    {
        var binding = new ConfigBinding<EvalSettings>();
        var command = new RootCommand();
        binding.AddTo(command);

        Assert.True(binding.ApplyFlags(new EvalSettings(), command.Parse(["--greedy", "--t-to", "9"])).Greedy);
        Assert.False(binding.ApplyFlags(new EvalSettings(), command.Parse(["--greedy", "false"])).Greedy);
        Assert.False(binding.ApplyFlags(new EvalSettings(), command.Parse(["--t-to", "9"])).Greedy);
        Assert.Equal(9, binding.ApplyFlags(new EvalSettings(), command.Parse(["--greedy", "--t-to", "9"])).To);
        Assert.Equal("Unrecognized command or argument 'maybe'.", Assert.Single(command.Parse(["--greedy", "maybe"]).Errors).Message); // not taken as --greedy's value
    }

    [Fact]
    public void ListsOfTValuesAndOfAgentsAreReadOneWay()
    {
        Assert.Equal([200, 5, 1000], (IReadOnlyList<int>)Settings<EvalSettings>.ParseValue(typeof(IReadOnlyList<int>), "200, 5,1000", "--t-list"));
        Assert.Equal("--t-list must be comma-separated whole numbers, got '-1' in '5,-1'",
            Assert.Throws<UsageException>(() => Settings<EvalSettings>.ParseValue(typeof(IReadOnlyList<int>), "5,-1", "--t-list")).Message);
        Assert.Equal([CoreKind.Nac, CoreKind.Timer], (IReadOnlyList<CoreKind>)Settings<BenchSettings>.ParseValue(typeof(IReadOnlyList<CoreKind>), "nac, timer,nac", "--agents"));
        Assert.StartsWith("--agents: ", Assert.Throws<UsageException>(() => Settings<BenchSettings>.ParseValue(typeof(IReadOnlyList<CoreKind>), "nac,transformer", "--agents")).Message);
        Assert.Equal("--agents lists no agent", Assert.Throws<UsageException>(() => Settings<SweepSettings>.ParseValue(typeof(IReadOnlyList<CoreKind>), ",", "--agents")).Message);
        Assert.Equal(2.5, Settings<BenchSettings>.ParseValue(typeof(double?), "2.5", "--soak"));
        Assert.Equal("--t-to: 99999999999 is out of range (a whole number from -2147483648 to 2147483647)",
            Assert.Throws<UsageException>(() => Settings<EvalSettings>.ParseValue(typeof(int), "99999999999", "--t-to")).Message);
        Assert.Equal("--seed: expected whole number from 0 to 18446744073709551615, got '-1'",
            Assert.Throws<UsageException>(() => Settings<EvalSettings>.ParseValue(typeof(ulong), "-1", "--seed")).Message);

        // A list is put in order and its ends become the range; settings are equal by the list's values.
        EvalSettings normalized = new EvalSettings { List = [200, 5, 40] }.Normalized();
        Assert.Equal([5, 40, 200], normalized.List!);
        Assert.Equal((5, 200), (normalized.From, normalized.To));
        Assert.Equal(new EvalSettings { List = [5, 40, 200], From = 5, To = 200 }, normalized);
        Assert.NotEqual(new EvalSettings { List = [5, 40, 201], From = 5, To = 200 }, normalized);
        Assert.NotEqual(new EvalSettings { From = 5, To = 200 }, normalized);
    }

    [Theory]
    [InlineData(new[] { "--soak", "1", "--soak-workers", "5000" }, "--soak-workers must be at least 1 and at most 1024, got 5000")]
    [InlineData(new[] { "--soak", "0" }, "--soak must be 0.1 to 10080 minutes, got 0")]
    [InlineData(new[] { "--soak", "1e-9" }, "--soak must be 0.1 to 10080 minutes, got 1E-09")]
    [InlineData(new[] { "--soak", "NaN" }, "--soak must be 0.1 to 10080 minutes, got NaN")]
    [InlineData(new[] { "--soak", "1", "--soak-slice", "-1" }, "--soak-slice must be 0.1 to 10080 minutes, got -1")]
    [InlineData(new[] { "--soak-workers", "3" }, "--soak-workers, --soak-slice and --soak-no-collections go with --soak MINUTES")]
    [InlineData(new[] { "--soak-no-collections" }, "go with --soak MINUTES")]
    [InlineData(new[] { "--soak", "1", "--json" }, "leave out --json and --quick")]
    [InlineData(new[] { "--soak", "1", "--full-work" }, "--full-work measures the fast pass's kernels; --soak trains on libtorch's path: leave one out")]
    [InlineData(new[] { "--rounds", "0" }, "--rounds must be at least 1 and at most 25, got 0")]
    [InlineData(new[] { "--rounds", "26" }, "--rounds must be at least 1 and at most 25, got 26")]
    [InlineData(new[] { "--rounds", "2.5" }, "--rounds")]
    [InlineData(new[] { "--soak", "1", "--rounds", "2" }, "--rounds counts speed measurements; --soak measures no speed: leave one out")]
    [InlineData(new[] { "--agents", "nac,transformer" }, "--agents: ")]
    [InlineData(new[] { "--agents", "nac", "--agents", "gru" }, "gridtime: --agents was given 2 times; give it once, its values comma-separated in one: --agents <agent,agent,...> (see gridtime bench --help)")]
    [InlineData(new[] { "--rounds", "2", "--rounds", "3" }, "gridtime: --rounds was given 2 times; give it once (see gridtime bench --help)")]
    [InlineData(new[] { "--quick", "yes" }, "Unrecognized command or argument 'yes'")]
    public void BenchRefusesWhatItCannotRunWithOneLine(string[] flags, string expected)
    {
        (int code, string output, string error) = Gridtime.Run(["bench", .. flags]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("measuring", output);
    }

    [Fact]
    public void ASweepsSeedsMayNotRunPastTheLargestSeed()
    {
        Assert.Equal([ulong.MaxValue - 1, ulong.MaxValue], new SweepSettings { Seeds = 2, FirstSeed = ulong.MaxValue - 1 }.SeedList);
        Assert.StartsWith("--first-seed 18446744073709551615 with --seeds 2 runs past", Assert.Throws<UsageException>(() => new SweepSettings { Seeds = 2, FirstSeed = ulong.MaxValue }.Validate()).Message);
        Assert.Equal("--seeds must be 1..10000, got 0", Assert.Throws<UsageException>(() => new SweepSettings { Seeds = 0 }.Validate()).Message);
    }

    [Fact]
    public void ASweepsBackendFlagsAreReadIntoOneRecordThatRefusesWhatSlurmCannotTake()
    {
        var binding = new ConfigBinding<SweepBackendSettings>();
        var command = new RootCommand();
        binding.AddTo(command);

        SweepBackendSettings slurm = binding.ApplyFlags(new SweepBackendSettings(), command.Parse(["--backend", "slurm", "--sbatch-arg=--account=lab", "--sbatch-arg", "--qos=low", "--mem", "4G", "--wait"]));
        Assert.Equal(SweepBackend.Slurm, slurm.Backend);
        Assert.Equal((null, "01:00:00", 2, "4G", 0), (slurm.Resources.Partition, slurm.Resources.Time, slurm.Resources.CpusPerTask, slurm.Resources.Memory, slurm.Resources.MaxParallel));
        Assert.Equal(["--account=lab", "--qos=low"], slurm.Resources.Extra);
        Assert.True(slurm.Wait);
        Assert.Equal(2, slurm.WorkersPerCell(cores: 64)); // a Slurm task's CPUs
        Assert.Equal(16, new SweepBackendSettings { Parallel = 4 }.WorkersPerCell(cores: 64)); // this machine's cores shared

        foreach ((SweepBackendSettings settings, string expected) in new (SweepBackendSettings, string)[]
        {
            (new() { Parallel = 0 }, "--parallel must be 1..1024, got 0"),
            (new() { Backend = SweepBackend.Slurm, Parallel = 2 }, "--parallel is for --backend local"),
            (new() { Backend = SweepBackend.Slurm, CpusPerTask = 2000 }, "--cpus-per-task must be 1..1024, got 2000"),
            (new() { MaxParallel = -1 }, "--max-parallel must be 0 (no limit) to 10000"),
            (new() { Backend = SweepBackend.Slurm, MaxParallel = 100_000_000 }, "--max-parallel must be 0 (no limit) to 10000 (a sweep's most cells), got 100000000"),
            (new() { Backend = SweepBackend.Slurm, Partition = "a b" }, "--partition 'a b': expected one sbatch value on one line"),
            (new() { Memory = "4G" }, "--partition, --time, --cpus-per-task, --mem, --max-parallel, --sbatch-arg and --wait are for --backend slurm"),
            (new() { Wait = true }, "--partition, --time"),
            (new() { Backend = SweepBackend.Slurm, Time = "1:00\n#SBATCH --x" }, "--time '1:00 #SBATCH --x': expected one sbatch value on one line"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["account=lab"] }, "--sbatch-arg 'account=lab': expected one sbatch value on one line, an option starting with -"),

            // What the batch script sets itself, in any spelling sbatch reads: long, an unambiguous beginning, short.
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--out=/tmp/x.log"] }, "--sbatch-arg '--out=/tmp/x.log': each cell's log is the sweep's own"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--err=/tmp/x.log"] }, "--sbatch-arg '--err=/tmp/x.log': each cell's log is the sweep's own"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["-Jname"] }, "--sbatch-arg '-Jname': the sweep sets it itself"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["-c4"] }, "--sbatch-arg '-c4': set the CPUs with --cpus-per-task"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--mem-per-cpu=1G"] }, "--sbatch-arg '--mem-per-cpu=1G': set the memory with --mem"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--tim=10"] }, "--sbatch-arg '--tim=10': set the time limit with --time"),
            (new() { Backend = SweepBackend.Slurm, Time = "1:00:00:00" }, "--time '1:00:00:00': expected a Slurm time limit"),
            (new() { Backend = SweepBackend.Slurm, Memory = "1.5G" }, "--mem '1.5G': expected a Slurm memory size"),
            (new() { Backend = SweepBackend.Slurm, Memory = "\u0662G" }, "--mem '\u0662G': expected a Slurm memory size"), // another script's digit 2
            (new() { Backend = SweepBackend.Slurm, Time = "\u0663\u0660" }, "--time '\u0663\u0660': expected a Slurm time limit"),

            // ... and where sbatch would still read them: after a space, several in one argument, in a bundle of short flags.
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--output /tmp/x.log"] }, "--sbatch-arg '--output /tmp/x.log': each cell's log is the sweep's own"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--account=lab --array=0-99"] }, "--sbatch-arg '--account=lab --array=0-99': the sweep's job array is its own"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["-Qo/tmp/x.log"] }, "--sbatch-arg '-Qo/tmp/x.log': each cell's log is the sweep's own"),
            (new() { Backend = SweepBackend.Slurm, SbatchArgs = ["--wait"] }, "--sbatch-arg '--wait': sbatch would not return until the array ended"),
        })
        {
            Assert.StartsWith(expected, Assert.Throws<UsageException>(settings.Validate).Message);
        }

        // Slurm's other formats, and options that only begin like the script's own or are not theirs, pass.
        foreach (string time in new[] { "90", "90:30", "0:120", "1:30:00", "2-12", "2-12:30", "2-12:30:00", "UNLIMITED", "infinite", "0", "-1" })
        {
            new SweepBackendSettings { Backend = SweepBackend.Slurm, Time = time }.Validate();
        }

        foreach (string memory in new[] { "2048", "500M", "2G", "2GB", "500mb", "1T", "64k", "0" })
        {
            new SweepBackendSettings { Backend = SweepBackend.Slurm, Memory = memory }.Validate();
        }

        new SweepBackendSettings { Backend = SweepBackend.Slurm, SbatchArgs = ["--time-min=30", "--account=lab", "--export=ALL", "--mem-bind=local", "--qos=low", "--exclusive", "-Alab-o", "--comment=a b"] }.Validate();

        Assert.Equal("--backend: expected local|slurm, got 'cloud'", Assert.Throws<UsageException>(() => binding.ApplyFlags(new SweepBackendSettings(), command.Parse(["--backend", "cloud"]))).Message);
    }

    [Fact]
    public void ASweepOfMoreCellsThanAPlanHoldsIsRefusedBeforeAnyCellIsMade()
    {
        string[] rates = [.. Enumerable.Range(1, 5001).Select(i => (i * 1e-6).ToString("R", System.Globalization.CultureInfo.InvariantCulture))];
        var swept = new SweptSetting[] { new("learning-rate", rates) };
        var e = Assert.Throws<UsageException>(() => SweepPlan.Make([CoreKind.Nac], [1, 2], swept, new TrainConfig(), new EvalSettings(), "gridtime sweep"));
        Assert.Equal("the sweep would have 10,002 cells (agents x seeds x every combination of --set values), more than the 10,000 one sweep plans: sweep fewer values or split it", e.Message);
        Assert.Equal(10_000, SweepPlan.Make([CoreKind.Nac], [1, 2], [new("learning-rate", rates[..5000])], new TrainConfig(), new EvalSettings(), "gridtime sweep").Cells.Count);
    }
}
