namespace GridTime.Environment;

/// <summary>What one step of a <see cref="GridWorld"/> did, as the rules see it when they pay for it.</summary>
/// <param name="Action">The action taken.</param>
/// <param name="From">The agent's cell before the step.</param>
/// <param name="To">The agent's cell after the step (the same cell for stay and for a move into a wall).</param>
/// <param name="Time">Step count t after the step (1 for the first step of an episode).</param>
/// <param name="Instruction">The episode's instruction T.</param>
/// <param name="MaxReward">The arrival reward m of the world (<see cref="GridWorldOptions.MaxReward"/>).</param>
/// <param name="Arrived">The agent stands on the target after this step (the episode terminates).</param>
/// <param name="TimedOut">t reached the timeout L without arrival (the episode is truncated).</param>
public readonly record struct StepEvent(GridAction Action, Cell From, Cell To, int Time, int Instruction, int MaxReward, bool Arrived, bool TimedOut);

/// <summary>
/// The three formulas of an episode's payoff, side by side: the reward of each step, the best reward an
/// episode allows, and the timeout L. The default (<see cref="Paper"/>) is the rule of Trask et al. 2018
/// ("Neural Arithmetic Logic Units", section 4.5, the grid-world task):
/// <list type="bullet">
/// <item>reward: max(0, m − |t − T|) on the step that reaches the target, 0 on every other step;</item>
/// <item>best achievable: max(0, m − max(0, d − T)), d the Manhattan distance from the agent's start to the
///   target (a perfect agent cannot arrive before step d, so it is max(0, d − T) steps late at best; never negative);</item>
/// <item>timeout: L = T + m, the first step after which nothing more can be earned.</item>
/// </list>
/// Another rule (a dense reward, say) is a record derived from this one that overrides what it changes; the
/// environment sums every step's reward into the episode's return (<see cref="StepInfo.EpisodeReturn"/>), so
/// a rule that pays on several steps is counted whole by everything that reads episode returns.
/// Rewards are in reward units (m = 10 by default); times in steps.
/// </summary>
public record EpisodeRules
{
    /// <summary>The paper's rule (see the type's comment).</summary>
    public static EpisodeRules Paper { get; } = new();

    /// <summary>
    /// The paper's rule without the clipping at 0: m − |t − T| on arrival (negative when more than m steps off) and a
    /// best achievable reward of m − max(0, d − T), which is negative when even a perfect agent arrives more than m steps late.
    /// </summary>
    public static EpisodeRules Unclipped { get; } = new UnclippedRules();

    /// <summary>The rules of <paramref name="shape"/>: <see cref="Paper"/> for <see cref="RewardShape.Clipped"/>, <see cref="Unclipped"/> for <see cref="RewardShape.Unclipped"/>.</summary>
    /// <exception cref="ArgumentException">An undefined <paramref name="shape"/>.</exception>
    public static EpisodeRules For(RewardShape shape) => shape switch
    {
        RewardShape.Clipped => Paper,
        RewardShape.Unclipped => Unclipped,
        _ => throw new ArgumentException($"unknown reward shape {(int)shape}", nameof(shape)),
    };

    /// <summary>The reward of one step: max(0, m − |t − T|) on arrival, otherwise 0 (the paper's rule).</summary>
    public virtual float Reward(in StepEvent step) =>
        step.Arrived ? Math.Max(0, step.MaxReward - Math.Abs(step.Time - step.Instruction)) : 0f;

    /// <summary>
    /// max(0, m − max(0, d − T)): the return of a perfect agent with arrival reward <paramref name="maxReward"/> m,
    /// distance <paramref name="distance"/> d (steps, Manhattan) from start to target and instruction
    /// <paramref name="instruction"/> T (the paper's rule). Never negative.
    /// </summary>
    public virtual int BestAchievable(int maxReward, int distance, int instruction) =>
        Math.Max(0, maxReward - Math.Max(0, distance - instruction));

    /// <summary>
    /// The timeout L, in steps, of an episode with instruction <paramref name="instruction"/> T and arrival reward
    /// <paramref name="maxReward"/> m: L = T + m (the paper's rule). Must exceed T.
    /// </summary>
    public virtual int Timeout(int instruction, int maxReward) => instruction + maxReward;
}

/// <summary>The rules of <see cref="EpisodeRules.Unclipped"/>.</summary>
internal sealed record UnclippedRules : EpisodeRules
{
    /// <summary>m − |t − T| on arrival, otherwise 0.</summary>
    public override float Reward(in StepEvent step) => step.Arrived ? step.MaxReward - Math.Abs(step.Time - step.Instruction) : 0f;

    /// <summary>m − max(0, d − T).</summary>
    public override int BestAchievable(int maxReward, int distance, int instruction) => maxReward - Math.Max(0, distance - instruction);
}
