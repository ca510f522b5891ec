using GridTime.Agents;
using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>Clipping by the total norm gives libtorch's <c>clip_grad_norm_</c>: its norm, and its gradients where it clips.</summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class GradientClippingTests
{
    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    /// <summary>
    /// A network's gradients (random, one parameter without any): with a limit above their norm nothing changes (to the
    /// bit) and the norm is libtorch's; with a limit of a tenth of it every gradient is libtorch's clipped one, and the
    /// clipped norm is the limit.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void TheNormAndTheClippedGradientsAreLibtorchs(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 3, Hidden = 32 });
        Parameter[] parameters = [.. network.parameters()];
        Tensor[] original = SetRandomGradients(parameters);

        double norm = GradientClipping.ClipByTotalNorm(parameters, 1e9);
        double expected = Math.Sqrt(original.Where(g => g.numel() > 0).Sum(g => g.to_type(ScalarType.Float64).pow(2).sum().item<double>()));
        Assert.Equal(expected, norm, expected * 1e-6);
        for (int i = 0; i < parameters.Length; i++)
        {
            using Tensor? gradient = parameters[i].grad;
            Assert.Equal(original[i].numel() == 0, gradient is null);
            if (gradient is not null)
            {
                Assert.Equal(original[i].data<float>().ToArray(), gradient.data<float>().ToArray());
            }
        }

        double clipped = GradientClipping.ClipByTotalNorm(parameters, norm / 10);
        Assert.Equal(norm, clipped, norm * 1e-6);
        SetGradients(parameters, original);
        double libtorchs = nn.utils.clip_grad_norm_(parameters, norm / 10);
        Assert.Equal(libtorchs, clipped, norm * 1e-5);
        Tensor[] expectedGradients = [.. parameters.Select(p => { using Tensor? g = p.grad; return g?.clone() ?? empty(0); })];
        SetGradients(parameters, original);
        GradientClipping.ClipByTotalNorm(parameters, norm / 10);
        double clippedNorm = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            using Tensor? gradient = parameters[i].grad;
            if (gradient is not null)
            {
                Assert.True(allclose(gradient, expectedGradients[i], rtol: 1e-5, atol: 1e-9), $"{i}: clipped gradient differs from libtorch's");
                clippedNorm += gradient.to_type(ScalarType.Float64).pow(2).sum().item<double>();
            }
        }

        Assert.Equal(norm / 10, Math.Sqrt(clippedNorm), norm * 1e-6);
    }

    /// <summary>A NaN or infinity in any gradient gives a norm that is not finite, and leaves every gradient as it was.</summary>
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void ANonFiniteGradientGivesANonFiniteNormAndChangesNothing(float bad)
    {
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 3, Hidden = 32 });
        Parameter[] parameters = [.. network.parameters()];
        Tensor[] original = SetRandomGradients(parameters);
        original[0].view(-1)[0] = bad;
        SetGradients(parameters, original);
        Assert.False(double.IsFinite(GradientClipping.ClipByTotalNorm(parameters, 1e-3)));
        for (int i = 0; i < parameters.Length; i++)
        {
            using Tensor? gradient = parameters[i].grad;
            if (gradient is not null)
            {
                Assert.Equal(original[i].data<float>().ToArray(), gradient.data<float>().ToArray());
            }
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ALimitThatIsNotPositiveAndFiniteIsRefused(double limit)
    {
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 3, Hidden = 32 });
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByTotalNorm([.. network.parameters()], limit));
    }

    // Random gradients for every parameter but the second (left without one); the gradients set, [0] for that one.
    private static Tensor[] SetRandomGradients(Parameter[] parameters)
    {
        var generator = new Generator(11);
        Tensor[] gradients = [.. parameters.Select((p, i) => i == 1 ? empty(0) : randn(p.shape, generator: generator))];
        SetGradients(parameters, gradients);
        return gradients;
    }

    private static void SetGradients(Parameter[] parameters, Tensor[] gradients)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i].grad = gradients[i].numel() == 0 ? null : gradients[i].clone();
        }
    }
}
