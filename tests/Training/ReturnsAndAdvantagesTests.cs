using GridTime.Training.A3C;

namespace GridTime.Tests.Training;

/// <summary>n-step returns and generalised advantages, checked against values worked out by hand.</summary>
public sealed class ReturnsAndAdvantagesTests
{
    // One environment, three steps, γ = 0.5: rewards 1, 0, 2; values 0.5, 0.25, 1; bootstrap value 4.
    private static readonly float[] Rewards = [1, 0, 2];
    private static readonly float[] Values = [0.5f, 0.25f, 1];

    [Fact]
    public void WithLambdaOneTheAdvantageIsTheReturnMinusTheValue()
    {
        (float[] returns, float[] advantages) = Compute(Rewards, [1, 1, 1], Values, [4], lambda: 1);
        // R2 = 2 + 0.5·4 = 4, R1 = 0 + 0.5·4 = 2, R0 = 1 + 0.5·2 = 2.
        Assert.Equal([2f, 2f, 4f], returns);
        Assert.Equal([1.5f, 1.75f, 3f], advantages);
    }

    [Fact]
    public void WithLambdaZeroTheAdvantageIsTheOneStepError()
    {
        (_, float[] advantages) = Compute(Rewards, [1, 1, 1], Values, [4], lambda: 0);
        // δ2 = 2 + 0.5·4 − 1 = 3, δ1 = 0 + 0.5·1 − 0.25 = 0.25, δ0 = 1 + 0.5·0.25 − 0.5 = 0.625.
        Assert.Equal([0.625f, 0.25f, 3f], advantages);
    }

    [Fact]
    public void AnEpisodeThatEndsCutsTheReturnAndTheAdvantage()
    {
        // The episode ends at step 1 (notDone = 0): nothing after it flows back into steps 0 and 1.
        (float[] returns, float[] advantages) = Compute(Rewards, [1, 0, 1], Values, [4], lambda: 1);
        Assert.Equal([1f, 0f, 4f], returns);
        Assert.Equal([0.5f, -0.25f, 3f], advantages);
    }

    [Fact]
    public void EnvironmentsAreIndependentInStepMajorOrder()
    {
        // Environment 0 is the rollout above; environment 1 earns nothing and ends at once.
        float[] rewards = [1, 0, 0, 0, 2, 0];
        float[] notDone = [1, 0, 1, 1, 1, 1];
        float[] values = [0.5f, 3, 0.25f, 0, 1, 0];
        (float[] returns, float[] advantages) = Compute(rewards, notDone, values, [4, 0], lambda: 1);
        Assert.Equal([2f, 0f, 2f, 0f, 4f, 0f], returns);
        Assert.Equal([1.5f, -3f, 1.75f, 0f, 3f, 0f], advantages);
    }

    [Fact]
    public void ArraysOfTheWrongLengthAreRefused()
    {
        var output = new float[3];
        Assert.Throws<ArgumentException>(() => ReturnsAndAdvantages.Compute(Rewards, [1, 1], Values, [4], 0.5, 1, output, new float[3]));
    }

    private static (float[] Returns, float[] Advantages) Compute(float[] rewards, float[] notDone, float[] values, float[] bootstrap, double lambda)
    {
        var returns = new float[rewards.Length];
        var advantages = new float[rewards.Length];
        ReturnsAndAdvantages.Compute(rewards, notDone, values, bootstrap, 0.5, lambda, returns, advantages);
        return (returns, advantages);
    }
}
