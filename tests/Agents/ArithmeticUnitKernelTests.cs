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
    public void TheKernelGivesTheModulesOutputsAndGradients(SimdWidth width, bool nalu)
    {
        using var _ = Simd.ForceOnThisThread(width);
        float[] dy = [0.5f, -1f, 0.25f, 2f, -0.3f, 0.7f, -1.5f, 0.1f, 0.9f, 0.4f, -0.8f, 1.2f];
        AgainstTheModule(nalu, 5, 3, Inputs, dy);
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void WithMoreOutputsThanAVectorHoldsTheKernelGivesTheModulesOutputsAndGradients(SimdWidth width, bool nalu)
    {
        // 37 outputs: whole vectors at every width and a part-filled last one (the NALU's mix pads it); inputs with zeros.
        using var _ = Simd.ForceOnThisThread(width);
        var random = new Random(29);
        float[] inputs = [.. Enumerable.Range(0, 4 * 9).Select(i => i % 7 == 3 ? 0f : (float)((random.NextDouble() * 4) - 2))];
        float[] dy = [.. Enumerable.Range(0, 4 * 37).Select(_ => (float)(random.NextDouble() - 0.5))];
        AgainstTheModule(nalu, 9, 37, inputs, dy);
    }

    public static TheoryData<SimdWidth, bool> WidthsFlushedOrNot => SimdWidths.Times(new TheoryData<bool> { false, true });

    [Theory]
    [MemberData(nameof(WidthsFlushedOrNot))]
    public unsafe void ThroughTheLogTheGradientIsSignOverMagnitudeZeroAtZeroAndNaNAtNaN(SimdWidth width, bool flushed)
    {
        // ∂ℓ·sign(x)/(|x| + ε), hand-computed with ε = 0.5 (exact in floats); 19 values: whole vectors and a tail at
        // every width, ±0 in both. Two inputs are denormal (±1e-40, in a vector and in the tail): |x| + 0.5 rounds to
        // 0.5, so ±2; where denormals are flushed to zero (as training's workers do) they read as 0, and so give 0.
        float[] x = [2f, -2f, 0f, -0f, float.NaN, 0.5f, -1.5f, 3.5f, 0f, -1e-40f, 1.5f, float.NaN, 2f, -2f, 0f, 0.5f, -0f, 1e-40f, float.NaN];
        float[] dLog = [3f, 3f, 7f, 7f, 1f, 2f, 4f, 8f, 1f, 1f, -6f, 0f, -5f, 5f, 0f, 0f, 1f, 1f, 1f];
        float denormal = flushed && Denormals.CanFlush ? 0f : 2f;
        float[] expected = [1.2f, -1.2f, 0f, 0f, float.NaN, 2f, -2f, 2f, 0f, -denormal, -3f, float.NaN, -2f, -2f, 0f, 0f, 0f, denormal, float.NaN];
        FlushingThread.Run(flushed, width, () =>
        {
            fixed (float* d = dLog, v = x)
            {
                NaluMath.LogBackward(d, v, x.Length, 0.5f);
            }
        });

        Assert.Equal(expected, dLog);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void WhereDenormalsAreFlushedTheNalusKernelStillGivesTheModulesGradientsAtInputsOfZero(SimdWidth width)
    {
        // Training's workers flush denormals (Denormals); the inputs here, zeros among them, are far from the denormal
        // range, so flushing must change nothing: the kernel on a flushing thread against the module on the test's.
        var random = new Random(7);
        float[] inputs = [.. Enumerable.Range(0, 4 * 9).Select(i => i % 5 == 2 ? 0f : (float)((random.NextDouble() * 4) - 2))];
        float[] dy = [.. Enumerable.Range(0, 4 * 37).Select(_ => (float)(random.NextDouble() - 0.5))];
        AgainstTheModule(true, 9, 37, inputs, dy, width, kernelFlushes: true);
    }

    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    /// <summary>
    /// The kernel against the module through libtorch's autograd. With <paramref name="kernelFlushes"/>, the kernel runs
    /// at <paramref name="width"/> on a thread of its own that flushes denormals to zero (as training's workers do);
    /// otherwise on the caller's thread, at the caller's width.
    /// </summary>
    private static unsafe void AgainstTheModule(bool nalu, int inputs, int outputs, float[] inputValues, float[] dyValues, SimdWidth width = SimdWidth.Off, bool kernelFlushes = false)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        nn.Module<Tensor, Tensor> module = nalu ? new Nalu(inputs, outputs) : new Nac(inputs, outputs);
        const int batch = 2, steps = 2;
        using ArithmeticUnitKernel kernel = ArithmeticUnitKernel.For(module, batch, steps)!;
        Tensor u = tensor(inputValues).view(steps * batch, inputs).requires_grad_();
        Tensor dy = tensor(dyValues).view(steps * batch, outputs);

        // Autograd: Σ y·∂y has gradient ∂y at y.
        Tensor expected = module.call(u);
        (expected * dy).sum().backward();
        Tensor expectedInputGradient = u.grad!.clone();
        Tensor[] expectedGradients = [.. module.parameters().Select(p => p.grad!.clone())];
        module.zero_grad();

        float[] y = new float[steps * batch * outputs], du = new float[steps * batch * inputs];
        if (kernelFlushes)
        {
            FlushingThread.Run(true, width, RunKernel);
        }
        else
        {
            RunKernel();
        }

        TensorAssert.Close(expected.detach(), tensor(y).view(steps * batch, outputs), "outputs");
        TensorAssert.Close(expectedInputGradient, tensor(du).view(steps * batch, inputs), "input gradients");
        Tensor[] actualGradients = [.. module.parameters().Select(p => p.grad!.clone())];
        for (int i = 0; i < expectedGradients.Length; i++)
        {
            TensorAssert.Close(expectedGradients[i], actualGradients[i], $"gradient of parameter {i}");
        }

        void RunKernel()
        {
            kernel.Refresh();
            fixed (float* py = y, pdu = du, d = dyValues)
            {
                for (int step = 0; step < steps; step++)
                {
                    float* input = kernel.Input(step);
                    for (int i = 0; i < batch * inputs; i++)
                    {
                        input[i] = inputValues[(step * batch * inputs) + i];
                    }

                    kernel.Forward(step, py + (step * batch * outputs), outputs);
                }

                for (int step = steps - 1; step >= 0; step--)
                {
                    kernel.Backward(step, d + (step * batch * outputs), outputs, pdu + (step * batch * inputs));
                }
            }

            kernel.AddWeightGradients(steps);
        }
    }
}
