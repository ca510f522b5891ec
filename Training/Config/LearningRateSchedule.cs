namespace GridTime.Training.Config;

/// <summary>How the learning rate changes over a run (<see cref="TrainConfig.LearningRateAt"/>).</summary>
public enum LearningRateSchedule
{
    /// <summary>--learning-rate throughout.</summary>
    Constant,

    /// <summary>
    /// --learning-rate × (1 − frames / --frames): linear decay to 0 at the budget, as A3C was trained (Mnih et al. 2016,
    /// section 8) and CleanRL's --anneal-lr. A run resumed with a larger --frames follows the new budget.
    /// </summary>
    Linear,
}
