using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;

namespace GridTime.Training.A3C;

/// <summary>Collects the steps of one episode chosen for the episode log.</summary>
public sealed class EpisodeRecorder(long episode, Cell agentStart, Cell target, int instruction, int timeout)
{
    private readonly List<EpisodeStep> _steps = [];

    /// <summary>Adds a step: the action, the cell it leads to, and what the network said before it.</summary>
    public void Add(int action, Cell agentAfter, float value, float[] probabilities) =>
        _steps.Add(new EpisodeStep(action, agentAfter, 0f, value, probabilities));

    /// <summary>Sets the reward of the last step (only the final step of an episode earns).</summary>
    public void SetLastReward(float reward)
    {
        if (_steps.Count > 0)
        {
            _steps[^1] = _steps[^1] with { Reward = reward };
        }
    }

    /// <summary>The finished record.</summary>
    public EpisodeRecord Finish(SharedTraining shared, int worker, FinishedEpisode finished) => new()
    {
        Run = shared.RunName,
        RunId = shared.RunId ?? "",
        Worker = worker,
        Episode = episode,
        Frames = shared.Frames,
        Agent = shared.Config.Agent.Name(),
        GridSize = shared.Config.GridSize,
        Seed = shared.Config.Seed,
        Instruction = instruction,
        Timeout = timeout,
        MaxReward = shared.Config.MaxReward,
        AgentStart = agentStart,
        Target = target,
        Steps = _steps,
        ArrivalTime = finished.Final.ArrivalTime,
        TotalReward = finished.Reward,
        BestAchievableReward = finished.Final.BestAchievableReward,
    };
}
