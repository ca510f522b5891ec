using System.Globalization;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Training.Sweeps;

/// <summary>
/// Starts a sweep: checks it against what its folder already holds, writes its plan, then runs the cells not yet
/// done on this machine (<see cref="LocalBackend"/>) or submits them as a Slurm array (<see cref="SlurmBackend"/>),
/// and collects the comparison once every cell is done. <c>reproduce</c> is a sweep without swept settings.
/// </summary>
public static class SweepRunner
{
    /// <summary>
    /// Refuses (<see cref="UsageException"/>, one line, nothing written) a sweep that may not go into
    /// <paramref name="folder"/>: a file there, a training run's own folder, a plan that differs from the folder's (<see cref="SweepPlan.DifferenceFrom"/>),
    /// a cell run trained with other settings or past a smaller --frames, or an output path that may not be written.
    /// </summary>
    public static void Check(string folder, SweepPlan plan)
    {
        if (File.Exists(folder))
        {
            throw new UsageException($"{folder} is a file, not a folder");
        }

        if (File.Exists(new RunFolder(folder).ConfigFile) && SweepPlan.Read(folder) is null)
        {
            throw new UsageException($"{folder} is a training run's folder (it holds config.json): give the sweep a folder of its own");
        }

        if (RunFolder.EnclosingRun(folder) is { } enclosing)
        {
            throw new UsageException($"{folder} is inside the run folder {enclosing}, which holds only its own files: give the sweep a folder outside it");
        }

        if (SweepPlan.Read(folder) is { } existing && plan.DifferenceFrom(existing, folder) is { } difference)
        {
            throw new UsageException(difference);
        }

        CheckCells(folder, plan);
        SweepResults.CheckOutputs(folder);
        foreach (SweepCell cell in plan.Cells)
        {
            RunEvaluation.CheckOutputs(SweepPlan.CellFolder(folder, cell));
        }
    }

    /// <summary>
    /// Refuses (<see cref="UsageException"/>, naming the first difference) a folder whose existing cell runs were
    /// trained with settings other than the plan's: only the budget (a larger one trains them on), the number of
    /// workers and the progress interval may differ. A budget smaller than the frames a cell already trained for a
    /// larger budget is refused too, naming the cell and its frames: its checkpoints cannot be made younger, so the
    /// comparison would show frames the plan and summary.md do not. Covers folders made before plans were written.
    /// </summary>
    public static void CheckCells(string folder, SweepPlan plan)
    {
        foreach (SweepCell cell in plan.Cells)
        {
            RunFolder run = SweepPlan.CellFolder(folder, cell);
            if (!Directory.Exists(run.Path))
            {
                continue;
            }

            CheckpointHeader? trained;
            Config.TrainConfig? existing;
            try
            {
                trained = ResumePoint.Find(run)?.Header;
                existing = trained?.Config ?? run.ReadConfig()?.Config;
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message, e);
            }

            var differences = existing is null ? [] : ResumePlan.Differences(Adjustable(existing, cell.Config), cell.Config);
            if (differences.Count > 0)
            {
                (string setting, string before, string now) = differences[0];
                throw new UsageException($"{folder} holds {run.Name} trained with other settings: {setting} is {before} there but {now} in this command"
                    + $"{(differences.Count > 1 ? $" (and {differences.Count - 1} more)" : "")}; give the settings it was made with, or a new --run-dir");
            }

            // Refused only when the cell aimed beyond --frames too: a cell trained to its own budget (the same command
            // again) can hold a few frames more than it, as each worker's last update counts all its frames.
            if (trained is { } header && header.Frames > cell.Config.Frames && header.Config.Frames > cell.Config.Frames)
            {
                long enough = Math.Min(header.Frames, header.Config.Frames);
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"{folder} holds {run.Name} trained to {header.Frames:N0} frames, more than --frames {cell.Config.Frames:N0}: give --frames {enough} or more, or another --run-dir"));
            }
        }
    }

    /// <summary><paramref name="existing"/> with the settings a rerun of a sweep may change taken from <paramref name="wanted"/>.</summary>
    public static Config.TrainConfig Adjustable(Config.TrainConfig existing, Config.TrainConfig wanted) =>
        existing with { Frames = wanted.Frames, ProgressSeconds = wanted.ProgressSeconds, Workers = wanted.Workers };

    /// <summary>Takes the sweep folder's lock and writes the plan (after <see cref="Check"/>); dispose the lock when done.</summary>
    public static RunLock Begin(string folder, SweepPlan plan)
    {
        RunLock sweepLock = RunLock.Acquire(folder, RunLock.SweepFileName);
        plan.Write(folder);
        return sweepLock;
    }

    /// <summary>
    /// Runs the cells of <paramref name="plan"/> not yet done on this machine, then collects; returns how it ended.
    /// </summary>
    public static SweepOutcome RunLocal(string folder, SweepPlan plan, int parallel, CancellationToken stop)
    {
        IReadOnlyList<CellStatus> before = SweepStatus.Of(folder, plan, askSlurm: true, out _);
        var todo = new List<SweepCell>();
        foreach (CellStatus status in before)
        {
            switch (status.Progress)
            {
                case CellProgress.Done:
                    Console.WriteLine($"== {status.Cell.Name}: already trained and evaluated ({status.Detail})");
                    break;
                case CellProgress.Running:
                    Console.WriteLine($"== {status.Cell.Name}: running elsewhere ({status.Detail}); not started here");
                    break;
                default:
                    if (status.InSlurmQueue)
                    {
                        Console.WriteLine($"== {status.Cell.Name}: queued ({status.Detail}); not started here");
                    }
                    else
                    {
                        todo.Add(status.Cell);
                    }

                    break;
            }
        }

        if (!LocalBackend.Run(folder, plan, todo, parallel, stop))
        {
            Console.Error.WriteLine($"gridtime: interrupted; run the same command with --run-dir {CommandLine.Quote(folder)} to resume");
            return SweepOutcome.Interrupted;
        }

        return Finish(folder, plan, stop);
    }

    /// <summary>
    /// After the cells ran: one line per cell not done (naming its log), the comparison of the done ones, and whether
    /// every cell is done.
    /// </summary>
    public static SweepOutcome Finish(string folder, SweepPlan plan, CancellationToken stop)
    {
        IReadOnlyList<CellStatus> after = SweepStatus.Of(folder, plan, askSlurm: true, out string? problem);
        if (problem is not null)
        {
            Console.Error.WriteLine($"gridtime: warning: {problem}");
        }

        foreach (CellStatus failed in after.Where(s => s.Progress == CellProgress.Failed))
        {
            Console.Error.WriteLine($"gridtime: {SweepStatus.FailureLine(failed)}");
        }

        int done = after.Count(s => s.Progress == CellProgress.Done);
        if (done > 0)
        {
            string summary = SweepResults.Collect(folder, plan, after, stop);
            Console.WriteLine();
            Console.WriteLine(summary);
            Console.WriteLine(SweepResults.WroteLine(folder));
        }

        if (done == after.Count)
        {
            return SweepOutcome.Done;
        }

        Console.Error.WriteLine($"gridtime: {after.Count - done} of {SweepCell.Count(after.Count)} not done; run the same command to run them (finished cells are kept)");
        return SweepOutcome.NotAllDone;
    }

    /// <summary>
    /// Submits the cells of <paramref name="plan"/> that are neither done nor queued in Slurm as one array; with
    /// <paramref name="wait"/>, waits for it to leave the queue and finishes as <see cref="Finish"/>.
    /// </summary>
    public static SweepOutcome SubmitSlurm(string folder, SweepPlan plan, SlurmResources resources, bool wait, CancellationToken stop)
    {
        IReadOnlyList<CellStatus> statuses = SweepStatus.Of(folder, plan, askSlurm: true, out string? problem);
        if (problem is not null)
        {
            throw new SlurmException($"cannot ask Slurm about the sweep's earlier arrays ({problem}); nothing was submitted");
        }

        var todo = statuses.Where(s => s.Progress is CellProgress.Pending or CellProgress.Failed && !s.InSlurmQueue).Select(s => s.Cell.Index).ToList();
        int busy = statuses.Count(s => s.InSlurmQueue || s.Progress == CellProgress.Running);
        if (todo.Count == 0)
        {
            Console.WriteLine($"nothing to submit: {SweepCell.Count(statuses.Count(s => s.Progress == CellProgress.Done))} done, {busy} queued or running");
            return busy > 0 ? SweepOutcome.Submitted : Finish(folder, plan, stop);
        }

        string job = SlurmBackend.Submit(folder, plan, todo, resources);
        Console.WriteLine($"submitted {todo.Count} of {SweepCell.Count(statuses.Count)} as Slurm array job {job} ({Path.Combine(folder, SlurmBackend.ScriptName)}; logs in {Path.Combine(folder, SlurmBackend.LogFolder)}/{job}_INDEX.log)"
            + (busy > 0 ? $"; {SweepCell.Count(busy)} already queued or running" : ""));
        if (!wait)
        {
            Console.WriteLine($"follow it with: gridtime sweep status --run-dir {CommandLine.Quote(folder)}; when done: gridtime sweep collect --run-dir {CommandLine.Quote(folder)}");
            return SweepOutcome.Submitted;
        }

        SlurmBackend.Wait(job, TimeSpan.FromSeconds(2), stop);
        return Finish(folder, plan, stop);
    }
}

/// <summary>How a sweep command ended.</summary>
public enum SweepOutcome
{
    /// <summary>Every cell is trained and evaluated, and the results are collected.</summary>
    Done,

    /// <summary>Handed to Slurm (or already there): cells are queued or running, nothing is left to do here for now.</summary>
    Submitted,

    /// <summary>Some cell failed or is not done; the done ones are collected.</summary>
    NotAllDone,

    /// <summary>Stopped by Ctrl+C or SIGTERM; finished cells are kept and the same command resumes.</summary>
    Interrupted,
}
