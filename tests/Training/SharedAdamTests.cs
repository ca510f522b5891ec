using GridTime.Tests.Agents;
using GridTime.Training.A3C;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Tests.Training;

/// <summary>The shared optimizer takes libtorch's Adam steps.</summary>
public sealed class SharedAdamTests
{
    [Fact]
    public void NauWeightsStepAtTheirFactorAndStayPutAtZero()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(12);
        // Parameter 1 is a NAU weight: at factor 0.25 it steps like Adam at a quarter of the rate, at factor 0 not at all.
        Parameter[] ours = [new Parameter(randn([5], generator: generator)), new Parameter(randn([3], generator: generator))];
        Parameter[] theirs = [.. ours.Select(p => new Parameter(p.detach().clone()))];
        using var adam = new SharedAdam(ours, 0.9, 0.999, 1e-8, null, [false, true]);
        var reference = optim.Adam([new Adam.ParamGroup([theirs[0]], lr: 1e-2), new Adam.ParamGroup([theirs[1]], lr: 2.5e-3)], lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        for (int step = 0; step < 3; step++)
        {
            Tensor[] gradients = [.. ours.Select(p => randn(p.shape, generator: generator))];
            adam.Step(gradients, 1e-2, additionUnitFactor: 0.25);
            for (int i = 0; i < theirs.Length; i++)
            {
                theirs[i].grad = gradients[i].clone();
            }

            reference.step();
        }

        TensorAssert.Close(theirs[0], ours[0], "the other parameter");
        TensorAssert.Close(theirs[1], ours[1], "the NAU weight at factor 0.25");
        float[] settled = ours[1].data<float>().ToArray(), other = ours[0].data<float>().ToArray();
        adam.Step([ones(5), ones(3)], 1e-2, additionUnitFactor: 0);
        Assert.Equal(settled, ours[1].data<float>().ToArray());
        Assert.NotEqual(other, ours[0].data<float>().ToArray());
    }

    [Fact]
    public void ItStepsLikeTorchAdam()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        // 37 values: vector width and a tail; the 2 x 3 parameter learns at half the rate.
        Parameter[] ours = [new Parameter(randn([37], generator: generator)), new Parameter(randn([2, 3], generator: generator))];
        Parameter[] theirs = [.. ours.Select(p => new Parameter(p.detach().clone()))];
        using var adam = new SharedAdam(ours, 0.9, 0.999, 1e-8, [1.0, 0.5]);
        var reference = optim.Adam([new Adam.ParamGroup([theirs[0]], lr: 1e-2), new Adam.ParamGroup([theirs[1]], lr: 5e-3)], lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        for (int step = 0; step < 5; step++)
        {
            Tensor[] gradients = [.. ours.Select(p => randn(p.shape, generator: generator) * (step + 1))];
            adam.Step(gradients, 1e-2);
            for (int i = 0; i < theirs.Length; i++)
            {
                theirs[i].grad = gradients[i].clone();
            }

            reference.step();
        }

        Assert.Equal(5, adam.StepCount);
        for (int i = 0; i < ours.Length; i++)
        {
            TensorAssert.Close(theirs[i], ours[i], $"parameter {i}");
        }
    }

    [Fact]
    public void ParametersItCannotUpdateInPlaceAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new SharedAdam([new Parameter(zeros(3, dtype: ScalarType.Float64))], 0.9, 0.999, 1e-8));
        Assert.Contains("float32", error.Message);
    }
}
