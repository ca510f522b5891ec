using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>Weight gradients formed at the end of a backward pass are the ones autograd forms at each use.</summary>
/// <remarks>Whole networks with every core are compared in <see cref="FastLinearTests"/>; these are the edges.</remarks>
[Collection(KernelSwitchCollection.Name)]
public sealed class DeferredWeightGradientsTests
{
    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    [Theory]
    [MemberData(nameof(Widths))]
    public void ALayerUsedAtSeveralStepsGetsTheSumOfItsGradientsAddedToWhatItHad(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        manual_seed(3);
        var layer = nn.Linear(40, 24);
        var cell = nn.LSTMCell(24, 16);
        Tensor[] inputs = [.. Enumerable.Range(0, 3).Select(i => randn(5, 40))];
        Parameter[] parameters = [.. layer.parameters(), .. cell.parameters()];

        Tensor Loss()
        {
            Tensor h = zeros(5, 16), c = zeros(5, 16), loss = zeros(1);
            foreach (Tensor x in inputs)
            {
                (h, c) = FastLstmCell.Step(cell, FastLinear.Apply(x, layer.weight!, layer.bias).tanh(), h, c);
                loss = loss + (h * c).sum();
            }

            return loss;
        }

        foreach (Parameter p in parameters)
        {
            p.grad = null;
        }

        Loss().backward();
        Loss().backward(); // the second adds to the first
        Tensor[] expected = [.. parameters.Select(p => p.grad!.clone())];

        foreach (Parameter p in parameters)
        {
            p.grad = null;
        }

        var deferred = new DeferredWeightGradients();
        deferred.Backward(Loss(), parameters);
        deferred.Backward(Loss(), parameters); // buffers reused; adds to the gradients already there
        string[] names = ["linear weight", "linear bias", "lstm weight_ih", "lstm weight_hh", "lstm bias_ih", "lstm bias_hh"];
        for (int i = 0; i < parameters.Length; i++)
        {
            TensorAssert.Close(expected[i], parameters[i].grad!, names[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void AWeightMissingFromTheParametersGivenIsAnErrorNotALostGradient(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width); // with the kernels off nothing is deferred
        using var scope = NewDisposeScope();

        var layer = nn.Linear(8, 4);
        Tensor loss = FastLinear.Apply(randn(3, 8), layer.weight!, layer.bias).sum();
        var error = Assert.Throws<InvalidOperationException>(() => new DeferredWeightGradients().Backward(loss, [layer.bias!]));
        Assert.Contains("not among the parameters", error.Message);
    }

    [Fact]
    public void AnInputThatIsNotAParameterKeepsItsGradientInTheGraph()
    {
        // A weight computed from a parameter (a NAC's W is) must get its gradient through autograd as usual.
        using var scope = NewDisposeScope();
        Tensor raw = randn(4, 8).requires_grad_(true);
        Tensor x = randn(3, 8);
        FastLinear.Apply(x, raw.tanh(), null).sum().backward();
        Tensor expected = raw.grad!.clone();
        raw.grad = null;
        new DeferredWeightGradients().Backward(FastLinear.Apply(x, raw.tanh(), null).sum(), [raw]);
        TensorAssert.Close(expected, raw.grad!, "gradient through a computed weight");
    }
}
