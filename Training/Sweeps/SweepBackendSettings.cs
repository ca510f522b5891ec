using System.Text.RegularExpressions;
using GridTime.Training.Config;

namespace GridTime.Training.Sweeps;

/// <summary>Where a sweep's cells run.</summary>
public enum SweepBackend
{
    /// <summary>On this machine, each cell in a process of its own.</summary>
    Local,

    /// <summary>As one Slurm job array, one task per cell.</summary>
    Slurm,
}

/// <summary>
/// Where and how <c>sweep</c> runs its cells: on this machine (how many at once) or on Slurm (the resources of each
/// task, <see cref="SlurmResources"/>). Each property's doc comment is its <c>--help</c> text and its default the
/// command line's.
/// </summary>
public sealed partial record SweepBackendSettings
{
    /// <summary>Most cells a local sweep runs at once.</summary>
    public const int MaximumParallel = 1024;

    /// <summary>Where the cells run: local (this machine) or slurm (one job array, one task per cell).</summary>
    public SweepBackend Backend { get; init; } = SweepBackend.Local;

    /// <summary>local: cells run at once, each in its own process (workers default to cores / N).</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>slurm: the partition [default: the cluster's default].</summary>
    public string? Partition { get; init; }

    /// <summary>slurm: time limit of one cell's task (sbatch --time).</summary>
    public string Time { get; init; } = "01:00:00";

    /// <summary>slurm: CPUs of one cell's task; the cell trains with this many workers unless --workers is given.</summary>
    public int CpusPerTask { get; init; } = 2;

    /// <summary>slurm: memory of one cell's task (sbatch --mem).</summary>
    [Flag("mem")]
    public string Memory { get; init; } = "2G";

    /// <summary>slurm: at most K cells at once (the array's %K; 0 = no limit).</summary>
    [Flag(HelpName = "K")]
    public int MaxParallel { get; init; }

    /// <summary>slurm: a further sbatch option, written as its own #SBATCH line (repeat), e.g. --sbatch-arg=--account=lab.</summary>
    [Flag("sbatch-arg")]
    public IReadOnlyList<string> SbatchArgs { get; init; } = [];

    /// <summary>slurm: wait until the array has finished, then report failed cells and collect.</summary>
    public bool Wait { get; init; }

    /// <summary>What each Slurm task asks for.</summary>
    public SlurmResources Resources => new(Partition, Time, CpusPerTask, Memory, MaxParallel, SbatchArgs);

    /// <summary>The workers a cell trains with unless --workers is given: a Slurm task's CPUs, or this machine's cores shared by the cells at once.</summary>
    public int WorkersPerCell(int cores) => Backend == SweepBackend.Slurm ? CpusPerTask : Math.Max(1, cores / Parallel);

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the bad value: --parallel 1..<see cref="MaximumParallel"/> (and 1 on
    /// Slurm, which runs cells at once as it can), --cpus-per-task 1..<see cref="TrainConfig.MaximumWorkers"/>,
    /// --max-parallel 0..<see cref="SweepPlan.MaximumCells"/>, each value written into the batch script one sbatch value on
    /// one line (a line break would smuggle in a command; a further option starts with -), and no Slurm setting for a
    /// local sweep.
    /// </summary>
    public void Validate()
    {
        if (Parallel is < 1 or > MaximumParallel)
        {
            throw new UsageException($"--parallel must be 1..{MaximumParallel}, got {Parallel}");
        }

        if (CpusPerTask is < 1 or > TrainConfig.MaximumWorkers)
        {
            throw new UsageException($"--cpus-per-task must be 1..{TrainConfig.MaximumWorkers}, got {CpusPerTask}");
        }

        if (MaxParallel is < 0 or > SweepPlan.MaximumCells)
        {
            throw new UsageException($"--max-parallel must be 0 (no limit) to {SweepPlan.MaximumCells} (a sweep's most cells), got {MaxParallel}");
        }

        // One sbatch value each: a line break would smuggle in a command, a space a second value (--partition 'a b').
        foreach ((string flag, string? value) in new[] { ("--partition", Partition), ("--time", Time), ("--mem", Memory) }
            .Concat(SbatchArgs.Select(a => ("--sbatch-arg", (string?)a))))
        {
            if (value is not null && (value.Length == 0 || value.Any(char.IsControl) || (flag == "--sbatch-arg" ? !value.StartsWith('-') : value.Any(char.IsWhiteSpace))))
            {
                throw new UsageException($"{flag} '{value.ReplaceLineEndings(" ")}': expected one sbatch value on one line{(flag == "--sbatch-arg" ? ", an option starting with -" : "")}");
            }
        }

        // Caught here, not by sbatch after the sweep folder is written (sbatch's own formats: man sbatch, --time and --mem).
        if (!SlurmTime().IsMatch(Time))
        {
            throw new UsageException($"--time '{Time}': expected a Slurm time limit such as 90 (minutes), 1:30:00, 2-00:00:00 or UNLIMITED");
        }

        if (!SlurmMemory().IsMatch(Memory))
        {
            throw new UsageException($"--mem '{Memory}': expected a Slurm memory size such as 2G, 500M or 2048 (megabytes)");
        }

        foreach (string extra in SbatchArgs)
        {
            if (GridTimesOwnOption(extra) is { } own)
            {
                throw new UsageException($"--sbatch-arg '{extra}': {own}");
            }
        }

        if (Backend == SweepBackend.Slurm && Parallel != 1)
        {
            throw new UsageException("--parallel is for --backend local; Slurm runs cells at once as it can (limit them with --max-parallel)");
        }

        var defaults = new SweepBackendSettings();
        if (Backend == SweepBackend.Local && (Partition is not null || Time != defaults.Time || CpusPerTask != defaults.CpusPerTask || Memory != defaults.Memory
            || MaxParallel != defaults.MaxParallel || SbatchArgs.Count > 0 || Wait))
        {
            throw new UsageException("--partition, --time, --cpus-per-task, --mem, --max-parallel, --sbatch-arg and --wait are for --backend slurm");
        }
    }

    // The batch script's own options (SlurmBackend.Script), long name and short letter, with why a further line must not
    // set them: it would replace what the sweep relies on (its logs, its array of cells) or what a flag of its own sets.
    private static readonly (string Long, char? Short, string Why)[] OwnOptions =
    [
        ("time", 't', "set the time limit with --time"),
        ("mem", null, "set the memory with --mem"),
        ("mem-per-cpu", null, "set the memory with --mem (the script asks for --mem, which Slurm does not combine with it)"),
        ("mem-per-gpu", null, "set the memory with --mem (the script asks for --mem, which Slurm does not combine with it)"),
        ("cpus-per-task", 'c', "set the CPUs with --cpus-per-task"),
        ("partition", 'p', "set the partition with --partition"),
        ("array", 'a', "the sweep's job array is its own: limit the cells at once with --max-parallel"),
        ("output", 'o', Logs),
        ("error", 'e', Logs),
        ("open-mode", null, Logs),
        ("job-name", 'J', "the sweep sets it itself"),
        ("ntasks", 'n', "the sweep sets it itself"),
        ("requeue", null, "the sweep sets it itself"),
        ("no-requeue", null, "the sweep sets it itself"),
        ("wait", 'W', "sbatch would not return until the array ended: use sweep's own --wait"),
    ];

    private const string Logs = "each cell's log is the sweep's own (logs/JOB_TASK.log in the sweep folder, read by sweep status)";

    // Short options of sbatch that take a value: in a bundle ("-Ho/x") the letters before the first of them are flags.
    private const string ShortOptionsWithValue = "AaBbcDdeFGiJLMmNnopqSTtwx";

    // sbatch splits an #SBATCH line into words, as a shell would, and, like getopt_long, takes any unambiguous beginning
    // of a long option's name ("--out=x" is --output) and bundled short flags ("-Ho/x" is -H -o /x): every word that is
    // an option is checked, and a name that begins one of the script's own is theirs (where it also begins another
    // option, sbatch refuses it anyway). A quoted value holding " -o" is refused too: rare, and the safe side.
    private static string? GridTimesOwnOption(string argument)
    {
        foreach (string word in argument.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            string trimmed = word.TrimStart('"', '\'');
            if (trimmed.StartsWith("--", StringComparison.Ordinal))
            {
                string name = trimmed[2..].Split('=', 2)[0];
                string? why = name.Length == 0 ? null
                    : OwnOptions.FirstOrDefault(o => o.Long == name).Why
                    ?? OwnOptions.FirstOrDefault(o => o.Long.StartsWith(name, StringComparison.Ordinal)).Why;
                if (why is not null)
                {
                    return why;
                }
            }
            else if (trimmed.StartsWith('-'))
            {
                foreach (char letter in trimmed[1..])
                {
                    if (OwnOptions.FirstOrDefault(o => o.Short == letter).Why is { } why)
                    {
                        return why;
                    }

                    if (ShortOptionsWithValue.Contains(letter, StringComparison.Ordinal))
                    {
                        break; // the rest of the word is this option's value
                    }
                }
            }
        }

        return null;
    }

    // Slurm's time_str2secs: minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes,
    // days-hours:minutes:seconds, -1, UNLIMITED or INFINITE; digits 0-9 only (\d would take any script's digits).
    [GeneratedRegex(@"^(-1|[0-9]+|[0-9]+:[0-9]+|[0-9]+:[0-9]+:[0-9]+|[0-9]+-[0-9]+|[0-9]+-[0-9]+:[0-9]+|[0-9]+-[0-9]+:[0-9]+:[0-9]+|(?i:unlimited|infinite))$")]
    private static partial Regex SlurmTime();

    // Slurm's str_to_mbytes: a whole number of megabytes, or with a unit K, M, G or T (either case, a B after it allowed).
    [GeneratedRegex(@"^[0-9]+([KMGTkmgt][Bb]?)?$")]
    private static partial Regex SlurmMemory();
}
