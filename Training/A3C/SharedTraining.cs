using GridTime.Agents;
using GridTime.Training.Config;

namespace GridTime.Training.A3C;

/// <summary>What all workers of a run share: the network, its optimizer, the frame count and the statistics.</summary>
public sealed class SharedTraining(TrainConfig config, ActorCritic network, SharedAdam optimizer, long frames, string runName)
{
    private long _frames = frames;

    /// <summary>The run's settings.</summary>
    public TrainConfig Config { get; } = config;

    /// <summary>Name of the run (the run folder's name), written into episode logs.</summary>
    public string RunName { get; } = runName;

    /// <summary>The shared network every worker copies from and updates.</summary>
    public ActorCritic Network { get; } = network;

    /// <summary>The shared optimizer; its lock guards the shared weights.</summary>
    public SharedAdam Optimizer { get; } = optimizer;

    /// <summary>Episode and update totals of the current logging interval.</summary>
    public TrainingStatistics Statistics { get; } = new();

    /// <summary>Frames consumed by learning so far (all workers; changed only under the optimizer lock).</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Adds the frames of one update; call it holding the optimizer lock.</summary>
    public void AddFrames(long count) => Interlocked.Add(ref _frames, count);
}
