namespace GridTime.Agents;

/// <summary>
/// How the timer core reads its time left r from the instruction T and its step count a (<see cref="Cores.TimerCore"/>).
/// </summary>
public enum TimeLeftReadout
{
    /// <summary>
    /// r = NAU_read([T, a]): two learned weights, exactly T − a at (1, −1). With the supervised time-left loss they
    /// settle there; trained by the reward alone they become a scaled time left c·(T − k·a) with k a few percent from 1,
    /// which arrives early by the same share of every T (docs/results.md).
    /// </summary>
    Nau,

    /// <summary>
    /// r = T − a, no weights: the instruction minus the count, so that the only thing to learn about time is the
    /// count's increment (the step NAU's one weight), which makes r exactly the time left at 1. Its weight starts
    /// positive (the magnitude of the NAU's usual draw): a count that starts out falling puts r above the cut C for
    /// every T ≥ C, where the cut passes no gradient, and stays there (measured: trained by the reward alone, one seed of two).
    /// </summary>
    Difference,
}
