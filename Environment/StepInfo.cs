namespace GridTime.Environment;

/// <summary>What an environment reports with each observation, beside the image.</summary>
/// <param name="Time">Step count t: 0 after reset, increased by one before every move.</param>
/// <param name="Instruction">T, the step at which the agent should first stand on the target.</param>
/// <param name="Timeout">L, the step at which an episode that has not arrived is truncated.</param>
/// <param name="Agent">The agent's cell now.</param>
/// <param name="Target">The target's cell (it never moves).</param>
/// <param name="AgentStart">The agent's cell at t = 0.</param>
/// <param name="BestAchievableReward">What a perfect agent earns in this episode (<see cref="EpisodeRules.BestAchievable"/>; the paper's rule: max(0, m - max(0, d - T)), d the Manhattan distance from the agent's start to the target, never negative).</param>
/// <param name="ArrivalTime">The step at which the agent reached the target, or null if it has not.</param>
/// <param name="EpisodeReturn">The sum of the rewards of the episode's steps so far (at its last step: the episode's total reward).</param>
public readonly record struct StepInfo(
    int Time,
    int Instruction,
    int Timeout,
    Cell Agent,
    Cell Target,
    Cell AgentStart,
    int BestAchievableReward,
    int? ArrivalTime,
    float EpisodeReturn);

/// <summary>What the agent receives: the image of the world and its instruction T. The time t is not in it.</summary>
public readonly record struct Observation(Frame Image, int Instruction);

/// <summary>The result of one <see cref="GridWorld.Step(GridAction)"/>, Gymnasium style.</summary>
/// <param name="Observation">The world after the move.</param>
/// <param name="Reward">The step's reward (<see cref="EpisodeRules.Reward"/>; the paper's rule: max(0, m - |t - T|) on arrival, otherwise 0).</param>
/// <param name="Terminated">The agent reached the target this step.</param>
/// <param name="Truncated">t reached the timeout L without arrival.</param>
/// <param name="Info">State and bookkeeping after the step.</param>
public readonly record struct StepResult(Observation Observation, float Reward, bool Terminated, bool Truncated, StepInfo Info);
