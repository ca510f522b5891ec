using GridTime.Agents;
using GridTime.Agents.Cores;
using GridTime.Agents.Layers;
using GridTime.Training.A3C;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>The NAU (Madsen &amp; Johansen 2020), the timer core and its auxiliary time-left loss, on hand-worked values.</summary>
public sealed class TimerCoreTests
{
    [Fact]
    public void TheSparsityRegulariserIsZeroOnlyAtMinusOneZeroAndOne()
    {
        // min(|w|, 1 − |w|) of [0.2, −0.7, 1, 0, 0.5] = [0.2, 0.3, 0, 0, 0.5]: mean 1.0 / 5 = 0.2.
        float[] w = [0.2f, -0.7f, 1f, 0f, 0.5f];
        Assert.Equal(0.2, NauMath.Sparsity(w), 6);
        Assert.Equal(0, NauMath.Sparsity([-1f, 0f, 1f]));
        // ∂R/∂w · 2 = 2/5 · [sign 0.2 = 1, −sign(−0.7) = 1, −sign 1 = −1, 0, −sign 0.5 = −1]: descent moves 0.2 to 0 and the others outwards.
        var gradient = new float[5];
        NauMath.SparsityGradient(w, 2, gradient);
        Assert.Equal([0.4f, 0.4f, -0.4f, 0f, -0.4f], gradient);
    }

    [Fact]
    public void ANauClampsItsWeightsIntoMinusOneToOne()
    {
        using var nau = SeededConstruction.Build(1, () => new Nau(2, 2)); // torch's generator is the process's: seeded under its lock, as networks are
        using (no_grad())
        {
            nau.Weight.copy_(tensor(new[] { 1.5f, -3f, 0.25f, -1f }).view(2, 2));
        }

        nau.ClampWeights();
        Assert.Equal([1f, -1f, 0.25f, -1f], nau.Weight.data<float>().ToArray());
        // Its sparsity gradient goes into W's gradient: [1, −1, 0.25, −1] → slopes [−1, 1, 1, 1] / 4.
        Assert.Equal(0.0625, nau.AddSparsityGradient(1), 6);
        Assert.Equal([-0.25f, 0.25f, 0.25f, 0.25f], nau.Weight.grad!.data<float>().ToArray());
    }

    [Fact]
    public void WithExactWeightsTheTimerCountsToAThousandAndCutsTheTimeLeftAtTheCap()
    {
        using var core = SeededConstruction.Build(2, () => new TimerCore(features: 3, hidden: 4, cap: 12));
        using (no_grad())
        {
            core.StepNau.Weight.fill_(1f);
            core.ReadNau!.Weight.copy_(tensor(new[] { 1f, -1f }).view(2, 1)); // r = T − a
        }

        using var noGrad = no_grad();
        Tensor state = zeros(2, 1), features = zeros(2, 3), instruction = tensor(new[] { 1000f, 7f }).view(2, 1);
        for (int t = 0; t <= 1005; t++)
        {
            using var scope = NewDisposeScope();
            (Tensor output, Tensor next) = core.Step(features, instruction, state);
            float[] left = output.select(1, core.TimeLeftOutput!.Value).data<float>().ToArray();
            Assert.Equal(Math.Min(1000 - t, 12), left[0]);
            Assert.Equal(Math.Min(7 - t, 12), left[1]);
            state.Dispose();
            state = next.MoveToOuterDisposeScope();
        }

        Assert.Equal(1006f, state.data<float>()[0]); // the count after 1006 steps, exact in float32
    }

    [Fact]
    public void TheTimerIsInTheTableWithItsCapFromItsSettings()
    {
        var config = new GridTime.Training.Config.TrainConfig { Agent = CoreKind.Timer, MaxT = 9, TimeLeftCap = 9, Hidden = 16 };
        using var network = new ActorCritic(config.Network);
        var core = Assert.IsType<TimerCore>(network.Core);
        Assert.Equal(9, core.Cap);
        Assert.Equal(16, core.TimeLeftOutput);
        Assert.Equal(2, core.AdditionUnits.Count);
        // NAUs 1 + 2, policy (16 + 1)·16 + 16 = 288, heads 18·5 + 18 = 108, encoder 24 128 → 24 527.
        Assert.Equal(24_527, network.parameters().Sum(p => p.numel()));
        // Its arithmetic parameters (what --nac-learning-rate-scale acts on) are the two NAUs' 1 + 2 weights.
        Assert.Equal(3, network.parameters().Zip(network.ArithmeticParameterMask()).Where(p => p.Second).Sum(p => p.First.numel()));
    }

    [Fact]
    public void TheDifferenceReadoutIsTMinusTheCountWithOnlyTheStepToLearn()
    {
        // W_step = 0.5: a counts in halves, so r = T − 0.5·t; with T = 20 and C = 8: min(20 − 0.5t, 8).
        using var core = SeededConstruction.Build(3, () => new TimerCore(features: 3, hidden: 4, cap: 8, TimeLeftGradient.All, TimeLeftReadout.Difference));
        Assert.Null(core.ReadNau);
        Assert.Equal([core.StepNau], core.AdditionUnits);
        using (no_grad())
        {
            core.StepNau.Weight.fill_(0.5f);
        }

        using var noGrad = no_grad();
        Tensor state = zeros(1, 1), features = zeros(1, 3), instruction = full(1, 1, 20f);
        for (int t = 0; t <= 40; t++)
        {
            using var scope = NewDisposeScope();
            (Tensor output, Tensor next) = core.Step(features, instruction, state);
            Assert.Equal(Math.Min(20 - (0.5f * t), 8f), output[0, core.TimeLeftOutput!.Value].item<float>());
            state.Dispose();
            state = next.MoveToOuterDisposeScope();
        }
    }

    [Fact]
    public void TheDifferenceTimersCountStartsRisingAndItHasTwoWeightsFewer()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Timer, Hidden = 16, Seed = seed, TimeLeftReadout = TimeLeftReadout.Difference });
            float increment = ((TimerCore)network.Core).StepNau.Weight.item<float>();
            Assert.InRange(increment, 0f, 0.5f); // |U(−½, ½)|
            if (seed == 1)
            {
                // As TheTimerIsInTheTableWithItsCapFromItsSettings's 24 527, less the read NAU's 2.
                Assert.Equal(24_525, network.parameters().Sum(p => p.numel()));
                Assert.Equal(CoreTable.Of(CoreKind.Timer).Size(network.Options).Parameters, network.Core.parameters().Sum(p => p.numel()));
            }
        }
    }

    [Fact]
    public void OnlyTheTimerTakesAReadout()
    {
        var nac = new GridTime.Training.Config.TrainConfig { Agent = CoreKind.Nac, TimeLeftReadout = TimeLeftReadout.Difference };
        Assert.Contains("--time-left-readout: the nac agent has no time-left readout to choose", nac.Problems());
        var timer = nac with { Agent = CoreKind.Timer };
        Assert.Empty(timer.Problems());
        Assert.Equal(TimeLeftReadout.Difference, timer.Network.TimeLeftReadout);
    }

    [Fact]
    public void TheTimeLeftLossGradientIsTheErrorInItsColumnOverTheBatch()
    {
        // Two steps, B = 2, O = 3, column 2: s = [5, 3, 0, −1] against T − t = [4, 3, 2, −1]: errors [1, 0, −2, 0].
        float[] outputs = [9, 9, 5, 9, 9, 3, 9, 9, 0, 9, 9, -1];
        float[] timeLeft = [4, 3, 2, -1];
        var gradients = new float[12];
        double loss = TimeLeftLoss.Gradients(outputs, timeLeft, width: 3, column: 2, batch: 2, weight: 0.5, gradients);
        // L = 0.5 · ½(1 + 0 + 4 + 0) / 2 = 0.625; ∂L/∂s = 0.5 · error / 2.
        Assert.Equal(0.625, loss, 9);
        Assert.Equal([0, 0, 0.25f, 0, 0, 0, 0, 0, -0.5f, 0, 0, 0], gradients);
    }
}
