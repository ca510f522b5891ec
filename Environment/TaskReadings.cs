namespace GridTime.Environment;

/// <summary>
/// How the arrival reward is shaped. The paper (Trask et al. 2018, section 4.5) gives the reward as m − |t − T|
/// without saying what happens far from T; a reviewer noted that its plain A3C agent's reward in Figure 5 goes
/// below 0, which a clipped reward cannot do.
/// </summary>
public enum RewardShape
{
    /// <summary>max(0, m − |t − T|) on arrival: never negative (GridTime's default reading).</summary>
    Clipped,

    /// <summary>m − |t − T| on arrival: negative when the agent arrives more than m steps off (early, since L = T + m cuts late arrivals).</summary>
    Unclipped,
}

/// <summary>When the agent is shown its instruction T.</summary>
public enum InstructionShown
{
    /// <summary>T in every observation (GridTime's default reading).</summary>
    EveryStep,

    /// <summary>T only in the observation at t = 0, 0 afterwards (the paper: "at the start of the episode").</summary>
    FirstStep,
}

/// <summary>Where the agent starts an episode. The target is always drawn uniformly among the other cells.</summary>
public enum StartCell
{
    /// <summary>A cell drawn uniformly (GridTime's default reading).</summary>
    Random,

    /// <summary>
    /// The centre cell (row and column ⌊N/2⌋): with the target anywhere else on the 5x5 grid it is at most 4 steps away,
    /// so every T ≥ 4 can be met exactly (one reading of the paper's "5 the smallest T at which the target can always be reached").
    /// </summary>
    Centre,
}
