using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Runs;

namespace GridTime.Training.Sweeps;

/// <summary>
/// Runs one cell of a sweep in this process: trains its run (or resumes it, or finds it trained), then evaluates
/// it, keeping the cell's <see cref="CellRecord"/> current. The same code runs a cell of a local sweep, of
/// <c>reproduce</c>, and of a Slurm array task (<c>gridtime sweep run-cell</c>), so a requeued or rerun cell
/// resumes from its last checkpoint.
/// </summary>
public static class CellRunner
{
    /// <summary>
    /// Runs <paramref name="cell"/> of the sweep in <paramref name="folder"/>; returns its evaluated result, or null
    /// when <paramref name="stop"/> interrupted it (the record then says failed: interrupted, and a rerun resumes it).
    /// </summary>
    /// <param name="folder">The sweep folder.</param>
    /// <param name="plan">The sweep's plan.</param>
    /// <param name="cell">The cell to run.</param>
    /// <param name="log">Where this process's output goes (recorded for status), or null.</param>
    /// <param name="slurmJob">The Slurm task running it ("JOB_INDEX"), or null.</param>
    /// <param name="stop">Ctrl+C or SIGTERM (Slurm's cancel and requeue).</param>
    /// <exception cref="UsageException">Another process runs the cell, or its run folder holds something refused.</exception>
    public static ComparisonCell? Run(string folder, SweepPlan plan, SweepCell cell, string? log, string? slurmJob, CancellationToken stop)
    {
        RunFolder run = SweepPlan.CellFolder(folder, cell);
        using RunLock cellLock = RunLock.Acquire(run.Path, RunLock.CellFileName);
        CellRecord record = CellRecord.Start(log, slurmJob);
        record.Write(run);
        try
        {
            FaultInjection.FailCellIfAsked(cell.Name);
            RunEvaluation.CheckOutputs(run);
            TrainConfig config = cell.Config;
            ResumePoint? resume = ResumePoint.Find(run);
            long done = resume?.Header.Frames ?? 0;
            if (done < config.Frames)
            {
                SessionStart start = resume is null && !File.Exists(run.ConfigFile)
                    ? SessionStart.NewRun()
                    : ResumePlan.Make(run, settings => SweepRunner.Adjustable(settings, config)).Start;
                Console.WriteLine(resume is null ? $"== {run.Name}: training" : $"== {run.Name}: resuming at {done:N0} frames");
                TrainingOutcome trained = Trainer.Start(config, run, start, stop);
                if (trained.Interrupted)
                {
                    (record with { State = CellState.Failed, Finished = DateTime.UtcNow, Message = "interrupted; the next run of the sweep resumes it" }).Write(run);
                    return null;
                }

                done = trained.Frames;
            }
            else
            {
                Console.WriteLine($"== {run.Name}: already trained ({done:N0} frames)");
            }

            // The cell's evaluation holds the run's eval lock: a concurrent eval of the same run is refused.
            using (RunLock.Acquire(run.Path, RunLock.EvalFileName))
            {
                CheckpointFile chosen = RunEvaluation.Choose(run.Path, null, plan.Eval, stop);
                CheckpointHeader final = chosen.Header;
                (EvaluationTable table, EvalProvenance provenance) = RunEvaluation.Evaluate(run, chosen, plan.Eval, stop);
                Console.WriteLine($"{run.Name}: {RunEvaluation.Summary(table, final.Config.MinT, final.Config.MaxT)}");
                Console.WriteLine($"{run.Name}: provenance: {provenance}");
                (record with { State = CellState.Done, Finished = DateTime.UtcNow, TrainingSeconds = final.WallSeconds, Provenance = provenance, TrainedFrames = done }).Write(run);
                return new ComparisonCell(config.Agent, config.Seed, final.Frames, final.WallSeconds, table, provenance, cell.SettingsLabel);
            }
        }
        catch (OperationCanceledException)
        {
            (record with { State = CellState.Failed, Finished = DateTime.UtcNow, Message = "interrupted; the next run of the sweep resumes it" }).Write(run);
            throw;
        }
        catch (Exception e)
        {
            (record with { State = CellState.Failed, Finished = DateTime.UtcNow, Message = e.Message.Split('\n')[0] }).Write(run);
            throw;
        }
    }
}
