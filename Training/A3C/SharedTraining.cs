using GridTime.Agents;
using GridTime.Training.Config;
using static TorchSharp.torch;

namespace GridTime.Training.A3C;

/// <summary>What all workers of a run share: the network, its optimizer, the frame count and the statistics.</summary>
public sealed class SharedTraining(TrainConfig config, ActorCritic network, SharedAdam optimizer, long frames, string runName)
{
    private long _frames = frames;
    private long _skippedUpdates;
    private int _skippedInARow;
    private readonly ManualResetEventSlim _open = new(true);

    /// <summary>
    /// Consecutive updates with a non-finite loss or gradient after which the run stops: a few can be a
    /// numerical accident, this many in a row means training has diverged and more steps would only burn time.
    /// </summary>
    public const int MaximumSkippedInARow = 50;

    /// <summary>The run's settings.</summary>
    public TrainConfig Config { get; } = config;

    /// <summary>Name of the run (the run folder's name), written into episode logs.</summary>
    public string RunName { get; } = runName;

    /// <summary>The identity of the run, written into its episode logs (and, by the trainer, its checkpoints).</summary>
    public string? RunId { get; init; }

    /// <summary>The shared network every worker copies from and updates.</summary>
    public ActorCritic Network { get; } = network;

    /// <summary>The shared optimizer; its lock guards the shared weights.</summary>
    public SharedAdam Optimizer { get; } = optimizer;

    /// <summary>Episode and update totals of the current logging interval.</summary>
    public TrainingStatistics Statistics { get; } = new();

    /// <summary>Frames consumed by learning so far (all workers; changed only under the optimizer lock).</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Updates skipped because their loss or gradient was NaN or infinite (the whole run so far).</summary>
    public long SkippedUpdates => Interlocked.Read(ref _skippedUpdates);

    /// <summary>
    /// Whether an update that crosses a multiple of the log or checkpoint interval holds the workers at their
    /// next update until <see cref="Resume"/> (set by the trainer, whose supervising thread writes the row or
    /// checkpoint). Without the hold, a fast run crossed several intervals between two looks of the supervisor
    /// and skipped their rows and checkpoints. Off where nothing would resume them (the benchmark).
    /// </summary>
    public bool HoldAtIntervals { get; init; }

    /// <summary>Signalled when an update crossed an interval (with <see cref="HoldAtIntervals"/>).</summary>
    public AutoResetEvent IntervalReached { get; } = new(false);

    /// <summary>Adds the frames of one update; call it holding the optimizer lock.</summary>
    public void AddFrames(long count)
    {
        long after = Interlocked.Add(ref _frames, count), before = after - count;
        if (HoldAtIntervals && (before / Config.LogInterval != after / Config.LogInterval || before / Config.CheckpointInterval != after / Config.CheckpointInterval))
        {
            _open.Reset();
            IntervalReached.Set();
        }
    }

    /// <summary>Waits while workers are held at an interval; false if <paramref name="stop"/> was cancelled meanwhile.</summary>
    public bool WaitToContinue(CancellationToken stop)
    {
        while (!_open.Wait(50))
        {
            if (stop.IsCancellationRequested)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Lets held workers go on (the interval's row or checkpoint is written).</summary>
    public void Resume() => _open.Set();

    /// <summary>
    /// Applies a worker's update to the shared weights, or skips it when <paramref name="loss"/> or
    /// <paramref name="gradientNorm"/> (the norm of all of <paramref name="gradients"/>, so NaN or infinite
    /// if any entry is) is not finite: a NaN is never written into the shared network. A skipped update
    /// consumes no frames and is counted; after <see cref="MaximumSkippedInARow"/> in a row it throws
    /// <see cref="TrainingDivergedException"/>. An applied update's <paramref name="figures"/> join
    /// <see cref="Statistics"/> before its frames are counted, so that the metrics row its frames fall in holds them
    /// (counted after, a row written in between took them into the next one, and two runs of one seed logged
    /// different losses). Returns whether the update was applied.
    /// </summary>
    public bool TryApply(IReadOnlyList<Tensor> gradients, double loss, double gradientNorm, long frames, UpdateFigures? figures = null)
    {
        lock (Optimizer.Lock)
        {
            if (!double.IsFinite(loss) || !double.IsFinite(gradientNorm))
            {
                Interlocked.Increment(ref _skippedUpdates);
                Statistics.AddSkippedUpdate();
                if (++_skippedInARow >= MaximumSkippedInARow)
                {
                    throw new TrainingDivergedException(
                        $"training diverged: {_skippedInARow} updates in a row had a non-finite loss or gradient (loss {loss}, gradient norm {gradientNorm}); "
                        + "none was applied, the last checkpoint holds the last good weights (try a lower --learning-rate)");
                }

                return false;
            }

            _skippedInARow = 0;
            Optimizer.Step(gradients, Config.LearningRateAt(Frames), Config.NauLearningRateFactorAt(Frames));
            foreach (GridTime.Agents.Layers.Nau unit in Network.Core.AdditionUnits)
            {
                unit.ClampWeights(); // a NAU's W lives in [−1, 1] (Madsen & Johansen 2020)
            }

            if (figures is not null)
            {
                Statistics.AddUpdate(figures, gradientNorm);
            }

            AddFrames(frames);
            return true;
        }
    }
}

/// <summary>Training stopped because its updates kept being non-finite (NaN or infinity).</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
