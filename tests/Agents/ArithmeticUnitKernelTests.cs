using GridTime.Agents.Kernels;
using GridTime.Agents.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>
/// The fast path's NAC and NALU (<see cref="ArithmeticUnitKernel"/>) against the modules through libtorch's autograd:
/// outputs, input gradients and parameter gradients over two steps, with inputs that include 0 (where the NALU's
/// log path has its kink) and values of the size an instruction T has.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class ArithmeticUnitKernelTests
{
    private static readonly float[] Inputs = [7f, 0.3f, -0.2f, 0f, 0.9f, 11f, -0.5f, 0.25f, 0.1f, -0.7f, 5f, 0f, 0.6f, -0.4f, 0.05f, 12f, 0.8f, -0.9f, 0.3f, 0.2f];

    public static TheoryData<SimdWidth, bool> Units => SimdWidths.Times(new TheoryData<bool> { false, true });

    [Theory]
    [MemberData(nameof(Units))]
    public unsafe void TheKernelGivesTheModulesOutputsAndGradients(SimdWidth width, bool nalu)
    {
        using var _ = Simd.ForceOnThisThread(width);

        using var scope = NewDisposeScope();
        manual_seed(3);
        nn.Module<Tensor, Tensor> module = nalu ? new Nalu(5, 3) : new Nac(5, 3);
        const int batch = 2, steps = 2;
        using ArithmeticUnitKernel kernel = ArithmeticUnitKernel.For(module, batch, steps)!;
        Tensor u = tensor(Inputs).view(steps * batch, 5).requires_grad_();
        Tensor dy = tensor(new float[] { 0.5f, -1f, 0.25f, 2f, -0.3f, 0.7f, -1.5f, 0.1f, 0.9f, 0.4f, -0.8f, 1.2f }).view(steps * batch, 3);

        // Autograd: Σ y·∂y has gradient ∂y at y.
        Tensor expected = module.call(u);
        (expected * dy).sum().backward();
        Tensor expectedInputGradient = u.grad!.clone();
        Tensor[] expectedGradients = [.. module.parameters().Select(p => p.grad!.clone())];
        module.zero_grad();

        kernel.Refresh();
        float* y = stackalloc float[steps * batch * 3];
        float* du = stackalloc float[steps * batch * 5];
        float[] dyValues = dy.data<float>().ToArray();
        for (int step = 0; step < steps; step++)
        {
            float* input = kernel.Input(step);
            for (int i = 0; i < batch * 5; i++)
            {
                input[i] = Inputs[(step * batch * 5) + i];
            }

            kernel.Forward(step, y + (step * batch * 3), 3);
        }

        fixed (float* d = dyValues)
        {
            for (int step = steps - 1; step >= 0; step--)
            {
                kernel.Backward(step, d + (step * batch * 3), 3, du + (step * batch * 5));
            }
        }

        kernel.AddWeightGradients(steps);
        TensorAssert.Close(expected.detach(), tensor(new ReadOnlySpan<float>(y, steps * batch * 3).ToArray()).view(steps * batch, 3), "outputs");
        TensorAssert.Close(expectedInputGradient, tensor(new ReadOnlySpan<float>(du, steps * batch * 5).ToArray()).view(steps * batch, 5), "input gradients");
        Tensor[] actualGradients = [.. module.parameters().Select(p => p.grad!.clone())];
        for (int i = 0; i < expectedGradients.Length; i++)
        {
            TensorAssert.Close(expectedGradients[i], actualGradients[i], $"gradient of parameter {i}");
        }
    }
}
