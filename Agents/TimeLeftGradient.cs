namespace GridTime.Agents;

/// <summary>
/// Which losses train the timer's time-left readout r (and through it its addition units). A policy that reads r
/// sends back a gradient that has nothing to do with counting: measured over five seeds, it held two seeds' read NAU
/// weights 3-4e-4 short of ±1, so their timing drifted (26% and 60% exact arrivals at T = 1000), while with only the
/// time-left loss and the NAU regulariser training r every weight of five seeds ended exactly at −1, 0 or 1.
/// </summary>
public enum TimeLeftGradient
{
    /// <summary>Every loss: the policy and value losses through the heads and the policy layer, and the time-left loss.</summary>
    All,

    /// <summary>Only the time-left loss (and the NAU regulariser): the heads and the policy layer read r without sending gradient back.</summary>
    TimeLeftLoss,
}
