using System.Globalization;
using System.Diagnostics;
using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Runs;
using GridTime.Training.Progress;
using static TorchSharp.torch;

namespace GridTime.Training;

/// <summary>How a training session ended.</summary>
/// <param name="Frames">Frames trained in total (all sessions of the run).</param>
/// <param name="WallSeconds">Training time in total.</param>
/// <param name="Interrupted">True when stopped by a signal before the budget was spent.</param>
public sealed record TrainingOutcome(long Frames, double WallSeconds, bool Interrupted);

/// <summary>
/// Runs A3C training for one run folder: starts one dedicated thread per worker (TorchSharp state is
/// per thread), and on the main thread writes metrics, checkpoints and progress until the frame budget is
/// spent or <c>stop</c> is cancelled; then it stops the workers, writes a final checkpoint and flushes logs.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains as the one writer of <paramref name="folder"/>: takes the run's lock (refusing when a live
    /// process holds it, taking over a stale one), makes a resumed folder consistent with its checkpoint
    /// (see <see cref="ResumePoint.Prepare"/>, <see cref="MetricsLog.Repair"/> and
    /// <see cref="MetricsLog.RebuildTensorBoard"/>), writes config.json and trains. What was repaired or
    /// skipped is reported as warnings on <paramref name="warnings"/>.
    /// </summary>
    public static TrainingOutcome Start(TrainConfig config, RunFolder folder, SessionStart start, CancellationToken stop, TextWriter? warnings = null)
    {
        warnings ??= Console.Error;
        using RunLock runLock = RunLock.Acquire(folder.Path, RunLock.FileName, warnings);

        folder.Create();
        if (start.Resumes)
        {
            long frames = start.Resume?.Header.Frames ?? 0;
            IEnumerable<string> notes = start.Notes
                .Concat((start.Resume?.Skipped ?? []).Select(reason => $"{reason}; resuming from the previous checkpoint, {start.Resume!.Checkpoint}"))
                .Concat(start.Resume?.Prepare(folder) ?? [])
                .Concat(MetricsLog.Repair(folder.MetricsFile, frames))
                .Concat(Directory.GetFiles(folder.EpisodeFolder, "worker-*.msgpack").Order(StringComparer.Ordinal).SelectMany(log => EpisodeLogRepair.Repair(log, frames)));
            foreach (string note in notes.Concat(KeepDamagedConfig(folder)))
            {
                warnings.WriteLine($"gridtime: warning: {note}");
            }

            MetricsLog.RebuildTensorBoard(folder.MetricsFile, folder.TensorBoardFolder);
        }

        folder.WriteConfig(config, new RunRecord(start.RunId, start.Changes) { Folder = folder.Path, Ancestors = start.Ancestors });
        if (start.NewChanges.Count > 0)
        {
            // Said once it is true: the lock is held and config.json records the changes.
            Console.WriteLine($"from {start.NewChanges[0].Frames:N0} frames on: {string.Join(", ", start.NewChanges.Select(c => $"{c.Setting} {c.To} (was {c.From})"))}; recorded in {folder.ConfigFile}");
            if (config.LearningRateSchedule == LearningRateSchedule.Linear && start.NewChanges.Any(c => c.Setting == "frames"))
            {
                long at = start.NewChanges[0].Frames;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"the linear learning rate follows the new budget: {config.LearningRateAt(at):G3} at {at:N0} frames, 0 at {config.Frames:N0}"));
            }
        }

        return Run(config, folder, start, stop);
    }

    // A resumed run takes its settings from the checkpoint; a damaged config.json is kept aside, then rewritten.
    private static IEnumerable<string> KeepDamagedConfig(RunFolder folder)
    {
        if (!File.Exists(folder.ConfigFile))
        {
            yield break;
        }

        string? problem = null;
        try
        {
            folder.ReadConfig();
        }
        catch (UsageException e)
        {
            problem = e.Message;
        }

        if (problem is not null)
        {
            File.Move(folder.ConfigFile, folder.ConfigFile + ".damaged", overwrite: true);
            yield return $"{problem}; kept as config.json.damaged and written again from the checkpoint";
        }
    }

    /// <summary>
    /// Trains from <paramref name="start"/>: a new network, or the checkpoint it resumes (whose optimizer takes
    /// the hyperparameters of <paramref name="config"/>, so a setting changed on resume applies at once).
    /// </summary>
    public static TrainingOutcome Run(TrainConfig config, RunFolder folder, SessionStart start, CancellationToken stop, TextWriter? output = null)
    {
        set_num_threads(1);
        long startFrames = 0;
        double previousSeconds = 0;
        ActorCritic network;
        SharedAdam optimizer;
        if (start.Resume is not { } resume)
        {
            network = new ActorCritic(config.Network);
            optimizer = SharedAdam.For(network, config);
        }
        else
        {
            (network, optimizer) = Checkpoint.Load(resume.File, config);
            startFrames = resume.Header.Frames;
            previousSeconds = resume.Header.WallSeconds;
        }

        using var sharedNetwork = network;
        using var sharedOptimizer = optimizer;
        var shared = new SharedTraining(config, network, optimizer, startFrames, folder.Name) { HoldAtIntervals = true, RunId = start.RunId };
        using var metrics = new MetricsLog(folder.MetricsFile, folder.TensorBoardFolder);
        metrics.WriteSettings(startFrames, File.Exists(folder.ConfigFile)
            ? File.ReadAllText(folder.ConfigFile)
            : System.Text.Json.JsonSerializer.Serialize(config, Settings<TrainConfig>.Json));
        using Evaluation.TrainingMonitor? monitor = config.MonitorInterval > 0 ? new Evaluation.TrainingMonitor(config, network.Options) : null;
        TextWriter messages = output ?? Console.Out;
        messages.WriteLine($"training {config.Agent.Name()} on T ~ U{{{config.MinT}..{config.MaxT}}} with seed {config.Seed} and lr {config.LearningRate}{(config.LearningRateSchedule == LearningRateSchedule.Linear ? " (linear to 0)" : "")} for {config.Frames:N0} frames{TimeLeftReading(config)}");
        messages.WriteLine($"{Count(config.Workers, "worker")} x {Count(config.EnvsPerWorker, "environment")} x {config.Steps}-step rollouts -> {folder.Path}");
        messages.WriteLine($"computing with {(Agents.Kernels.Simd.KernelsInUse && !Agents.Kernels.FastRolloutPass.Takes(network) ? "autograd, GridTime's kernels serving the layers that have one (this network has no fast pass)" : Agents.Kernels.Simd.InUse)}");
        TrainingOutcome outcome = ProgressDisplay.Run(TimeSpan.FromSeconds(config.ProgressSeconds), progress => Train(config, folder, start.Changes, stop, shared, startFrames, previousSeconds, metrics, monitor, progress), output);
        messages.WriteLine(outcome.Interrupted
            ? $"interrupted at {outcome.Frames:N0} frames; checkpoint written, resume with: gridtime train --resume {Files.CommandLine.Quote(folder.Path)}"
            : $"done: {outcome.Frames:N0} frames in {Took(outcome.WallSeconds, startFrames, previousSeconds)}; latest checkpoint {folder.LatestCheckpoint}");
        return outcome;
    }

    /// <summary>
    /// How long training took, "0:04:51"; after a resume this process's own time first, then the run's in all:
    /// "0:00:10 in this session (0:00:22 in all, 0:00:12 of them before it continued from 1,000,000 frames)".
    /// </summary>
    public static string Took(double wallSeconds, long startFrames, double previousSeconds)
    {
        // Whole seconds, the session's the difference of the other two, so that the parts shown add up (2.6 s before and
        // 3.6 s now, each cut to whole seconds alone, read 2 + 3 = 6).
        double total = Math.Round(wallSeconds), before = Math.Min(total, Math.Round(previousSeconds));
        string all = ProgressDisplay.Clock(TimeSpan.FromSeconds(total));
        return startFrames == 0
            ? all
            : string.Create(CultureInfo.InvariantCulture, $"{ProgressDisplay.Clock(TimeSpan.FromSeconds(total - before))} in this session ({all} in all, ")
                + string.Create(CultureInfo.InvariantCulture, $"{ProgressDisplay.Clock(TimeSpan.FromSeconds(before))} of them before it continued from {startFrames:N0} frames)");
    }

    // The workers and the main thread's supervision of them, inside the progress display.
    private static TrainingOutcome Train(
        TrainConfig config, RunFolder folder, IReadOnlyList<SettingChange> changes, CancellationToken stop, SharedTraining shared, long startFrames, double previousSeconds, MetricsLog metrics, Evaluation.TrainingMonitor? monitor, ProgressDisplay progress)
    {
        // Each session draws fresh episodes: the environment seeds depend on the frame count it starts from.
        ulong sessionSeed = SeededRandom.Derive(config.Seed, (ulong)startFrames);
        var episodeLogs = new List<EpisodeLogWriter>();
        var failures = new List<Exception>();
        using var stopWorkers = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var threads = new List<Thread>();
        for (int w = 0; w < config.Workers; w++)
        {
            EpisodeLogWriter? log = config.EpisodeLogEvery > 0 ? new EpisodeLogWriter(folder.EpisodeLog(w)) : null;
            if (log is not null)
            {
                episodeLogs.Add(log);
                if (log.DroppedIncompleteRecord)
                {
                    progress.Message($"warning: {log.Path}: cut an incomplete last record (the previous process stopped while writing it)");
                }
            }

            var worker = new A3CWorker(shared, w, SeededRandom.Derive(sessionSeed, (ulong)w), log);
            var thread = new Thread(() =>
            {
                try
                {
                    worker.Run(stopWorkers.Token);
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e);
                    }

                    stopWorkers.Cancel();
                }
            })
            { Name = $"a3c-worker-{w}", IsBackground = true };
            threads.Add(thread);
        }

        var clock = Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        long nextLog = ((startFrames / config.LogInterval) + 1) * config.LogInterval;
        long nextCheckpoint = ((startFrames / config.CheckpointInterval) + 1) * config.CheckpointInterval;
        long nextMonitor = monitor?.NextAfter(startFrames) ?? long.MaxValue;
        long lastRowFrames = startFrames;
        MonitorHorizons? finalHorizons = null; // of a monitoring evaluation left to the last row
        double lastRowSeconds = 0;
        long episodes = 0;
        IntervalTotals lastTotals = new();
        double Seconds() => clock.Elapsed.TotalSeconds;

        void WriteRow(MonitorHorizons? horizons = null)
        {
            long frames = shared.Frames;
            double seconds = Seconds();
            IntervalTotals totals = shared.Statistics.Drain();
            double rate = seconds > lastRowSeconds ? (frames - lastRowFrames) / (seconds - lastRowSeconds) : 0;
            metrics.Write(frames, previousSeconds + seconds, totals, rate, horizons);
            episodes += totals.Episodes;
            // The live figures stay those of the last row resting on enough episodes (a short row after Ctrl+C does not).
            if (totals.Episodes > 0 && (lastTotals.Episodes == 0 || !MetricsTable.IsShort(totals.Episodes, lastTotals.Episodes)))
            {
                lastTotals = totals;
            }

            lastRowFrames = frames;
            lastRowSeconds = seconds;
        }

        try
        {
            Supervise();
        }
        catch
        {
            // The main thread could not write (disk full, read-only folder): stop the workers before reporting.
            stopWorkers.Cancel();
            threads.ForEach(t => t.Join());
            DisposeQuietly(episodeLogs);
            throw;
        }

        void Supervise()
        {
            while (threads.Exists(t => t.IsAlive))
            {
                shared.IntervalReached.WaitOne(200);
                long frames = shared.Frames;

                // Monitoring (never selection) while the workers wait at the interval; its interval is a multiple of
                // the log interval, so its figures go into this row. Its time is left out of the row's frames/s.
                MonitorHorizons? horizons = null;
                if (frames >= nextMonitor && monitor is not null)
                {
                    var evaluating = Stopwatch.StartNew();
                    horizons = monitor.Evaluate(shared.Network, shared.Optimizer.Lock, stop);
                    lastRowSeconds += evaluating.Elapsed.TotalSeconds;
                    nextMonitor = monitor.NextAfter(frames);
                }

                // A log point within half an interval of the budget is left to the last row, written when every worker has
                // stopped, so that the run does not end on a row of only its last few updates (a few dozen episodes); a
                // monitoring evaluation there goes into that row.
                if (frames >= nextLog && config.Frames - frames <= config.LogInterval / 2)
                {
                    finalHorizons = horizons ?? finalHorizons;
                }
                else if (frames >= nextLog)
                {
                    WriteRow(horizons);
                    nextLog = ((frames / config.LogInterval) + 1) * config.LogInterval;
                }

                if (frames >= nextCheckpoint)
                {
                    Checkpoint.Save(shared, previousSeconds + Seconds(), folder, changes);
                    IReadOnlyList<string> removed = CheckpointRetention.Prune(folder, config.KeepCheckpoints);
                    if (removed.Count > 1)
                    {
                        // More than the one a checkpoint replaces: an older run's checkpoints, said once.
                        progress.Message($"removed {removed.Count} older checkpoints, keeping the newest {config.KeepCheckpoints} (--keep-checkpoints)");
                    }
                    episodeLogs.ForEach(l => l.Flush());
                    nextCheckpoint = ((frames / config.CheckpointInterval) + 1) * config.CheckpointInterval;
                }

                shared.Resume();
                Show(frames);
            }
        }

        // Figures appear once they exist: no speed before a rate can be measured, no reward before the first metrics row
        // (the workers' totals are gathered there).
        void Show(long frames, bool final = false)
        {
            // At the end of a session too short for a recent rate, its average.
            double? speed = progress.Rate ?? (final && Seconds() > 0 ? (frames - startFrames) / Seconds() : null);
            var details = new List<string> { speed is double rate ? $"{rate:N0} frames/s" : "measuring speed" };
            if (episodes > 0)
            {
                details.Add($"reward {ProgressDisplay.Percent(lastTotals.FractionOfBest)} of best");
                details.Add($"exact {ProgressDisplay.Percent(lastTotals.ExactArrivalRate)}");
            }
            else
            {
                details.Add($"first figures at {nextLog:N0} frames"); // rewards are counted per metrics row
            }

            details.Add($"elapsed {ProgressDisplay.Clock(TimeSpan.FromSeconds(previousSeconds + Seconds()))}");
            if (episodes > 0)
            {
                details.Add($"{episodes:N0} episodes");
            }
            progress.Report(new ProgressState(frames, config.Frames, $"{frames:N0}/{config.Frames:N0} frames", details));
        }

        threads.ForEach(t => t.Join());
        if (failures.Count > 0)
        {
            // No final checkpoint: the last periodic one holds the last weights known to be good.
            WriteRow();
            DisposeQuietly(episodeLogs);
            Exception failure = failures[0];
            throw new TrainingFailedException(
                failure is TrainingDivergedException ? failure.Message
                : NativeError.Is(failure) ? NativeError.StoppedTraining(config.Agent.Name(), shared.Frames, folder, failure)
                : $"a worker failed: {failure.Message}", failure);
        }

        if (shared.Frames > lastRowFrames)
        {
            WriteRow(finalHorizons);
        }

        // The last weights also under a name that never changes (latest.ckpt is replaced when the run continues), the
        // same bytes: evaluations name what they scored by it.
        double total = previousSeconds + Seconds();
        Checkpoint.Save(shared, total, folder, changes);
        CheckpointRetention.Prune(folder, config.KeepCheckpoints);
        episodeLogs.ForEach(l => l.Dispose());
        bool interrupted = stop.IsCancellationRequested && shared.Frames < config.Frames;
        Show(shared.Frames, final: true);
        return new TrainingOutcome(shared.Frames, total, interrupted);
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count:N0} {noun}s";

    private static void DisposeQuietly(List<EpisodeLogWriter> logs)
    {
        foreach (EpisodeLogWriter log in logs)
        {
            try
            {
                log.Dispose();
            }
            catch (IOException)
            {
                // Already failing; the torn tail, if any, is cut when the log is next opened.
            }
        }
    }

    // For an agent with a time-left readout, how it reads and what trains it: a reward-only run says so on its first line.
    private static string TimeLeftReading(TrainConfig config)
    {
        if (!Agents.CoreTable.Of(config.Agent).HasTimeLeftOutput)
        {
            return "";
        }

        string trainedBy = config.TimeLeftLoss == 0 ? "the reward alone"
            : config.TimeLeftGradient == Agents.TimeLeftGradient.TimeLeftLoss ? string.Create(CultureInfo.InvariantCulture, $"the time-left loss alone (weight {config.TimeLeftLoss})")
            : string.Create(CultureInfo.InvariantCulture, $"the reward and the time-left loss (weight {config.TimeLeftLoss})");
        return $"; time left read as {Settings<TrainConfig>.Format(config.TimeLeftReadout)}, trained by {trainedBy}";
    }
}
