using GridTime.Agents;
using GridTime.Training.A3C;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Tests.Training;

/// <summary>A3C's loss and its gradient by hand: values worked out by hand, and libtorch's autograd of the same loss.</summary>
public sealed class A3CLossTests
{
    [Fact]
    public void TwoEnvironmentsGiveTheLossAndGradientsWorkedOutByHand()
    {
        // One step, B = 2, β = 0.5, c = 0.25.
        // Environment 0: logits all 0 (π = 0.2 each, H = ln 5), action 1, Â = 2, R = 1, V = 0.5.
        // Environment 1: logits [ln 4, 0, 0, 0, 0] (π = 0.5, 0.125 x 4; H = 2 ln 2), action 0, Â = −1, R = 0, V = 2.
        float[] logits = [0, 0, 0, 0, 0, (float)Math.Log(4), 0, 0, 0, 0];
        var dz = new float[10];
        var dv = new float[2];
        A3CLoss.Figures figures = A3CLoss.Compute(logits, [0.5f, 2f], [1, 0], [2f, -1f], [1f, 0f], batch: 2, entropyCoef: 0.5, valueCoef: 0.25, dz, dv);

        double ln2 = Math.Log(2), ln5 = Math.Log(5);
        double policy = ((2 * ln5) - ln2) / 2;  // −log π(a)·Â: 2 ln 5, then −ln 2
        double value = (0.125 + 2) / 2;         // ½(R − V)²: 0.125, then 2
        double entropy = (ln5 + (2 * ln2)) / 2;
        Assert.Equal(policy, figures.PolicyLoss, 1e-6);
        Assert.Equal(value, figures.ValueLoss, 1e-6);
        Assert.Equal(entropy, figures.Entropy, 1e-6);
        Assert.Equal(policy - (0.5 * entropy) + (0.25 * value), figures.Loss, 1e-6);

        // Environment 0: (1/2)·[−2·(1[a = 1] − 0.2)], the entropy's term 0 (log π = −H for every action).
        // Environment 1: (1/2)·[(1 − 0.5) + 0.5·0.5·ln 2] for action 0, (1/2)·[−0.125 − 0.5·0.125·ln 2] for the others.
        double[] expected = [0.2, -0.8, 0.2, 0.2, 0.2, 0.25 + (0.125 * ln2), -0.0625 - (0.03125 * ln2), -0.0625 - (0.03125 * ln2), -0.0625 - (0.03125 * ln2), -0.0625 - (0.03125 * ln2)];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], dz[i], 6);
        }

        // (1/2)·c·(V − R).
        Assert.Equal(-0.0625, dv[0], 6);
        Assert.Equal(0.25, dv[1], 6);
    }

    [Fact]
    public void MatchesLibtorchsAutogradOfTheSameLoss()
    {
        const int Steps = 20, Batch = 32, Actions = 5;
        const double Beta = 0.01, C = 0.5;
        var random = new Random(7);
        float[] logits = Fill(Steps * Batch * Actions, () => (float)(3 * Gaussian(random)));
        float[] values = Fill(Steps * Batch, () => (float)Gaussian(random));
        float[] advantages = Fill(Steps * Batch, () => (float)Gaussian(random));
        float[] returns = Fill(Steps * Batch, () => (float)Gaussian(random));
        int[] taken = [.. Enumerable.Range(0, Steps * Batch).Select(_ => random.Next(Actions))];
        var dz = new float[logits.Length];
        var dv = new float[values.Length];
        A3CLoss.Figures figures = A3CLoss.Compute(logits, values, taken, advantages, returns, Batch, Beta, C, dz, dv);

        // The loss as libtorch's autograd forms it, [n, B, A] step-major.
        using var scope = NewDisposeScope();
        Tensor logit = tensor(logits).view(Steps, Batch, Actions).requires_grad_(true);
        Tensor value = tensor(values).view(Steps, Batch).requires_grad_(true);
        Tensor logProbabilities = F.log_softmax(logit, 2);
        Tensor logProbabilityTaken = logProbabilities.gather(2, tensor(taken.Select(a => (long)a).ToArray()).view(Steps, Batch, 1)).squeeze(2);
        Tensor entropy = -(logProbabilities * logProbabilities.exp()).sum(2L, keepdim: false);
        Tensor policyLoss = -(logProbabilityTaken * tensor(advantages).view(Steps, Batch)).sum(0L, keepdim: false);
        Tensor valueLoss = (tensor(returns).view(Steps, Batch) - value).Power(2).sum(0L, keepdim: false).Times(0.5);
        Tensor entropySum = entropy.sum(0L, keepdim: false);
        Tensor loss = (policyLoss - entropySum.Times(Beta)).Plus(valueLoss.Times(C)).mean();
        loss.backward();

        AssertClose(loss.item<float>(), figures.Loss);
        AssertClose(policyLoss.mean().item<float>(), figures.PolicyLoss);
        AssertClose(valueLoss.mean().item<float>(), figures.ValueLoss);
        AssertClose(entropySum.mean().item<float>(), figures.Entropy);
        float[] libtorchDz = logit.grad!.data<float>().ToArray(), libtorchDv = value.grad!.data<float>().ToArray();
        for (int i = 0; i < dz.Length; i++)
        {
            Assert.True(Math.Abs(dz[i] - libtorchDz[i]) <= 1e-7, $"∂L/∂z[{i}]: {dz[i]} by hand, {libtorchDz[i]} by libtorch");
        }

        for (int i = 0; i < dv.Length; i++)
        {
            Assert.True(Math.Abs(dv[i] - libtorchDv[i]) <= 1e-7, $"∂L/∂V[{i}]: {dv[i]} by hand, {libtorchDv[i]} by libtorch");
        }
    }

    [Fact]
    public void ANonFiniteLogitMakesTheLossNaN()
    {
        float[] logits = [0, float.NaN, 0, 0, 0, 0, 0, 0, 0, 0];
        A3CLoss.Figures figures = A3CLoss.Compute(logits, [0f, 0f], [0, 0], [1f, 1f], [0f, 0f], 2, 0.01, 0.5, new float[10], new float[2]);
        Assert.True(double.IsNaN(figures.Loss));

        logits[1] = float.PositiveInfinity;
        figures = A3CLoss.Compute(logits, [0f, 0f], [0, 0], [1f, 1f], [0f, 0f], 2, 0.01, 0.5, new float[10], new float[2]);
        Assert.False(double.IsFinite(figures.Loss));
    }

    [Fact]
    public void LogitsFarApartGiveAFiniteLossAndGradient()
    {
        // exp(1000) overflows a double: the largest logit is taken out first. π = (1, e^−1000, ...) ≈ (1, 0, 0, 0, 0),
        // the action taken is the likely one, so −log π(a)·Â, H and every gradient are 0.
        float[] logits = [1000, 0, 0, 0, 0, -1000, 0, 0, 0, 0];
        var dz = new float[10];
        A3CLoss.Figures figures = A3CLoss.Compute(logits, [0f, 0f], [0, 1], [1f, 0f], [0f, 0f], 2, 0.01, 0.5, dz, new float[2]);
        Assert.Equal(0, figures.PolicyLoss, 1e-12);
        Assert.Equal(Math.Log(4) / 2, figures.Entropy, 1e-6); // the second row: four logits of 0, one of −1000
        Assert.All(dz[..5], g => Assert.Equal(0, g, 1e-12));
        Assert.All(dz, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void ALossBeyondFloat32sRangeIsInfinite()
    {
        // A value function diverged: ½(R − V)² = 2e40 for one environment, more than a float32 holds, as in libtorch.
        A3CLoss.Figures figures = A3CLoss.Compute(new float[5], [1e20f], [0], [0f], [-1e20f], 1, 0.01, 0.5, new float[5], new float[1]);
        Assert.True(double.IsPositiveInfinity(figures.Loss));
        Assert.True(double.IsPositiveInfinity(figures.ValueLoss));
    }

    [Fact]
    public void AnActionOutsideTheLogitsOrALengthThatDoesNotMatchIsRefused()
    {
        var logits = new float[10];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => A3CLoss.Compute(logits, [0f, 0f], [0, 5], [1f, 1f], [0f, 0f], 2, 0.01, 0.5, new float[10], new float[2]));
        Assert.Contains("row 1", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => A3CLoss.Compute(logits, [0f, 0f], [-1, 0], [1f, 1f], [0f, 0f], 2, 0.01, 0.5, new float[10], new float[2]));
        Assert.Throws<ArgumentException>(() => A3CLoss.Compute(logits, [0f, 0f], [0, 0], [1f], [0f, 0f], 2, 0.01, 0.5, new float[10], new float[2]));
        Assert.Throws<ArgumentException>(() => A3CLoss.Compute(logits, [0f, 0f], [0, 0], [1f, 1f], [0f, 0f], 2, 0.01, 0.5, new float[9], new float[2]));
        Assert.Throws<ArgumentException>(() => A3CLoss.Compute(logits, [0f, 0f, 0f], [0, 0, 0], [1f, 1f, 1f], [0f, 0f, 0f], 2, 0.01, 0.5, new float[10], new float[3]));
        Assert.Throws<ArgumentException>(() => A3CLoss.Compute([], [], [], [], [], 2, 0.01, 0.5, [], []));
        Assert.Throws<ArgumentException>(() => A3CLoss.Compute(new float[20], new float[4], new int[4], new float[4], new float[4], 3, 0.01, 0.5, new float[20], new float[4]));
        Assert.Throws<ArgumentException>(() => A3CLoss.Compute([], [0f, 0f], [0, 0], [1f, 1f], [0f, 0f], 2, 0.01, 0.5, [], new float[2]));
    }

    private static void AssertClose(double libtorch, double byHand) =>
        Assert.True(Math.Abs(libtorch - byHand) <= 1e-5 * Math.Max(1, Math.Abs(libtorch)), $"{byHand} by hand, {libtorch} by libtorch");

    private static float[] Fill(int count, Func<float> next) => [.. Enumerable.Range(0, count).Select(_ => next())];

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
