using GridTime.Agents;
using GridTime.Agents.Cores;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

public sealed class CounterCoreTests
{
    [Fact]
    public void WithHandSetWeightsTheAccumulatorCountsExactlyOverAThousandSteps()
    {
        var core = SeededConstruction.Build(1, () => new CounterCore(features: 4, hidden: 8, counters: 3));
        using (no_grad())
        {
            core.StepNac.WHat.fill_(20); // tanh(20) = 1 and sigmoid(20) = 1 in float32: each unit adds exactly 1 per step
            core.StepNac.MHat.fill_(20);
            core.ReadNac.MHat.fill_(-100); // every readout weight 0 ...
            core.ReadNac.WHat.zero_();
            core.ReadNac.WHat[0, 0] = tensor(20f); // ... except unit 0 = T − a0
            core.ReadNac.MHat[0, 0] = tensor(20f);
            core.ReadNac.WHat[1, 0] = tensor(-20f);
            core.ReadNac.MHat[1, 0] = tensor(20f);
        }

        using var noGrad = no_grad();
        using Tensor instruction = tensor(new float[] { 1500, 7 }, [2, 1]);
        using Tensor features = zeros(2, 4);
        Tensor state = zeros(2, core.StateSize);
        for (int t = 1; t <= 1000; t++)
        {
            using var scope = NewDisposeScope();
            (Tensor output, Tensor next) = core.Step(features, instruction, state);
            Assert.Equal(t, next[0, 16].item<float>()); // a0 after t steps
            Assert.Equal(t, next[1, 18].item<float>());
            Assert.Equal(1500f - t, output[0, 8].item<float>()); // time left, exactly
            Assert.Equal(7f - t, output[1, 8].item<float>());
            state.Dispose();
            state = next.MoveToOuterDisposeScope();
        }

        state.Dispose();
    }

    [Fact]
    public void GradientsReachBothNacs()
    {
        var core = SeededConstruction.Build(2, () => new CounterCore(4, 8, 2));
        using Tensor instruction = tensor(new float[] { 9 }, [1, 1]);
        Tensor state = zeros(1, core.StateSize);
        Tensor total = zeros(1);
        for (int t = 0; t < 3; t++)
        {
            (Tensor output, state) = core.Step(ones(1, 4), instruction, state);
            total = total + output.sum();
        }

        total.backward();
        foreach (Tensor parameter in new[] { core.StepNac.WHat, core.StepNac.MHat, core.ReadNac.WHat, core.ReadNac.MHat })
        {
            using Tensor? grad = parameter.grad;
            Assert.True(grad is not null && grad.abs().sum().item<float>() > 0);
        }
    }
}
