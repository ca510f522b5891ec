using System.CommandLine;
using System.Globalization;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Sweeps;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime sweep</c>: agents x seeds x setting grids (<c>--set NAME=V1,V2</c>), each cell an independent,
/// resumable run, run on this machine (<c>--backend local</c>, <c>--parallel N</c>) or as a Slurm job array
/// (<c>--backend slurm</c>); <c>sweep status</c> shows each cell, <c>sweep collect</c> merges the finished ones.
/// </summary>
public static class SweepCommand
{
    /// <summary>Builds the command and its subcommands.</summary>
    public static Command Create()
    {
        var command = new Command("sweep", "Train and evaluate agents x seeds x settings (--set NAME=V1,V2), here or as a Slurm job array; rerun to run what is missing or failed.");
        var options = new SweepOptions(command, "sweep");
        var set = new Option<string[]>("--set") { Description = "A training setting to sweep and its values, e.g. --set learning-rate=1e-4,5e-4 (repeat for a grid).", HelpName = "NAME=V1,V2", AllowMultipleArgumentsPerToken = false };
        var backend = new Option<string>("--backend") { Description = "Where the cells run: local (this machine) or slurm (one job array, one task per cell).", DefaultValueFactory = _ => "local" };
        backend.AcceptOnlyFromAmong("local", "slurm");
        var parallel = new Option<int>("--parallel") { Description = "local: cells run at once, each in its own process (workers default to cores / N).", DefaultValueFactory = _ => 1 };
        var partition = new Option<string>("--partition") { Description = "slurm: the partition [default: the cluster's default]." };
        var time = new Option<string>("--time") { Description = "slurm: time limit of one cell's task (sbatch --time).", DefaultValueFactory = _ => "01:00:00" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "slurm: CPUs of one cell's task; the cell trains with this many workers unless --workers is given.", DefaultValueFactory = _ => 2 };
        var memory = new Option<string>("--mem") { Description = "slurm: memory of one cell's task (sbatch --mem).", DefaultValueFactory = _ => "2G" };
        var maxParallel = new Option<int>("--max-parallel") { Description = "slurm: at most K cells at once (the array's %K; 0 = no limit).", DefaultValueFactory = _ => 0, HelpName = "K" };
        var sbatchArgs = new Option<string[]>("--sbatch-arg") { Description = "slurm: a further sbatch option, written as its own #SBATCH line (repeat), e.g. --sbatch-arg=--account=lab.", AllowMultipleArgumentsPerToken = false };
        var wait = new Option<bool>("--wait") { Description = "slurm: wait until the array has finished, then report failed cells and collect." };
        foreach (Option option in new Option[] { set, backend, parallel, partition, time, cpus, memory, maxParallel, sbatchArgs, wait })
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed =>
        {
            bool slurm = parsed.GetValue(backend) == "slurm";
            int cellsAtOnce = parsed.GetValue(parallel);
            int cpusPerTask = parsed.GetValue(cpus);
            if (cellsAtOnce < 1 || cellsAtOnce > 1024)
            {
                throw new UsageException($"--parallel must be 1..1024, got {cellsAtOnce}");
            }

            if (cpusPerTask < 1 || cpusPerTask > TrainConfig.MaximumWorkers)
            {
                throw new UsageException($"--cpus-per-task must be 1..{TrainConfig.MaximumWorkers}, got {cpusPerTask}");
            }

            if (parsed.GetValue(maxParallel) < 0)
            {
                throw new UsageException($"--max-parallel must be 0 (no limit) or more, got {parsed.GetValue(maxParallel)}");
            }

            // Each goes into the script as one #SBATCH line: a line break would smuggle in a command.
            foreach ((string flag, string? value) in new[] { ("--partition", parsed.GetValue(partition)), ("--time", parsed.GetValue(time)), ("--mem", parsed.GetValue(memory)) }
                .Concat((parsed.GetValue(sbatchArgs) ?? []).Select(a => ("--sbatch-arg", (string?)a))))
            {
                if (value is not null && (value.Length == 0 || value.Any(char.IsControl) || (flag == "--sbatch-arg" && !value.StartsWith('-'))))
                {
                    throw new UsageException($"{flag} '{value.ReplaceLineEndings(" ")}': expected one sbatch value on one line{(flag == "--sbatch-arg" ? ", an option starting with -" : "")}");
                }
            }

            if (slurm && cellsAtOnce != 1)
            {
                throw new UsageException("--parallel is for --backend local; Slurm runs cells at once as it can (limit them with --max-parallel)");
            }

            bool workersGiven = options.WorkersGiven(parsed);
            int workers = slurm ? cpusPerTask : Math.Max(1, System.Environment.ProcessorCount / cellsAtOnce);
            SweepPlan plan = options.Plan(parsed, parsed.GetValue(set) ?? [], config => workersGiven ? config : config with { Workers = workers });
            string folder = options.Folder(parsed);
            SweepRunner.Check(folder, plan);
            using (SweepRunner.Begin(folder, plan))
            {
                if (!slurm)
                {
                    return Program.ExitCode(SweepRunner.RunLocal(folder, plan, cellsAtOnce, Program.Stop));
                }

                var resources = new SlurmResources(parsed.GetValue(partition), parsed.GetValue(time)!, cpusPerTask, parsed.GetValue(memory)!, parsed.GetValue(maxParallel), parsed.GetValue(sbatchArgs) ?? []);
                return Program.ExitCode(SweepRunner.SubmitSlurm(folder, plan, resources, parsed.GetValue(wait), Program.Stop));
            }
        });

        command.Subcommands.Add(StatusCommand());
        command.Subcommands.Add(CollectCommand());
        command.Subcommands.Add(RunCellCommand());
        return command;
    }

    private static Option<string> FolderOption() => new("--run-dir") { Description = "The sweep's folder.", Required = true, HelpName = "folder" };

    // The sweep in the folder and where its cells stand; when Slurm cannot be asked, a warning and the cells' own records.
    private static (string Folder, SweepPlan Plan, IReadOnlyList<CellStatus> Statuses) Statuses(string folder)
    {
        SweepPlan plan = SweepPlan.Require(folder);
        IReadOnlyList<CellStatus> statuses = SweepStatus.Of(folder, plan, askSlurm: true, out string? problem);
        if (problem is not null)
        {
            Console.Error.WriteLine($"gridtime: warning: {problem}; the cells' own records alone are shown");
        }

        return (folder, plan, statuses);
    }

    private static Command StatusCommand()
    {
        var folder = FolderOption();
        var command = new Command("status", "Show each cell of a sweep as pending, running, done or failed (with a failed cell's log).") { folder };
        command.SetAction(parsed =>
        {
            (_, _, IReadOnlyList<CellStatus> statuses) = Statuses(parsed.GetValue(folder)!);
            Console.WriteLine(SweepStatus.Describe(statuses));
            return 0;
        });
        return command;
    }

    private static Command CollectCommand()
    {
        var folder = FolderOption();
        var command = new Command("collect", "Merge a sweep's finished cells into comparison.csv, comparison.png, comparison-reward.png, comparison-outcomes.png and summary.md.") { folder };
        command.SetAction(parsed =>
        {
            (string path, SweepPlan plan, IReadOnlyList<CellStatus> statuses) = Statuses(parsed.GetValue(folder)!);
            string summary = SweepResults.Collect(path, plan, statuses, Program.Stop);
            Console.WriteLine(summary);
            Console.WriteLine($"{SweepResults.WroteLine(path)} ({statuses.Count(s => s.Progress == CellProgress.Done)} of {SweepCell.Count(statuses.Count)})");
            return 0;
        });
        return command;
    }

    // What one Slurm array task (or one process of a local --parallel sweep) runs: exactly one cell.
    private static Command RunCellCommand()
    {
        var folder = FolderOption();
        var cell = new Option<int>("--cell") { Description = "The cell's index in the plan (the Slurm array task id).", Required = true };
        var log = new Option<string>("--log") { Description = "Where this process's output goes (recorded for status)." };
        var command = new Command("run-cell", "Run one cell of a sweep (what each Slurm array task runs).") { folder, cell, log };
        command.Hidden = true;
        command.SetAction(parsed =>
        {
            string path = parsed.GetValue(folder)!;
            SweepPlan plan = SweepPlan.Require(path);
            int index = parsed.GetValue(cell);
            if (index < 0 || index >= plan.Cells.Count)
            {
                throw new UsageException($"--cell {index}: the sweep in {path} has cells 0..{plan.Cells.Count - 1}");
            }

            string? arrayJob = System.Environment.GetEnvironmentVariable("SLURM_ARRAY_JOB_ID");
            string? slurmJob = arrayJob is null ? null : $"{arrayJob}_{index.ToString(CultureInfo.InvariantCulture)}";
            string? logPath = parsed.GetValue(log) ?? (arrayJob is null ? null : SlurmBackend.LogOf(path, arrayJob, index));
            SweepCell chosen = plan.Cells[index];
            Console.WriteLine($"gridtime sweep: cell {index} {chosen.Name} on {System.Environment.MachineName}{(slurmJob is null ? "" : $" (Slurm task {slurmJob})")}");
            return CellRunner.Run(path, plan, chosen, logPath, slurmJob, Program.Stop) is null ? Program.Interrupted : 0;
        });
        return command;
    }
}
