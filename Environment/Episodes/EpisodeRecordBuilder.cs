namespace GridTime.Environment.Episodes;

/// <summary>
/// Builds the <see cref="EpisodeRecord"/> of one episode from what the environment returned: each step's
/// action, the network's value and policy before it, and the step's reward and info as the world gave them;
/// the task (T, L, start, target, arrival, total reward, best achievable reward) from the episode's final
/// <see cref="StepInfo"/>. The one builder of training and evaluation records: training adds run, runId,
/// worker and frames to what <see cref="Finish"/> returns; evaluation adds runId, checkpoint, checkpointSha256
/// and the checkpoint's frames.
/// </summary>
/// <param name="episode">Index of the episode among those of its worker (or evaluation), from 0.</param>
public sealed class EpisodeRecordBuilder(long episode)
{
    private readonly List<EpisodeStep> _steps = [];

    /// <summary>Index of the episode among those of its worker (or evaluation), from 0.</summary>
    public long Episode => episode;

    /// <summary>Steps added so far.</summary>
    public int StepCount => _steps.Count;

    /// <summary>
    /// Adds a step: <paramref name="action"/> (0..4), the network's <paramref name="value"/> estimate and its
    /// <paramref name="probabilities"/> of the 5 actions before the step (kept, not copied), and what the
    /// environment returned for it: <paramref name="reward"/> and <paramref name="after"/> (the info after the step,
    /// before any automatic reset).
    /// </summary>
    public void Add(int action, float value, float[] probabilities, float reward, in StepInfo after) =>
        _steps.Add(new EpisodeStep(action, after.Agent, reward, value, probabilities));

    /// <summary>
    /// The record of the episode that ended with <paramref name="final"/> (its info at its last step) in a world
    /// under <paramref name="world"/>, played by agent variant <paramref name="agent"/>, in a run (or evaluation)
    /// seeded with <paramref name="seed"/>. Total reward is the world's episode return
    /// (<see cref="StepInfo.EpisodeReturn"/>, the sum of the step rewards). Worker is −1 (evaluation) until the
    /// caller sets it; run, runId, frames and the checkpoint fields are left for the caller.
    /// </summary>
    public EpisodeRecord Finish(in StepInfo final, GridWorldOptions world, string agent, ulong seed) => new()
    {
        Worker = -1,
        Episode = episode,
        Agent = agent,
        GridSize = world.Size,
        Seed = seed,
        Instruction = final.Instruction,
        Timeout = final.Timeout,
        MaxReward = world.MaxReward,
        AgentStart = final.AgentStart,
        Target = final.Target,
        Steps = _steps,
        ArrivalTime = final.ArrivalTime,
        TotalReward = final.EpisodeReturn,
        BestAchievableReward = final.BestAchievableReward,
    };
}
