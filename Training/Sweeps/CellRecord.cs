using System.Text.Json;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Training.Sweeps;

/// <summary>What a cell's run reports about itself.</summary>
public enum CellState
{
    /// <summary>A process is training or evaluating it.</summary>
    Running,

    /// <summary>Trained to its budget and evaluated.</summary>
    Done,

    /// <summary>Its process stopped with an error (or was interrupted) before the cell was done.</summary>
    Failed,
}

/// <summary>
/// The record a cell's process keeps in the cell's run folder (<see cref="FileName"/>), rewritten whole at its start
/// and end: which process runs it and where it logs, and, once done, what was evaluated. A sweep's status and
/// collect read it; a rerun skips the cells whose record says done for the planned budget.
/// </summary>
/// <param name="State">Running, done or failed.</param>
/// <param name="Host">The machine the process ran on.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="ProcessStartTicks">Its start time in clock ticks since boot (with the id, names one process).</param>
/// <param name="Started">When the process took the cell (UTC).</param>
/// <param name="Finished">When it stopped (UTC), or null while running.</param>
/// <param name="Log">The file its output goes to, or null.</param>
/// <param name="SlurmJob">The Slurm job of the task ("JOB_INDEX"), or null outside Slurm.</param>
/// <param name="Message">Why it failed, in one line, or null.</param>
/// <param name="TrainingSeconds">Training time of the evaluated checkpoint (done only).</param>
/// <param name="Provenance">What was evaluated (done only): the chosen checkpoint, which may be older than the run's last (eval's --select-last).</param>
/// <param name="TrainedFrames">The frames the run had trained when it was evaluated (done only): what the plan's budget is compared with.</param>
public sealed record CellRecord(CellState State, string Host, int ProcessId, long ProcessStartTicks, DateTime Started, DateTime? Finished, string? Log, string? SlurmJob,
    string? Message = null, double TrainingSeconds = 0, EvalProvenance? Provenance = null, long TrainedFrames = 0)
{
    /// <summary>The record's file in the cell's run folder.</summary>
    public const string FileName = "sweep-cell.json";

    /// <summary>A record of this process starting a cell now.</summary>
    public static CellRecord Start(string? log, string? slurmJob)
    {
        (int id, long ticks, string host) = RunLock.Self;
        return new CellRecord(CellState.Running, host, id, ticks, DateTime.UtcNow, null, log, slurmJob);
    }

    /// <summary>Whether the process that wrote a running record may still be running it.</summary>
    public bool ProcessMayRun => State == CellState.Running && RunLock.IsAlive(ProcessId, ProcessStartTicks, Host);

    /// <summary>The record of <paramref name="run"/>, or null when it has none or it cannot be read (as if the cell never started).</summary>
    public static CellRecord? Read(RunFolder run)
    {
        string path = Path.Combine(run.Path, FileName);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<CellRecord>(InputFile.ReadAllText(path, 1 << 20, "cell record"), Settings<TrainConfig>.Json) : null;
        }
        catch (Exception e) when (e is JsonException or UsageException)
        {
            // A record torn by a crash cannot happen (it is renamed into place); anything else unreadable is not ours to trust.
            return null;
        }
    }

    /// <summary>Writes the record into <paramref name="run"/> (whole).</summary>
    public void Write(RunFolder run) => OutputFile.WriteAllText(Path.Combine(run.Path, FileName), JsonSerializer.Serialize(this, Settings<TrainConfig>.Json));
}
