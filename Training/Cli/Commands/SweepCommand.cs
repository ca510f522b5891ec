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
        var backend = new ConfigBinding<SweepBackendSettings>();
        command.Options.Add(set);
        backend.AddTo(command);

        command.SetAction(parsed =>
        {
            SweepBackendSettings where = backend.ApplyFlags(new SweepBackendSettings(), parsed);
            where.Validate();
            bool workersGiven = options.WorkersGiven(parsed);
            int workers = where.WorkersPerCell(System.Environment.ProcessorCount);
            SweepPlan plan = options.Plan(parsed, parsed.GetValue(set) ?? [], config => workersGiven ? config : config with { Workers = workers });
            string folder = options.Folder(parsed);
            SweepRunner.Check(folder, plan);
            using (SweepRunner.Begin(folder, plan))
            {
                return where.Backend == SweepBackend.Local
                    ? Program.ExitCode(SweepRunner.RunLocal(folder, plan, where.Parallel, Program.Stop))
                    : Program.ExitCode(SweepRunner.SubmitSlurm(folder, plan, where.Resources, where.Wait, Program.Stop));
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
