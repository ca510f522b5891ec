using GridTime.Agents;
using GridTime.Agents.Arithmetic;
using GridTime.Agents.Layers;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>The NMU, the ε-perfect success criterion and the sparsity schedule of the static arithmetic task, by hand.</summary>
public sealed class ArithmeticUnitsTests
{
    [Theory]
    [InlineData(1f, 1f, 12f)]   // both inputs in the product: 3 · 4
    [InlineData(1f, 0f, 3f)]    // the second replaced by 1
    [InlineData(0.5f, 0.5f, 5f)] // (0.5·3 + 0.5)(0.5·4 + 0.5) = 2 · 2.5
    public void TheNmuMultipliesTheInputsItsWeightsLetIn(float w1, float w2, float expected)
    {
        var nmu = SeededConstruction.Build(1, () => new Nmu(2, 1));
        using (no_grad())
        {
            nmu.Weight.copy_(tensor(new[] { w1, w2 }, [2, 1]));
        }

        using Tensor x = tensor(new float[] { 3, 4 }, [1, 2]);
        using Tensor z = nmu.call(x);
        Assert.Equal(expected, z.item<float>(), 5);
    }

    [Fact]
    public void TheNmuStartsInsideItsBoxAndIsClampedBackIntoIt()
    {
        var nmu = SeededConstruction.Build(3, () => new Nmu(10, 4));
        float[] start = nmu.Weight.data<float>().ToArray();
        Assert.All(start, w => Assert.InRange(w, 0.25f, 0.75f));
        using (no_grad())
        {
            nmu.Weight.mul_(tensor(3f)).sub_(tensor(1f));
        }

        nmu.ClampWeights();
        Assert.All(nmu.Weight.data<float>().ToArray(), w => Assert.InRange(w, 0f, 1f));
    }

    [Fact]
    public void TheEpsilonPerfectErrorIsTheExactSolutionWithEveryWeightOffByEpsilon()
    {
        // Ten inputs of 1: a = b = 3, Σx = 10. a' = b' = 3 + 1e-5·10 = 3.0001; a + b: (6.0002)(1 + 1e-5) = 6.00026000200,
        // so the squared error is (2.60002e-4)² = 6.76010e-8. a·b: 3.0001²·(1 + 1e-5) = 9.000690016, (6.90016e-4)² = 4.761221e-7.
        var settings = new ArithmeticSettings();
        using Tensor x = ones(1, 10);
        using Tensor sum = tensor(new[] { 6f }), product = tensor(new[] { 9f });
        Assert.Equal(6.76010e-8, ArithmeticExperiment.EpsilonPerfectError(ArithmeticOperation.Add, settings, x, sum), 12);
        Assert.Equal(4.761221e-7, ArithmeticExperiment.EpsilonPerfectError(ArithmeticOperation.Multiply, settings, x, product), 12);
        // a − b: b's weights go the other way (b' = 2.9999), so the offsets add: 0.0002·(1 + 1e-5) → 4.00008e-8, not 0.
        using Tensor difference = tensor(new[] { 0f });
        Assert.Equal(4.00008e-8, ArithmeticExperiment.EpsilonPerfectError(ArithmeticOperation.Subtract, settings, x, difference), 13);
    }

    [Fact]
    public void ASuccessIsAnExtrapolationErrorBelowTheEpsilonPerfectOnes()
    {
        ArithmeticResult Result(double extrapolation) => new(ArithmeticOperation.Add, ArithmeticModel.Nau, 0, extrapolation, 0, 0, 0, 1e-6);
        Assert.True(Result(9e-7).Success);
        Assert.False(Result(1e-6).Success);
        Assert.False(Result(double.PositiveInfinity).Success);
    }

    [Fact]
    public void TheSparsityRegulariserRisesFromAQuarterToHalfOfTheSteps()
    {
        var settings = new ArithmeticSettings { Steps = 4000, SparsityWeight = 2 };
        Assert.Equal(0, ArithmeticExperiment.SparsityScale(settings, 999));
        Assert.Equal(0, ArithmeticExperiment.SparsityScale(settings, 1000));
        Assert.Equal(1, ArithmeticExperiment.SparsityScale(settings, 1500), 12);
        Assert.Equal(2, ArithmeticExperiment.SparsityScale(settings, 2000));
        Assert.Equal(2, ArithmeticExperiment.SparsityScale(settings, 3999));
    }

    [Fact]
    public void ANauPairLearnsSubtractionExactlyWhereItExtrapolates()
    {
        ArithmeticResult r = ArithmeticExperiment.Run(ArithmeticOperation.Subtract, ArithmeticModel.Nau, new ArithmeticSettings { Steps = 1500, Seed = 1 });
        Assert.True(r.Success, $"extrapolation MSE {r.Extrapolation} against the ε-perfect {r.EpsilonPerfect}");
    }
}
