using GridTime.Training.Runs;

namespace GridTime.Training.Sweeps;

/// <summary>Where a cell of a sweep stands.</summary>
public enum CellProgress
{
    /// <summary>Not started, or queued by Slurm, or stopped before it could start: the next run of the sweep runs it.</summary>
    Pending,

    /// <summary>A process (here or in a Slurm task) is training or evaluating it.</summary>
    Running,

    /// <summary>Trained to its budget and evaluated.</summary>
    Done,

    /// <summary>Its process failed, was interrupted or its Slurm task was cancelled: the next run of the sweep runs it again.</summary>
    Failed,
}

/// <summary>One cell's standing, with a one-line detail and the log to read when it failed.</summary>
/// <param name="Cell">The cell.</param>
/// <param name="Progress">Pending, running, done or failed.</param>
/// <param name="Detail">What is known: the Slurm task and its state, the failure's message, the frames.</param>
/// <param name="Log">The log of the process that last ran it (or of its Slurm task), or null.</param>
/// <param name="Record">The cell's own record, or null when it never started.</param>
public sealed record CellStatus(SweepCell Cell, CellProgress Progress, string Detail, string? Log, CellRecord? Record)
{
    /// <summary>Slurm queues or runs a task for the cell: it must not be run or submitted again.</summary>
    public bool InSlurmQueue { get; init; }
}

/// <summary>
/// Reads where every cell of a sweep stands: from the cells' own records (<see cref="CellRecord"/>) and, while
/// an array submitted for the sweep is known to Slurm, from squeue (queued and running tasks) and scontrol
/// (final states and exit codes of finished tasks, such as a task cancelled before it started).
/// </summary>
public static class SweepStatus
{
    /// <summary>
    /// The standing of every cell of <paramref name="plan"/> in <paramref name="folder"/>. With
    /// <paramref name="askSlurm"/>, arrays recorded for the sweep are looked up; when Slurm cannot be asked,
    /// <paramref name="slurmProblem"/> says why (one line) and the cells' records alone decide.
    /// </summary>
    public static IReadOnlyList<CellStatus> Of(string folder, SweepPlan plan, bool askSlurm, out string? slurmProblem)
    {
        slurmProblem = null;

        // The latest array that ran each cell, and what Slurm says about that array's tasks.
        var latest = new Dictionary<int, SubmittedArray>();
        foreach (SubmittedArray array in SlurmBackend.Jobs(folder))
        {
            foreach (int index in array.Cells)
            {
                latest[index] = array;
            }
        }

        var queued = new Dictionary<string, IReadOnlyDictionary<int, string>>();
        var outcomes = new Dictionary<string, IReadOnlyDictionary<int, (string State, string ExitCode)>>();
        if (askSlurm && latest.Count > 0)
        {
            try
            {
                foreach (string job in latest.Values.Select(a => a.Job).Distinct())
                {
                    queued[job] = SlurmClient.QueuedTasks(job);
                    outcomes[job] = SlurmClient.TaskOutcomes(job);
                }
            }
            catch (SlurmException e)
            {
                slurmProblem = e.Message;
                queued.Clear();
                outcomes.Clear();
            }
        }

        var statuses = new List<CellStatus>();
        foreach (SweepCell cell in plan.Cells)
        {
            RunFolder run = SweepPlan.CellFolder(folder, cell);
            CellRecord? record = CellRecord.Read(run);
            SubmittedArray? array = latest.GetValueOrDefault(cell.Index);
            string? task = array is null ? null : $"{array.Job}_{cell.Index}";
            string? slurmLog = array is null ? null : SlurmBackend.LogOf(folder, array.Job, cell.Index);
            string? queuedState = array is not null && queued.TryGetValue(array.Job, out var q) ? q.GetValueOrDefault(cell.Index) : null;
            (string State, string ExitCode)? outcome = array is not null && outcomes.TryGetValue(array.Job, out var o) && o.TryGetValue(cell.Index, out var found) ? found : null;
            bool slurmAnswered = array is not null && queued.ContainsKey(array.Job);
            string? log = record?.Log ?? (slurmLog is not null && File.Exists(slurmLog) ? slurmLog : null);

            CellStatus status;
            if (IsDone(folder, cell, record))
            {
                status = new CellStatus(cell, CellProgress.Done, $"{Math.Max(record!.TrainedFrames, record.Provenance!.Frames):N0} frames, evaluated {record.Provenance.Checkpoint} ({record.Provenance.Frames:N0} frames)", log, record);
            }
            else if (queuedState is "RUNNING" or "COMPLETING" or "CONFIGURING")
            {
                status = new CellStatus(cell, CellProgress.Running, $"Slurm task {task} {queuedState}", record?.Log ?? slurmLog, record) { InSlurmQueue = true };
            }
            else if (queuedState is not null)
            {
                status = new CellStatus(cell, CellProgress.Pending, $"Slurm task {task} {queuedState}", null, record) { InSlurmQueue = true };
            }
            else if (record is { State: CellState.Running } && !slurmAnswered && record.ProcessMayRun)
            {
                status = new CellStatus(cell, CellProgress.Running, $"process {record.ProcessId} on {record.Host} since {record.Started:yyyy-MM-dd HH:mm:ss} UTC", record.Log, record);
            }
            else if (outcome is { State: not "COMPLETED" } ended && record is not { State: CellState.Failed })
            {
                string what = ended.State == "CANCELLED" && record is null ? "cancelled before it started (no log)" : $"{ended.State}, exit code {ended.ExitCode}";
                status = new CellStatus(cell, CellProgress.Failed, $"Slurm task {task} {what}", record is null ? null : log, record);
            }
            else if (record is { State: CellState.Failed })
            {
                string slurmSays = outcome is { State: not "COMPLETED" } final ? $" (Slurm task {task} {final.State}, exit code {final.ExitCode})" : "";
                status = new CellStatus(cell, CellProgress.Failed, (record.Message ?? "failed") + slurmSays, log, record);
            }
            else if (record is { State: CellState.Running })
            {
                status = new CellStatus(cell, CellProgress.Failed, $"its process ({record.ProcessId} on {record.Host}) stopped without finishing it (killed?)", log, record);
            }
            else if (record is { State: CellState.Done } && Math.Max(record.TrainedFrames, record.Provenance?.Frames ?? 0) >= cell.Config.Frames)
            {
                status = new CellStatus(cell, CellProgress.Pending, "its eval.csv is no longer the sweep's evaluation (evaluated again by hand? `gridtime eval --run CELL --out FOLDER` leaves it in place); the next run of the sweep evaluates it again", log, record);
            }
            else if (record is { State: CellState.Done })
            {
                status = new CellStatus(cell, CellProgress.Pending, $"trained {Math.Max(record.TrainedFrames, record.Provenance?.Frames ?? 0):N0} frames; the plan now asks for {cell.Config.Frames:N0}", log, record);
            }
            else
            {
                status = new CellStatus(cell, CellProgress.Pending, array is null ? "not started" : $"not started (Slurm task {task} is no longer known)", null, record);
            }

            statuses.Add(status);
        }

        return statuses;
    }

    /// <summary>
    /// Whether <paramref name="cell"/> is finished: its record says done, trained to the plan's budget or beyond
    /// (whichever checkpoint the evaluation chose), and its run's eval.csv is still the evaluation the record names
    /// (an eval run by hand since then replaced it: the next run of the sweep evaluates the cell again).
    /// </summary>
    public static bool IsDone(string folder, SweepCell cell, CellRecord? record) =>
        record is { State: CellState.Done, Provenance: { } provenance } && Math.Max(record.TrainedFrames, provenance.Frames) >= cell.Config.Frames
            && SweepResults.IsSweepsEvaluation(SweepPlan.CellFolder(folder, cell), provenance);

    /// <summary>The status as a table for the terminal: one line per cell, then the counts.</summary>
    public static string Describe(IReadOnlyList<CellStatus> statuses)
    {
        int width = Math.Max(4, statuses.Max(s => s.Cell.Name.Length));
        var lines = new List<string> { $"{"cell",4}  {"name".PadRight(width)}  {"state",-8}  detail" };
        foreach (CellStatus s in statuses)
        {
            string log = s.Progress == CellProgress.Failed && s.Log is not null ? $"; log: {s.Log}" : "";
            lines.Add($"{s.Cell.Index,4}  {s.Cell.Name.PadRight(width)}  {s.Progress.ToString().ToLowerInvariant(),-8}  {s.Detail}{log}");
        }

        lines.Add(string.Join(", ", Enum.GetValues<CellProgress>().Select(p => $"{statuses.Count(s => s.Progress == p)} {p.ToString().ToLowerInvariant()}")) + $" (of {statuses.Count})");
        return string.Join('\n', lines);
    }

    /// <summary>One line naming a failed cell and its log.</summary>
    public static string FailureLine(CellStatus status) =>
        $"cell {status.Cell.Index} {status.Cell.Name} failed: {status.Detail}{(status.Log is not null ? $"; log: {status.Log}" : "")}";
}
