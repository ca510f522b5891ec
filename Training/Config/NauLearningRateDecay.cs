namespace GridTime.Training.Config;

/// <summary>What the NAU weights' learning rate does once their sparsity regulariser has its full weight (<see cref="TrainConfig.NauLearningRateFactorAt"/>).</summary>
public enum NauLearningRateDecay
{
    /// <summary>Decays linearly from the learning rate at --nau-sparsity-to to 0 at --frames, so the weights settle on −1, 0 or 1.</summary>
    Linear,

    /// <summary>Stays at the learning rate (times --nac-learning-rate-scale) to the end.</summary>
    None,
}
