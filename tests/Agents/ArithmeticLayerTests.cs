using GridTime.Agents;
using GridTime.Agents.Arithmetic;
using GridTime.Agents.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

public sealed class ArithmeticLayerTests
{
    [Fact]
    public void NacWeightsStayInsideMinusOneToOne()
    {
        var nac = SeededConstruction.Build(1, () => new Nac(6, 4));
        using (no_grad())
        {
            nac.WHat.mul_(1000);
            nac.MHat.add_(50);
        }

        using Tensor weight = nac.Weight();
        Assert.True(weight.abs().max().item<float>() <= 1f);
        Assert.True(weight.abs().max().item<float>() > 0.99f);
    }

    [Fact]
    public void NacStartsNearZero()
    {
        var nac = SeededConstruction.Build(1, () => new Nac(257, 8));
        using Tensor weight = nac.Weight();
        Assert.True(weight.abs().max().item<float>() < 0.15f);
    }

    [Fact]
    public void GradientsReachWHatMHatAndTheGate()
    {
        var nalu = SeededConstruction.Build(2, () => new Nalu(3, 2));
        using Tensor x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using Tensor loss = nalu.call(x).sum();
        loss.backward();
        foreach (Tensor parameter in new[] { nalu.Accumulator.WHat, nalu.Accumulator.MHat, nalu.Gate })
        {
            using Tensor? grad = parameter.grad;
            Assert.NotNull(grad);
            Assert.True(grad!.abs().sum().item<float>() > 0);
        }
    }

    [Fact]
    public void NaluWithHandSetWeightsAddsAndMultiplies()
    {
        var nalu = SeededConstruction.Build(3, () => new Nalu(2, 1));
        using (no_grad())
        {
            nalu.Accumulator.WHat.fill_(20); // tanh(20) = 1
            nalu.Accumulator.MHat.fill_(20); // sigmoid(20) = 1
            nalu.Gate.fill_(-50); // gate closed: the multiplicative path
        }

        using Tensor x = tensor(new float[] { 3, 7, 12, 40 }, [2, 2]);
        using Tensor product = nalu.call(x);
        Assert.Equal(21f, product[0, 0].item<float>(), 0.01f);
        Assert.Equal(480f, product[1, 0].item<float>(), 0.1f);
        using (no_grad())
        {
            nalu.Gate.fill_(50); // gate open: the additive path
        }

        using Tensor sum = nalu.call(x);
        Assert.Equal(10f, sum[0, 0].item<float>(), 0.001f);
        Assert.Equal(52f, sum[1, 0].item<float>(), 0.001f);
    }

    // Bound: relative error below 1% on inputs ten times larger than any seen. A NAC that learned a + b has
    // weights within about 1e-3 of 0 or 1; the error then stays at that relative size for any input, while an
    // MLP saturates (ReLU6) and misses by tens of percent.
    [Fact]
    public void ANacTrainedOnAPlusBExtrapolatesAndAnMlpDoesNot()
    {
        var settings = new ArithmeticSettings { Steps = 1500, RandomBaselines = 2 };
        ArithmeticResult nac = ArithmeticExperiment.Run(ArithmeticOperation.Add, ArithmeticModel.Nac, settings);
        ArithmeticResult mlp = ArithmeticExperiment.Run(ArithmeticOperation.Add, ArithmeticModel.Mlp, settings);
        Assert.True(nac.ExtrapolationRelative < 0.01, $"NAC relative error {nac.ExtrapolationRelative:P2}");
        Assert.True(mlp.ExtrapolationRelative > 0.2, $"MLP relative error {mlp.ExtrapolationRelative:P2}");
        Assert.True(nac.ExtrapolationNormalised < 1, $"NAC normalised error {nac.ExtrapolationNormalised}");
    }

    // Bound: relative error below 10% on [0, 100) after training on [0, 10). A NALU layer reaches a×b through
    // W → (1, 1), which tanh·σ approaches only asymptotically: with 3000 steps both weights are about 0.99, and
    // x^0.99 · y^0.99 is within 10% of x·y for x, y < 100. (A wrong layer misses by orders of magnitude.)
    [Fact]
    public void ANaluLearnsMultiplicationWellEnoughToExtrapolate()
    {
        set_num_threads(1);
        var nalu = SeededConstruction.Build(1, () => new Nalu(2, 1));
        var data = new Generator(11);
        using (var optimizer = optim.Adam(nalu.parameters(), lr: 0.01))
        {
            for (int step = 0; step < 3000; step++)
            {
                using var scope = NewDisposeScope();
                Tensor x = rand(64, 2, generator: data) * 10;
                Tensor loss = (nalu.call(x).squeeze(1) - (x[.., 0] * x[.., 1])).pow(2).mean();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }

        using var test = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor inputs = rand(2000, 2, generator: data) * 100;
        Tensor target = inputs[.., 0] * inputs[.., 1];
        float relative = ((nalu.call(inputs).squeeze(1) - target).abs() / target).mean().item<float>();
        Assert.True(relative < 0.1, $"relative error {relative:P2}");
    }
}
