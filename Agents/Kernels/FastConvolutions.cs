using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The encoder's two convolutions with their ReLUs — [B, 3, 56, 56] → conv 16 @ 8x8 stride 4 → [B, 16, 13, 13]
/// → conv 32 @ 4x4 stride 2 → [B, 32, 5, 5], flattened to [B, 800] — as one autograd node, computed as direct
/// convolutions at the vector width of <see cref="Simd.Width"/> and a hand-written backward pass. The same parameters and result as
/// <c>relu(conv2(relu(conv1(x)))).flatten(1)</c> to float rounding (tests/Agents/FastConvolutionsTests).
/// Where the kernel is not used (<c>GRIDTIME_SIMD=off</c> or no vector unit, or an input that needs a gradient)
/// it is that expression.
/// <para>
/// Why: at the batch of one acting step (32 frames) libtorch's convolutions ran their backward pass at
/// 45-70 GFLOP/s, and the encoder's forward and backward took more than half of a worker's time. Here a block of
/// output pixels x one or two vectors of their channels stays in registers while the weights stream past (at most
/// 13 accumulators with 16 registers), so every weight vector loaded serves several pixels and every input value
/// several channels; intermediate activations stay channels-last ([B, 13, 13, 16]) between the layers, so no layout is
/// converted on the way. conv1 and its weight gradient run over a picture's nonzero inputs only where they are few
/// (<see cref="SparseConv1"/>: the grid world's pictures are black but for two squares), with the same result to the
/// bit (but for the sign of a gradient that underflows to zero).
/// </para>
/// </summary>
public static class FastConvolutions
{
    private const int Side = 56, Channels = 3, Out1 = 16, Kernel1 = 8, Stride1 = 4, Side1 = 13;
    private const int Out2 = 32, Kernel2 = 4, Stride2 = 2, Side2 = 5;
    private const int Patch1 = Channels * Kernel1 * Kernel1; // 192 inputs per conv1 output
    private const int Patch2 = Out1 * Kernel2 * Kernel2;     // 256 inputs per conv2 output
    private const int ImageFloats = Channels * Side * Side;   // 9,408 (a multiple of 16)

    /// <summary>Number of features in the output: 32 channels x 5 x 5.</summary>
    public const int Features = Out2 * Side2 * Side2;

    /// <summary>
    /// relu(conv2(relu(conv1(<paramref name="pixels"/>)))) flattened to [B, 800]; pixels [B, 3, 56, 56] are
    /// float32, or uint8 to be divided by 255 (done here image by image, so that the float image is never
    /// written to memory in full: it is read from a 37 KiB buffer that stays in the L1 cache).
    /// </summary>
    public static Tensor Apply(Tensor pixels, Conv2d conv1, Conv2d conv2)
    {
        bool bytes = pixels.dtype == ScalarType.Byte;
        bool kernel = FastLinear.KernelInUse && (bytes || FastLinear.Takes(pixels)) && pixels.device_type == DeviceType.CPU
            && !pixels.requires_grad && pixels.dim() == 4
            && pixels.shape[1] == Channels && pixels.shape[2] == Side && pixels.shape[3] == Side
            && conv1.bias is not null && conv2.bias is not null
            && conv1.weight!.shape.SequenceEqual(new long[] { Out1, Channels, Kernel1, Kernel1 })
            && conv2.weight!.shape.SequenceEqual(new long[] { Out2, Out1, Kernel2, Kernel2 });
        if (!kernel)
        {
            using var scope = NewDisposeScope();
            Tensor x = bytes ? pixels.to_type(ScalarType.Float32).DivideInPlace(255f) : pixels;
            return F.relu(conv2.call(F.relu(conv1.call(x)))).flatten(1).MoveToOuterDisposeScope();
        }

        return KeptAlive.Apply(ConvolutionsFunction.apply, pixels, conv1.weight!, conv1.bias!, conv2.weight!, conv2.bias!)[0];
    }

    private sealed class ConvolutionsFunction : autograd.MultiTensorFunction<ConvolutionsFunction>
    {
        public override string Name => "GridTimeConvolutions";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            // Not disposed here: autograd saves them for the backward pass after this returns.
            Tensor x = ((Tensor)vars[0]).contiguous();
            using Tensor w1 = ((Tensor)vars[1]).contiguous(), b1 = ((Tensor)vars[2]).contiguous();
            Tensor w2 = ((Tensor)vars[3]).contiguous();
            using Tensor b2 = ((Tensor)vars[4]).contiguous();
            int batch = (int)x.shape[0];
            Tensor hidden = empty(batch, Side1, Side1, Out1); // conv1's output after ReLU, channels-last
            Tensor output = empty(batch, Features);
            unsafe
            {
                fixed (byte* xB = x.bytes, w1B = w1.bytes, b1B = b1.bytes, w2B = w2.bytes, b2B = b2.bytes, hB = hidden.bytes, oB = output.bytes)
                {
                    Forward(xB, x.dtype == ScalarType.Byte, batch, (float*)w1B, (float*)b1B, (float*)w2B, (float*)b2B, (float*)hB, (float*)oB);
                }
            }

            ctx.save_for_backward([x, hidden, output, w2]);
            DeferredWeightGradients.Remember(ctx, "parameters", (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
            return [output];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            List<Tensor> saved = ctx.get_saved_variables();
            using Tensor x = saved[0], hidden = saved[1], output = saved[2], w2 = saved[3];
            using Tensor gradient = gradOutputs[0].contiguous();
            int batch = (int)x.shape[0];
            Tensor dW1 = empty(Out1, Channels, Kernel1, Kernel1), dB1 = empty(Out1);
            Tensor dW2 = empty(Out2, Out1, Kernel2, Kernel2), dB2 = empty(Out2);
            unsafe
            {
                fixed (byte* xB = x.bytes, hB = hidden.bytes, oB = output.bytes, gB = gradient.bytes, w2B = w2.bytes)
                fixed (byte* dW1B = dW1.bytes, dB1B = dB1.bytes, dW2B = dW2.bytes, dB2B = dB2.bytes)
                {
                    Backward(xB, x.dtype == ScalarType.Byte, batch, (float*)hB, (float*)oB, (float*)gB, (float*)w2B, (float*)dW1B, (float*)dB1B, (float*)dW2B, (float*)dB2B);
                    if (DeferredWeightGradients.TryRecall(ctx, "parameters", out DeferredWeightGradients? deferred, out IntPtr[] parameters))
                    {
                        // Summed over the rollout here, added to the parameters' grad once (DeferredWeightGradients).
                        deferred.Add(parameters[0], (float*)dW1B, Patch1 * Out1);
                        deferred.Add(parameters[1], (float*)dB1B, Out1);
                        deferred.Add(parameters[2], (float*)dW2B, Patch2 * Out2);
                        deferred.Add(parameters[3], (float*)dB2B, Out2);
                        return [null!, null!, null!, null!, null!];
                    }
                }
            }

            return [null!, dW1, dB1, dW2, dB2];
        }
    }

    /// <summary>
    /// The forward pass of <paramref name="batch"/> images <paramref name="pixels"/> [B, 3, 56, 56] (uint8 when
    /// <paramref name="bytes"/>, else float32): conv1's output after ReLU into <paramref name="hidden"/> [B, 13, 13, 16]
    /// (channels-last), conv2's after ReLU into <paramref name="output"/> [B, 800] (PyTorch's flattened order).
    /// Weights and biases as in PyTorch's Conv2d.
    /// </summary>
    internal static unsafe void Forward(byte* pixels, bool bytes, int batch, float* w1, float* b1, float* w2, float* b2, float* hidden, float* output)
    {
        float* arranged = Scratch.Get(Scratch.ConvolutionSlots, ArrangedWeights);
        ArrangeWeights(w1, w2, arranged);
        ForwardArranged(pixels, bytes, batch, arranged, b1, b2, hidden, output);
    }

    /// <summary>Floats that <see cref="ArrangeWeights"/> writes: conv1's weights, then conv2's.</summary>
    internal const int ArrangedWeights = (Patch1 * Out1) + (Patch2 * Out2);

    /// <summary>
    /// conv1's and conv2's weights (as in PyTorch's Conv2d) in the order the forward pass reads them, a vector over
    /// output channels per input — w1k[k][o] = w1[o][k], then w2f[(ky, kx, cin)][o] = w2[o][cin][ky][kx] — into
    /// <paramref name="arranged"/> (<see cref="ArrangedWeights"/> floats). A caller whose weights stay fixed over many
    /// forward passes (a rollout's steps) arranges them once and calls <see cref="ForwardArranged"/>: arranged on every
    /// step's dozen frames they took 3-4% of the forward pass (256 bits, Zen 5).
    /// </summary>
    internal static unsafe void ArrangeWeights(float* w1, float* w2, float* arranged)
    {
        float* w2f = arranged + (Patch1 * Out1);
        Transpose(w1, Out1, Patch1, arranged);
        for (int o = 0; o < Out2; o++)
        {
            for (int cin = 0; cin < Out1; cin++)
            {
                for (int kk = 0; kk < Kernel2 * Kernel2; kk++)
                {
                    w2f[(((kk * Out1) + cin) * Out2) + o] = w2[(o * Patch2) + (cin * Kernel2 * Kernel2) + kk];
                }
            }
        }
    }

    [ThreadStatic]
    private static long conv1SkippedOnThisThread;

    /// <summary>
    /// conv1's multiply-adds skipped on inputs of 0 (<see cref="SparseConv1"/>) by every forward pass on this thread so
    /// far: what a caller that runs the convolutions through autograd (<see cref="Apply"/>) counts them from.
    /// </summary>
    internal static long Conv1MultiplyAddsSkippedOnThisThread => conv1SkippedOnThisThread;

    /// <summary><see cref="Forward"/> with the weights arranged by <see cref="ArrangeWeights"/>.</summary>
    /// <returns>
    /// conv1's multiply-adds done: <see cref="ConvEncoder.Conv1MultiplyAdds"/> per image through the dense kernel, fewer
    /// per image of few nonzero inputs (<see cref="SparseConv1"/>); what a benchmark counts conv1's FLOPs on.
    /// </returns>
    /// <exception cref="PlatformNotSupportedException">The kernels are off.</exception>
    internal static unsafe long ForwardArranged(byte* pixels, bool bytes, int batch, float* arranged, float* b1, float* b2, float* hidden, float* output) =>
        Simd.Width switch
        {
            SimdWidth.Bits512 => Forward<Vec512>(pixels, bytes, batch, arranged, b1, b2, hidden, output),
            SimdWidth.Bits256 => Forward<Vec256>(pixels, bytes, batch, arranged, b1, b2, hidden, output),
            SimdWidth.Bits128 => Forward<Vec128>(pixels, bytes, batch, arranged, b1, b2, hidden, output),
            _ => throw new PlatformNotSupportedException("GridTime's kernels are off (GRIDTIME_SIMD=off, or no vector unit)"),
        };

    private static unsafe long Forward<TV>(byte* pixels, bool bytes, int batch, float* arranged, float* b1, float* b2, float* hidden, float* output)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* w1k = arranged, w2f = arranged + (Patch1 * Out1);
        float* image = Scratch.Get(Scratch.ConvolutionSlots + 2, ImageFloats);
        float* pixelMajor = Scratch.Get(Scratch.ConvolutionSlots + 1, ForwardChunk * Side2 * Side2 * Out2);
        float** inputs = stackalloc float*[6];
        int* nonzeroRuns = stackalloc int[3 * SparseConv1.MaximumNonzero];
        float* nonzero = stackalloc float[SparseConv1.MaximumNonzero];
        bool sparse = SparseConv1.InUse && SparseConv1.AllFinite<TV>(w1k, Patch1 * Out1);
        long multiplyAdds = 0;
        fixed (int* patch1 = PatchOffsets, patch2 = Patch2Offsets)
        {
            // In chunks of images: conv1 image by image (over its nonzero inputs where they are few), then conv2 over
            // the chunk's output pixels, while its conv1 outputs are in the cache.
            for (int first = 0; first < batch; first += ForwardChunk)
            {
                int images = Math.Min(ForwardChunk, batch - first);
                for (int b = first; b < first + images; b++)
                {
                    float* conv1Output = hidden + ((long)b * Side1 * Side1 * Out1);
                    int runCount = sparse ? SparseConv1.FindRuns(pixels, bytes, b, nonzeroRuns, nonzero) : -1;
                    if (runCount >= 0)
                    {
                        multiplyAdds += SparseConv1.Forward<TV>(runCount, nonzeroRuns, nonzero, w1k, b1, conv1Output);
                    }
                    else
                    {
                        Conv1<TV>(Image<TV>(pixels, bytes, b, image), w1k, b1, patch1, conv1Output);
                        multiplyAdds += ConvEncoder.Conv1MultiplyAdds;
                    }
                }

                // conv2's output pixels of the chunk (25 or more) in blocks of 6 (a block may span two images) x two vectors
                // of channels; where they do not come out even, the last block overlaps the one before and writes the
                // pixels they share again, the same values to the bit (as conv1's last block does).
                int count = images * Side2 * Side2;
                float* chunkHidden = hidden + ((long)first * Side1 * Side1 * Out1);
                for (int p = 0; p < count; p += 6)
                {
                    int block = Math.Min(p, count - 6);
                    for (int i = 0; i < 6; i++)
                    {
                        inputs[i] = Conv2Input(chunkHidden, block + i);
                    }

                    for (int channel = 0; channel < Out2; channel += 2 * TV.Count)
                    {
                        PixelBlock6<TV>(inputs, Patch2, w2f, Out2, b2, channel, patch2, pixelMajor + ((long)block * Out2));
                    }
                }

                // From pixel-major to PyTorch's channel-major order ([32, 5, 5] per image).
                for (int b = 0; b < images; b++)
                {
                    Transpose(pixelMajor + ((long)b * Side2 * Side2 * Out2), Side2 * Side2, Out2, output + ((long)(first + b) * Features));
                }
            }
        }

        conv1SkippedOnThisThread += (batch * ConvEncoder.Conv1MultiplyAdds) - multiplyAdds;
        return multiplyAdds;
    }

    /// <summary>
    /// Images per chunk of <see cref="Forward"/>: a whole chunk's output pixels fill conv2's 6-pixel blocks (12 x 25 = 300
    /// = 50 x 6; only a batch's last chunk may end with a block that overlaps the one before), and its conv1 outputs
    /// (127 KiB) stay in the L2 cache.
    /// </summary>
    private const int ForwardChunk = 12;

    /// <summary>conv1's output after ReLU for one image [3, 56, 56] into <paramref name="hidden"/> [169, 16].</summary>
    private static unsafe void Conv1<TV>(float* input, float* w1k, float* b1, int* patch, float* hidden)
        where TV : unmanaged, ISimdVector<TV>
    {
        if (2 * TV.Count > Out1)
        {
            // 512 bits: rows of 13 pixels x the one vector of 16 channels.
            for (int oy = 0; oy < Side1; oy++)
            {
                Conv1Row<TV>(input, oy, w1k, b1, hidden + (oy * Side1 * Out1));
            }

            return;
        }

        // 256 and 128 bits: the image's 169 pixels in 29 blocks of 6, x two vectors of channels; the last block (pixels
        // 163-168) overlaps the one before and writes its five shared pixels again, the same values to the bit.
        float** inputs = stackalloc float*[6];
        for (int p = 0; p < Side1 * Side1; p += 6)
        {
            int block = Math.Min(p, (Side1 * Side1) - 6);
            for (int i = 0; i < 6; i++)
            {
                inputs[i] = input + PatchStart(block + i);
            }

            for (int channel = 0; channel < Out1; channel += 2 * TV.Count)
            {
                PixelBlock6<TV>(inputs, Patch1, w1k, Out1, b1, channel, patch, hidden + (block * Out1));
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Forward"/> for <paramref name="batch"/> images, from the gradient of its
    /// output <paramref name="gradient"/> [B, 800]: the weight and bias gradients, summed over the batch, into
    /// <paramref name="dW1"/> [16, 3, 8, 8], <paramref name="dB1"/> [16], <paramref name="dW2"/> [32, 16, 4, 4],
    /// <paramref name="dB2"/> [32] (overwritten). The pixels get no gradient.
    /// </summary>
    internal static unsafe void Backward(
        byte* pixels, bool bytes, int batch, float* hidden, float* output, float* gradient, float* w2, float* dW1, float* dB1, float* dW2, float* dB2)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Backward<Vec512>(pixels, bytes, batch, hidden, output, gradient, w2, dW1, dB1, dW2, dB2);
                break;
            case SimdWidth.Bits256:
                Backward<Vec256>(pixels, bytes, batch, hidden, output, gradient, w2, dW1, dB1, dW2, dB2);
                break;
            case SimdWidth.Bits128:
                Backward<Vec128>(pixels, bytes, batch, hidden, output, gradient, w2, dW1, dB1, dW2, dB2);
                break;
            default:
                throw new PlatformNotSupportedException("GridTime's kernels are off (GRIDTIME_SIMD=off, or no vector unit)");
        }
    }

    private static unsafe void Backward<TV>(
        byte* pixels, bool bytes, int batch, float* hidden, float* output, float* gradient, float* w2, float* dW1, float* dB1, float* dW2, float* dB2)
        where TV : unmanaged, ISimdVector<TV>
    {
        // In chunks of images, so that what a chunk's passes share stays in the L2 cache, and image by image
        // for conv1, whose gradient then stays in the L1 cache (over a whole rollout of 640 frames the
        // intermediate gradients are megabytes, and pass after pass over them ran at the speed of memory).
        const int Chunk = 16, PixelsPerImage1 = Side1 * Side1 * Out1;
        float* d2 = Scratch.Get(Scratch.ConvolutionSlots, (long)Chunk * Side2 * Side2 * Out2); // conv2 pre-activation gradient, channels-last
        float* d1 = Scratch.Get(Scratch.ConvolutionSlots + 1, PixelsPerImage1);               // one image's conv1 pre-activation gradient, channels-last
        float* w2b = Scratch.Get(Scratch.ConvolutionSlots + 2, Patch2 * Out2);                // w2b[(ky, kx, o)][cin] = w2[o][cin][ky][kx]
        float* dw2 = Scratch.Get(Scratch.ConvolutionSlots + 3, Patch2 * Out2);                // conv2's weight gradient, input-major
        float* image = Scratch.Get(Scratch.ConvolutionSlots + 4, ImageFloats);
        float* dw1 = Scratch.Get(Scratch.ConvolutionSlots + 5, Patch1 * Out1);                // conv1's weight gradient, input-major
        float* masked = stackalloc float[Features];                                            // one image's output gradient through the ReLU
        int* nonzeroRuns = stackalloc int[3 * SparseConv1.MaximumNonzero];                     // one image's nonzero inputs (SparseConv1)
        float* nonzero = stackalloc float[SparseConv1.MaximumNonzero];
        bool sparse = SparseConv1.InUse;
        for (int o = 0; o < Out2; o++)
        {
            for (int cin = 0; cin < Out1; cin++)
            {
                for (int kk = 0; kk < Kernel2 * Kernel2; kk++)
                {
                    w2b[(((kk * Out2) + o) * Out1) + cin] = w2[(o * Patch2) + (cin * Kernel2 * Kernel2) + kk];
                }
            }
        }

        bool wide = Simd.HasThirtyTwoRegisters<TV>();
        new Span<float>(dw2, Patch2 * Out2).Clear();
        new Span<float>(dw1, Patch1 * Out1).Clear();
        new Span<float>(dB2, Out2).Clear();
        new Span<float>(dB1, Out1).Clear();
        for (int first = 0; first < batch; first += Chunk)
        {
            int images = Math.Min(Chunk, batch - first);
            float* h = hidden + ((long)first * PixelsPerImage1);

            // Through conv2's ReLU (a mask, not a branch: the ReLU's pattern is unpredictable), into channels-last order.
            for (int b = 0; b < images; b++)
            {
                FastLinear.PassedByRelu(gradient + ((long)(first + b) * Features), output + ((long)(first + b) * Features), masked, Features);

                FastLinear.Transpose(masked, Out2, Side2 * Side2, d2 + ((long)b * Side2 * Side2 * Out2));
            }

            AddColumnSums<TV>(d2, (long)images * Side2 * Side2, Out2, dB2);

            // conv2's weight gradient: dw2[(ky, kx, cin)][o] += Σ over output pixels of input · gradient, x two vectors of
            // output channels at a time: in blocks of 8 input channels (32 registers), or (16 registers) of 6 of a kernel
            // row's 64 inputs (kx, cin), adjacent in the channels-last input, and the last 4.
            for (int ky = 0; ky < Kernel2; ky++)
            {
                for (int channel = 0; channel < Out2; channel += 2 * TV.Count)
                {
                    if (wide)
                    {
                        for (int j = 0; j < Kernel2 * Out1; j += 8)
                        {
                            Conv2WeightGradient8<TV>(h, d2, images, ky, j / Out1, j % Out1, channel, dw2 + (((ky * Kernel2 * Out1) + j) * Out2));
                        }

                        continue;
                    }

                    int j6 = 0;
                    for (; j6 + 6 <= Kernel2 * Out1; j6 += 6)
                    {
                        Conv2WeightGradient6<TV>(h, d2, images, ky, j6, channel, dw2 + (((ky * Kernel2 * Out1) + j6) * Out2));
                    }

                    for (int j = j6; j < Kernel2 * Out1; j += 4)
                    {
                        Conv2WeightGradient4<TV>(h, d2, images, ky, j / Out1, j % Out1, channel, dw2 + (((ky * Kernel2 * Out1) + j) * Out2));
                    }
                }
            }

            for (int b = 0; b < images; b++)
            {
                // conv2's input gradient, then through conv1's ReLU.
                float* hb = h + ((long)b * PixelsPerImage1);
                new Span<float>(d1, PixelsPerImage1).Clear();
                float* imageGradient = d2 + ((long)b * Side2 * Side2 * Out2);
                if (wide)
                {
                    for (int p = 0; p < Side2 * Side2; p++)
                    {
                        for (int channel = 0; channel < Out1; channel += TV.Count)
                        {
                            Conv2InputGradientWide<TV>(imageGradient + (p * Out2), w2b, d1, p / Side2, p % Side2, channel);
                        }
                    }
                }
                else
                {
                    for (int oy = 0; oy < Side2; oy++)
                    {
                        for (int kk = 0; kk < Kernel2 * Kernel2; kk++)
                        {
                            for (int channel = 0; channel < Out1; channel += 2 * TV.Count)
                            {
                                Conv2InputGradientRow<TV>(imageGradient, w2b, d1, oy, kk, channel);
                            }
                        }
                    }
                }

                FastLinear.PassedByRelu(d1, hb, d1, PixelsPerImage1);

                AddColumnSums<TV>(d1, Side1 * Side1, Out1, dB1);

                // conv1's weight gradient: dw1[(c, ky, kx)][o], from the image's nonzero inputs where they are few, else
                // two kernel rows x one vector of output channels at a time (32 registers), or six kernel positions x two
                // vectors (16 registers), then the last 4 (ky = 7, kx = 4..7).
                int runCount = sparse && SparseConv1.AllFinite<TV>(d1, PixelsPerImage1) ? SparseConv1.FindRuns(pixels, bytes, first + b, nonzeroRuns, nonzero) : -1;
                if (runCount >= 0)
                {
                    SparseConv1.AddWeightGradient<TV>(runCount, nonzeroRuns, nonzero, d1, dw1);
                    continue;
                }

                float* input = Image<TV>(pixels, bytes, first + b, image);
                for (int c = 0; c < Channels; c++)
                {
                    float* results = dw1 + (c * Kernel1 * Kernel1 * Out1);
                    if (wide)
                    {
                        for (int ky = 0; ky < Kernel1; ky += 2)
                        {
                            for (int channel = 0; channel < Out1; channel += TV.Count)
                            {
                                Conv1WeightGradientWide<TV>(input, d1, c, ky, channel, results + (ky * Kernel1 * Out1));
                            }
                        }

                        continue;
                    }

                    for (int channel = 0; channel < Out1; channel += 2 * TV.Count)
                    {
                        for (int f = 0; f + 6 <= Kernel1 * Kernel1; f += 6)
                        {
                            Conv1WeightGradient6<TV>(input, d1, c, f, channel, results + (f * Out1));
                        }

                        Conv1WeightGradient<TV>(input, d1, c, Kernel1 - 1, 4, channel, results + ((Kernel1 - 1) * Kernel1 * Out1));
                    }
                }
            }
        }

        for (int o = 0; o < Out2; o++)
        {
            for (int cin = 0; cin < Out1; cin++)
            {
                for (int kk = 0; kk < Kernel2 * Kernel2; kk++)
                {
                    dW2[(o * Patch2) + (cin * Kernel2 * Kernel2) + kk] = dw2[(((kk * Out1) + cin) * Out2) + o];
                }
            }
        }

        Transpose(dw1, Patch1, Out1, dW1);
    }

    /// <summary>
    /// One row (13 pixels) of conv1's output after ReLU from one image [3, 56, 56], at 512 bits, where one vector holds
    /// all 16 channels: the 13 pixels' accumulators stay in registers while the 192 weights stream past, so every weight
    /// vector loaded serves the whole row (at narrower widths <see cref="PixelBlock6"/> covers two vectors of channels).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv1Row<TV>(float* image, int oy, float* w1k, float* bias, float* output)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV b = TV.Load(bias);
        TV a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b, a10 = b, a11 = b, a12 = b;
        for (int c = 0; c < Channels; c++)
        {
            for (int ky = 0; ky < Kernel1; ky++)
            {
                float* row = image + (((c * Side) + (Stride1 * oy) + ky) * Side);
                float* w = w1k + (((c * Kernel1) + ky) * Kernel1 * Out1);
                for (int kx = 0; kx < Kernel1; kx++, row++, w += Out1)
                {
                    TV wv = TV.Load(w);
                    TV.AddProduct(row[0], wv, ref a0);
                    TV.AddProduct(row[4], wv, ref a1);
                    TV.AddProduct(row[8], wv, ref a2);
                    TV.AddProduct(row[12], wv, ref a3);
                    TV.AddProduct(row[16], wv, ref a4);
                    TV.AddProduct(row[20], wv, ref a5);
                    TV.AddProduct(row[24], wv, ref a6);
                    TV.AddProduct(row[28], wv, ref a7);
                    TV.AddProduct(row[32], wv, ref a8);
                    TV.AddProduct(row[36], wv, ref a9);
                    TV.AddProduct(row[40], wv, ref a10);
                    TV.AddProduct(row[44], wv, ref a11);
                    TV.AddProduct(row[48], wv, ref a12);
                }
            }
        }

        TV z = TV.Zero;
        TV.Max(a0, z).Store(output);
        TV.Max(a1, z).Store(output + Out1);
        TV.Max(a2, z).Store(output + (2 * Out1));
        TV.Max(a3, z).Store(output + (3 * Out1));
        TV.Max(a4, z).Store(output + (4 * Out1));
        TV.Max(a5, z).Store(output + (5 * Out1));
        TV.Max(a6, z).Store(output + (6 * Out1));
        TV.Max(a7, z).Store(output + (7 * Out1));
        TV.Max(a8, z).Store(output + (8 * Out1));
        TV.Max(a9, z).Store(output + (9 * Out1));
        TV.Max(a10, z).Store(output + (10 * Out1));
        TV.Max(a11, z).Store(output + (11 * Out1));
        TV.Max(a12, z).Store(output + (12 * Out1));
    }

    /// <summary>
    /// Offset in an image [3, 56, 56] of each of a conv1 patch's 192 inputs (c, ky, kx), from the patch's first: the
    /// order in which <see cref="PixelBlock6"/> sums them (the order of <see cref="Conv1Row"/>, so every width gives the
    /// same result).
    /// </summary>
    private static readonly int[] PatchOffsets = [.. Enumerable.Range(0, Patch1).Select(k => (k / (Kernel1 * Kernel1) * Side * Side) + (k / Kernel1 % Kernel1 * Side) + (k % Kernel1))];

    /// <summary>Offset in an image of conv1's output pixel <paramref name="p"/>'s patch (p = 13·y + x).</summary>
    private static nint PatchStart(int p) => (Stride1 * (p / Side1) * Side) + (Stride1 * (p % Side1));

    /// <summary>
    /// Offset in one image's conv1 output [13, 13, 16] of each of a conv2 patch's 256 inputs (ky, kx, cin), from the
    /// patch's first: the order of the arranged weights w2f (<see cref="ArrangeWeights"/>), in which
    /// <see cref="PixelBlock6"/> sums them.
    /// </summary>
    private static readonly int[] Patch2Offsets = [.. Enumerable.Range(0, Patch2).Select(k => (((k / (Kernel2 * Out1) * Side1) + (k / Out1 % Kernel2)) * Out1) + (k % Out1))];

    /// <summary>
    /// The first input of conv2's output pixel <paramref name="p"/> of a run of images' conv1 outputs
    /// <paramref name="hidden"/> [images, 13, 13, 16]: image p / 25, output pixel q = p % 25 = 5y + x at (2y, 2x).
    /// </summary>
    private static unsafe float* Conv2Input(float* hidden, int p) =>
        hidden + ((long)(p / (Side2 * Side2)) * Side1 * Side1 * Out1) + ((((Stride2 * (p % (Side2 * Side2) / Side2)) * Side1) + (Stride2 * (p % Side2))) * Out1);

    /// <summary>
    /// A convolution's output after ReLU for six output pixels whose patches start at <paramref name="inputs"/>[0..5]
    /// (any pixels, of any images), output channels <paramref name="channel"/>..+2·<c>TV.Count</c>, into
    /// <paramref name="output"/> [6, <paramref name="outputs"/>] (a pixel's channels adjacent): each of a patch's
    /// <paramref name="k"/> inputs is read through <paramref name="patch"/> (its offset from the patch's start, in the
    /// order of the weights <paramref name="weights"/> [k, outputs]: <see cref="PatchOffsets"/>,
    /// <see cref="Patch2Offsets"/>) for all six pixels, and each weight vector serves the six; the output starts from
    /// <paramref name="bias"/> and adds the inputs in that order, so every width gives the same result. 12 accumulators,
    /// as AVX2's 16 registers hold beside two weight vectors and a broadcast input. Why not a row of pixels x one vector
    /// (conv1's 13 at 512 bits, <see cref="Conv1Row"/>): there every input broadcast serves one multiply-add, here two;
    /// conv1 over one image (in cache, 256 bits, Intel Xeon, Emerald Rapids) took 11.8 against 13.6 µs, and 12 images'
    /// convolutions 203-208 against 209-235 µs when conv2 moved from rows of 5 pixels to these blocks (113-115 against
    /// 122-129 at 512 bits). The pointers come ready: with six pixels' addresses worked out in here, the JIT kept the
    /// accumulators in memory (conv2 1.5x slower).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PixelBlock6<TV>(float** inputs, int k, float* weights, int outputs, float* bias, int channel, int* patch, float* output)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        TV c00 = TV.Load(bias + channel), c01 = TV.Load(bias + channel + n);
        TV c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01, c50 = c00, c51 = c01;
        float* a0 = inputs[0], a1 = inputs[1], a2 = inputs[2], a3 = inputs[3], a4 = inputs[4], a5 = inputs[5];
        float* w = weights + channel;
        for (nint i = 0; i < k; i++, w += outputs)
        {
            nint q = patch[i];
            TV w0 = TV.Load(w), w1 = TV.Load(w + n);
            TV x = TV.Create(a0[q]);
            TV.AddProduct(x, w0, ref c00);
            TV.AddProduct(x, w1, ref c01);
            x = TV.Create(a1[q]);
            TV.AddProduct(x, w0, ref c10);
            TV.AddProduct(x, w1, ref c11);
            x = TV.Create(a2[q]);
            TV.AddProduct(x, w0, ref c20);
            TV.AddProduct(x, w1, ref c21);
            x = TV.Create(a3[q]);
            TV.AddProduct(x, w0, ref c30);
            TV.AddProduct(x, w1, ref c31);
            x = TV.Create(a4[q]);
            TV.AddProduct(x, w0, ref c40);
            TV.AddProduct(x, w1, ref c41);
            x = TV.Create(a5[q]);
            TV.AddProduct(x, w0, ref c50);
            TV.AddProduct(x, w1, ref c51);
        }

        TV z = TV.Zero;
        output += channel;
        TV.Max(c00, z).Store(output);
        TV.Max(c01, z).Store(output + n);
        TV.Max(c10, z).Store(output + outputs);
        TV.Max(c11, z).Store(output + outputs + n);
        TV.Max(c20, z).Store(output + (2 * outputs));
        TV.Max(c21, z).Store(output + (2 * outputs) + n);
        TV.Max(c30, z).Store(output + (3 * outputs));
        TV.Max(c31, z).Store(output + (3 * outputs) + n);
        TV.Max(c40, z).Store(output + (4 * outputs));
        TV.Max(c41, z).Store(output + (4 * outputs) + n);
        TV.Max(c50, z).Store(output + (5 * outputs));
        TV.Max(c51, z).Store(output + (5 * outputs) + n);
    }

    /// <summary>
    /// conv2's weight gradient for kernel row <paramref name="ky"/>, inputs <paramref name="j"/>..+5 of the row's 64
    /// (kx, cin) — adjacent in the channels-last input, 16 channels per pixel — and output channels
    /// <paramref name="channel"/>..+2·<c>TV.Count</c>: <paramref name="result"/>[i][o] += Σ over images and output pixels of
    /// hidden[2y + ky, 2x][j + i] · d2[pixel][o] (12 accumulators, the most that AVX2's 16 registers hold beside the two
    /// gradient vectors: 6 multiply-adds per gradient vector loaded where <see cref="Conv2WeightGradient4"/>'s 8 sums give 4, and
    /// 12 sums in flight, not just the 8 that the multiply-add's latency needs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2WeightGradient6<TV>(float* hidden, float* d2, int batch, int ky, int j, int channel, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        result += channel;
        d2 += channel;
        TV a0 = TV.Load(result), a1 = TV.Load(result + Out2), a2 = TV.Load(result + (2 * Out2));
        TV a3 = TV.Load(result + (3 * Out2)), a4 = TV.Load(result + (4 * Out2)), a5 = TV.Load(result + (5 * Out2));
        TV b0 = TV.Load(result + n), b1 = TV.Load(result + Out2 + n), b2 = TV.Load(result + (2 * Out2) + n);
        TV b3 = TV.Load(result + (3 * Out2) + n), b4 = TV.Load(result + (4 * Out2) + n), b5 = TV.Load(result + (5 * Out2) + n);
        for (int b = 0; b < batch; b++)
        {
            float* image = hidden + ((long)b * Side1 * Side1 * Out1) + (ky * Side1 * Out1) + j;
            for (int oy = 0; oy < Side2; oy++)
            {
                float* v = image + (Stride2 * oy * Side1 * Out1);
                for (int ox = 0; ox < Side2; ox++, d2 += Out2, v += Stride2 * Out1)
                {
                    TV g0 = TV.Load(d2), g1 = TV.Load(d2 + n);
                    TV x = TV.Create(v[0]);
                    TV.AddProduct(x, g0, ref a0);
                    TV.AddProduct(x, g1, ref b0);
                    x = TV.Create(v[1]);
                    TV.AddProduct(x, g0, ref a1);
                    TV.AddProduct(x, g1, ref b1);
                    x = TV.Create(v[2]);
                    TV.AddProduct(x, g0, ref a2);
                    TV.AddProduct(x, g1, ref b2);
                    x = TV.Create(v[3]);
                    TV.AddProduct(x, g0, ref a3);
                    TV.AddProduct(x, g1, ref b3);
                    x = TV.Create(v[4]);
                    TV.AddProduct(x, g0, ref a4);
                    TV.AddProduct(x, g1, ref b4);
                    x = TV.Create(v[5]);
                    TV.AddProduct(x, g0, ref a5);
                    TV.AddProduct(x, g1, ref b5);
                }
            }
        }

        a0.Store(result);
        b0.Store(result + n);
        a1.Store(result + Out2);
        b1.Store(result + Out2 + n);
        a2.Store(result + (2 * Out2));
        b2.Store(result + (2 * Out2) + n);
        a3.Store(result + (3 * Out2));
        b3.Store(result + (3 * Out2) + n);
        a4.Store(result + (4 * Out2));
        b4.Store(result + (4 * Out2) + n);
        a5.Store(result + (5 * Out2));
        b5.Store(result + (5 * Out2) + n);
    }

    /// <summary>
    /// conv2's weight gradient for kernel offset (<paramref name="ky"/>, <paramref name="kx"/>), input channels
    /// <paramref name="cin"/>..+3 and output channels <paramref name="channel"/>..+2·<c>TV.Count</c>:
    /// <paramref name="result"/>[j][o] += Σ over images and output pixels of hidden[2y + ky, 2x + kx, cin + j] · d2[pixel][o]
    /// (8 accumulators; the last 4 of a kernel row's 64 inputs after <see cref="Conv2WeightGradient6"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2WeightGradient4<TV>(float* hidden, float* d2, int batch, int ky, int kx, int cin, int channel, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        result += channel;
        d2 += channel;
        TV a0 = TV.Load(result), a1 = TV.Load(result + Out2), a2 = TV.Load(result + (2 * Out2)), a3 = TV.Load(result + (3 * Out2));
        TV b0 = TV.Load(result + n), b1 = TV.Load(result + Out2 + n), b2 = TV.Load(result + (2 * Out2) + n), b3 = TV.Load(result + (3 * Out2) + n);
        for (int b = 0; b < batch; b++)
        {
            float* image = hidden + ((long)b * Side1 * Side1 * Out1);
            for (int oy = 0; oy < Side2; oy++)
            {
                for (int ox = 0; ox < Side2; ox++, d2 += Out2)
                {
                    TV g0 = TV.Load(d2), g1 = TV.Load(d2 + n);
                    float* v = image + (((((Stride2 * oy) + ky) * Side1) + (Stride2 * ox) + kx) * Out1) + cin;
                    TV.AddProduct(v[0], g0, ref a0);
                    TV.AddProduct(v[0], g1, ref b0);
                    TV.AddProduct(v[1], g0, ref a1);
                    TV.AddProduct(v[1], g1, ref b1);
                    TV.AddProduct(v[2], g0, ref a2);
                    TV.AddProduct(v[2], g1, ref b2);
                    TV.AddProduct(v[3], g0, ref a3);
                    TV.AddProduct(v[3], g1, ref b3);
                }
            }
        }

        a0.Store(result);
        b0.Store(result + n);
        a1.Store(result + Out2);
        b1.Store(result + Out2 + n);
        a2.Store(result + (2 * Out2));
        b2.Store(result + (2 * Out2) + n);
        a3.Store(result + (3 * Out2));
        b3.Store(result + (3 * Out2) + n);
    }

    /// <summary>
    /// As <see cref="Conv2WeightGradient4"/> for input channels <paramref name="cin"/>..+7 (16 accumulators, for 32 registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2WeightGradient8<TV>(float* hidden, float* d2, int batch, int ky, int kx, int cin, int channel, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        result += channel;
        d2 += channel;
        TV a0 = TV.Load(result), a1 = TV.Load(result + Out2), a2 = TV.Load(result + (2 * Out2)), a3 = TV.Load(result + (3 * Out2));
        TV a4 = TV.Load(result + (4 * Out2)), a5 = TV.Load(result + (5 * Out2)), a6 = TV.Load(result + (6 * Out2)), a7 = TV.Load(result + (7 * Out2));
        TV b0 = TV.Load(result + n), b1 = TV.Load(result + Out2 + n), b2 = TV.Load(result + (2 * Out2) + n), b3 = TV.Load(result + (3 * Out2) + n);
        TV b4 = TV.Load(result + (4 * Out2) + n), b5 = TV.Load(result + (5 * Out2) + n), b6 = TV.Load(result + (6 * Out2) + n), b7 = TV.Load(result + (7 * Out2) + n);
        for (int b = 0; b < batch; b++)
        {
            float* image = hidden + ((long)b * Side1 * Side1 * Out1);
            for (int oy = 0; oy < Side2; oy++)
            {
                for (int ox = 0; ox < Side2; ox++, d2 += Out2)
                {
                    TV g0 = TV.Load(d2), g1 = TV.Load(d2 + n);
                    float* v = image + (((((Stride2 * oy) + ky) * Side1) + (Stride2 * ox) + kx) * Out1) + cin;
                    TV.AddProduct(v[0], g0, ref a0);
                    TV.AddProduct(v[0], g1, ref b0);
                    TV.AddProduct(v[1], g0, ref a1);
                    TV.AddProduct(v[1], g1, ref b1);
                    TV.AddProduct(v[2], g0, ref a2);
                    TV.AddProduct(v[2], g1, ref b2);
                    TV.AddProduct(v[3], g0, ref a3);
                    TV.AddProduct(v[3], g1, ref b3);
                    TV.AddProduct(v[4], g0, ref a4);
                    TV.AddProduct(v[4], g1, ref b4);
                    TV.AddProduct(v[5], g0, ref a5);
                    TV.AddProduct(v[5], g1, ref b5);
                    TV.AddProduct(v[6], g0, ref a6);
                    TV.AddProduct(v[6], g1, ref b6);
                    TV.AddProduct(v[7], g0, ref a7);
                    TV.AddProduct(v[7], g1, ref b7);
                }
            }
        }

        a0.Store(result);
        b0.Store(result + n);
        a1.Store(result + Out2);
        b1.Store(result + Out2 + n);
        a2.Store(result + (2 * Out2));
        b2.Store(result + (2 * Out2) + n);
        a3.Store(result + (3 * Out2));
        b3.Store(result + (3 * Out2) + n);
        a4.Store(result + (4 * Out2));
        b4.Store(result + (4 * Out2) + n);
        a5.Store(result + (5 * Out2));
        b5.Store(result + (5 * Out2) + n);
        a6.Store(result + (6 * Out2));
        b6.Store(result + (6 * Out2) + n);
        a7.Store(result + (7 * Out2));
        b7.Store(result + (7 * Out2) + n);
    }

    /// <summary>
    /// Adds one conv2 output pixel's (<paramref name="oy"/>, <paramref name="ox"/>) contribution to the gradient of all
    /// 16 of its 4x4 input pixels, input channels <paramref name="channel"/>..+<c>TV.Count</c> (16 accumulators, for
    /// 32 registers): d1[2oy + ky, 2ox + kx][cin] += Σ_o gradient[o] · w2b[(ky, kx, o)][cin].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2InputGradientWide<TV>(float* gradient, float* w2b, float* d1, int oy, int ox, int channel)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        TV a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        const int Step = Out2 * Out1; // from one kernel offset's weights to the next
        w2b += channel;
        for (int o = 0; o < Out2; o++, w2b += Out1)
        {
            float g = gradient[o];
            TV.AddProduct(g, TV.Load(w2b), ref a0);
            TV.AddProduct(g, TV.Load(w2b + Step), ref a1);
            TV.AddProduct(g, TV.Load(w2b + (2 * Step)), ref a2);
            TV.AddProduct(g, TV.Load(w2b + (3 * Step)), ref a3);
            TV.AddProduct(g, TV.Load(w2b + (4 * Step)), ref a4);
            TV.AddProduct(g, TV.Load(w2b + (5 * Step)), ref a5);
            TV.AddProduct(g, TV.Load(w2b + (6 * Step)), ref a6);
            TV.AddProduct(g, TV.Load(w2b + (7 * Step)), ref a7);
            TV.AddProduct(g, TV.Load(w2b + (8 * Step)), ref a8);
            TV.AddProduct(g, TV.Load(w2b + (9 * Step)), ref a9);
            TV.AddProduct(g, TV.Load(w2b + (10 * Step)), ref a10);
            TV.AddProduct(g, TV.Load(w2b + (11 * Step)), ref a11);
            TV.AddProduct(g, TV.Load(w2b + (12 * Step)), ref a12);
            TV.AddProduct(g, TV.Load(w2b + (13 * Step)), ref a13);
            TV.AddProduct(g, TV.Load(w2b + (14 * Step)), ref a14);
            TV.AddProduct(g, TV.Load(w2b + (15 * Step)), ref a15);
        }

        const int Down = Side1 * Out1;
        float* row = d1 + (((Stride2 * oy * Side1) + (Stride2 * ox)) * Out1) + channel;
        AddTo(row, a0);
        AddTo(row + Out1, a1);
        AddTo(row + (2 * Out1), a2);
        AddTo(row + (3 * Out1), a3);
        AddTo(row + Down, a4);
        AddTo(row + Down + Out1, a5);
        AddTo(row + Down + (2 * Out1), a6);
        AddTo(row + Down + (3 * Out1), a7);
        AddTo(row + (2 * Down), a8);
        AddTo(row + (2 * Down) + Out1, a9);
        AddTo(row + (2 * Down) + (2 * Out1), a10);
        AddTo(row + (2 * Down) + (3 * Out1), a11);
        AddTo(row + (3 * Down), a12);
        AddTo(row + (3 * Down) + Out1, a13);
        AddTo(row + (3 * Down) + (2 * Out1), a14);
        AddTo(row + (3 * Down) + (3 * Out1), a15);
    }

    /// <summary>
    /// Adds one row <paramref name="oy"/> of conv2's output gradient (5 pixels, <paramref name="gradient"/> [25, 32]
    /// channels-last) to the gradient of the input pixels at kernel offset <paramref name="kk"/> = (ky, kx) from each,
    /// input channels <paramref name="channel"/>..+2·<c>TV.Count</c>: d1[2oy + ky, 2ox + kx][cin] += Σ_o gradient[ox][o] ·
    /// w2b[(ky, kx, o)][cin] (10 accumulators, for 16 registers: each weight vector loaded serves the row's 5 pixels;
    /// the 5 input pixels are 2 apart, so no two sums land on the same one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2InputGradientRow<TV>(float* gradient, float* w2b, float* d1, int oy, int kk, int channel)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        TV a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
        TV b0 = default, b1 = default, b2 = default, b3 = default, b4 = default;
        float* g = gradient + (oy * Side2 * Out2);
        float* w = w2b + (kk * Out2 * Out1) + channel;
        for (int o = 0; o < Out2; o++, g++, w += Out1)
        {
            TV w0 = TV.Load(w), w1 = TV.Load(w + n);
            TV x = TV.Create(g[0]);
            TV.AddProduct(x, w0, ref a0);
            TV.AddProduct(x, w1, ref b0);
            x = TV.Create(g[Out2]);
            TV.AddProduct(x, w0, ref a1);
            TV.AddProduct(x, w1, ref b1);
            x = TV.Create(g[2 * Out2]);
            TV.AddProduct(x, w0, ref a2);
            TV.AddProduct(x, w1, ref b2);
            x = TV.Create(g[3 * Out2]);
            TV.AddProduct(x, w0, ref a3);
            TV.AddProduct(x, w1, ref b3);
            x = TV.Create(g[4 * Out2]);
            TV.AddProduct(x, w0, ref a4);
            TV.AddProduct(x, w1, ref b4);
        }

        const int Across = Stride2 * Out1; // from one output pixel's input pixel to the next one's
        float* row = d1 + (((((Stride2 * oy) + (kk / Kernel2)) * Side1) + (kk % Kernel2)) * Out1) + channel;
        AddTo(row, a0);
        AddTo(row + n, b0);
        AddTo(row + Across, a1);
        AddTo(row + Across + n, b1);
        AddTo(row + (2 * Across), a2);
        AddTo(row + (2 * Across) + n, b2);
        AddTo(row + (3 * Across), a3);
        AddTo(row + (3 * Across) + n, b3);
        AddTo(row + (4 * Across), a4);
        AddTo(row + (4 * Across) + n, b4);
    }

    /// <summary>
    /// Adds one image's share of conv1's weight gradient for input channel <paramref name="c"/>, kernel row
    /// <paramref name="ky"/>, kernel columns <paramref name="kx"/>..+3 and output channels <paramref name="channel"/>..+2·<c>TV.Count</c>:
    /// <paramref name="result"/>[kx][o] += Σ over output pixels of image[c, 4y + ky, 4x + kx] · d1[pixel][o]
    /// (8 accumulators: the last 4 of a channel's 64 kernel positions after <see cref="Conv1WeightGradient6"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv1WeightGradient<TV>(float* image, float* d1, int c, int ky, int kx, int channel, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        result += (kx * Out1) + channel;
        d1 += channel;
        TV a0 = TV.Load(result), a1 = TV.Load(result + Out1), a2 = TV.Load(result + (2 * Out1)), a3 = TV.Load(result + (3 * Out1));
        TV b0 = TV.Load(result + n), b1 = TV.Load(result + Out1 + n), b2 = TV.Load(result + (2 * Out1) + n), b3 = TV.Load(result + (3 * Out1) + n);
        float* plane = image + (c * Side * Side) + kx;
        for (int oy = 0; oy < Side1; oy++)
        {
            float* top = plane + (((Stride1 * oy) + ky) * Side);
            for (int ox = 0; ox < Side1; ox++, d1 += Out1, top += Stride1)
            {
                TV g0 = TV.Load(d1), g1 = TV.Load(d1 + n);
                TV.AddProduct(top[0], g0, ref a0);
                TV.AddProduct(top[0], g1, ref b0);
                TV.AddProduct(top[1], g0, ref a1);
                TV.AddProduct(top[1], g1, ref b1);
                TV.AddProduct(top[2], g0, ref a2);
                TV.AddProduct(top[2], g1, ref b2);
                TV.AddProduct(top[3], g0, ref a3);
                TV.AddProduct(top[3], g1, ref b3);
            }
        }

        a0.Store(result);
        b0.Store(result + n);
        a1.Store(result + Out1);
        b1.Store(result + Out1 + n);
        a2.Store(result + (2 * Out1));
        b2.Store(result + (2 * Out1) + n);
        a3.Store(result + (3 * Out1));
        b3.Store(result + (3 * Out1) + n);
    }

    /// <summary>
    /// Adds one image's share of conv1's weight gradient for input channel <paramref name="c"/>, kernel positions
    /// <paramref name="f"/>..+5 of its 64 (position f is ky = f / 8, kx = f % 8; six in a row may span two kernel rows)
    /// and output channels <paramref name="channel"/>..+2·<c>TV.Count</c>: <paramref name="result"/>[i][o] += Σ over
    /// output pixels of image[c, 4y + ky_i, 4x + kx_i] · d1[pixel][o] (12 accumulators, the most that AVX2's 16 registers
    /// hold beside the two gradient vectors: 12 sums in flight where <see cref="Conv1WeightGradient"/>'s 8 just cover the
    /// multiply-add's latency, and 6 multiply-adds per gradient vector loaded where it has 4).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv1WeightGradient6<TV>(float* image, float* d1, int c, int f, int channel, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        result += channel;
        d1 += channel;
        nint o0 = Offset(f), o1 = Offset(f + 1), o2 = Offset(f + 2), o3 = Offset(f + 3), o4 = Offset(f + 4), o5 = Offset(f + 5);
        TV a0 = TV.Load(result), a1 = TV.Load(result + Out1), a2 = TV.Load(result + (2 * Out1));
        TV a3 = TV.Load(result + (3 * Out1)), a4 = TV.Load(result + (4 * Out1)), a5 = TV.Load(result + (5 * Out1));
        TV b0 = TV.Load(result + n), b1 = TV.Load(result + Out1 + n), b2 = TV.Load(result + (2 * Out1) + n);
        TV b3 = TV.Load(result + (3 * Out1) + n), b4 = TV.Load(result + (4 * Out1) + n), b5 = TV.Load(result + (5 * Out1) + n);
        float* plane = image + (c * Side * Side);
        for (int oy = 0; oy < Side1; oy++)
        {
            float* top = plane + (Stride1 * oy * Side);
            for (int ox = 0; ox < Side1; ox++, d1 += Out1, top += Stride1)
            {
                TV g0 = TV.Load(d1), g1 = TV.Load(d1 + n);
                TV.AddProduct(top[o0], g0, ref a0);
                TV.AddProduct(top[o0], g1, ref b0);
                TV.AddProduct(top[o1], g0, ref a1);
                TV.AddProduct(top[o1], g1, ref b1);
                TV.AddProduct(top[o2], g0, ref a2);
                TV.AddProduct(top[o2], g1, ref b2);
                TV.AddProduct(top[o3], g0, ref a3);
                TV.AddProduct(top[o3], g1, ref b3);
                TV.AddProduct(top[o4], g0, ref a4);
                TV.AddProduct(top[o4], g1, ref b4);
                TV.AddProduct(top[o5], g0, ref a5);
                TV.AddProduct(top[o5], g1, ref b5);
            }
        }

        a0.Store(result);
        b0.Store(result + n);
        a1.Store(result + Out1);
        b1.Store(result + Out1 + n);
        a2.Store(result + (2 * Out1));
        b2.Store(result + (2 * Out1) + n);
        a3.Store(result + (3 * Out1));
        b3.Store(result + (3 * Out1) + n);
        a4.Store(result + (4 * Out1));
        b4.Store(result + (4 * Out1) + n);
        a5.Store(result + (5 * Out1));
        b5.Store(result + (5 * Out1) + n);

        // Kernel position p's pixel, from the top-left pixel of an output pixel's patch in the channel's plane.
        static nint Offset(int p) => (p / Kernel1 * Side) + (p % Kernel1);
    }

    /// <summary>
    /// Adds one image's share of conv1's weight gradient for input channel <paramref name="c"/>, kernel rows
    /// <paramref name="ky"/>, +1 and output channels <paramref name="channel"/>..+<c>TV.Count</c>:
    /// <paramref name="result"/>[(r, kx)][o] += Σ over output pixels of image[c, 4y + ky + r, 4x + kx] · d1[pixel][o]
    /// (16 accumulators, for 32 registers).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv1WeightGradientWide<TV>(float* image, float* d1, int c, int ky, int channel, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        const int Down = Kernel1 * Out1; // from one kernel row's results to the next
        result += channel;
        d1 += channel;
        TV a0 = TV.Load(result), a1 = TV.Load(result + Out1), a2 = TV.Load(result + (2 * Out1)), a3 = TV.Load(result + (3 * Out1));
        TV a4 = TV.Load(result + (4 * Out1)), a5 = TV.Load(result + (5 * Out1)), a6 = TV.Load(result + (6 * Out1)), a7 = TV.Load(result + (7 * Out1));
        TV b0 = TV.Load(result + Down), b1 = TV.Load(result + Down + Out1), b2 = TV.Load(result + Down + (2 * Out1)), b3 = TV.Load(result + Down + (3 * Out1));
        TV b4 = TV.Load(result + Down + (4 * Out1)), b5 = TV.Load(result + Down + (5 * Out1)), b6 = TV.Load(result + Down + (6 * Out1)), b7 = TV.Load(result + Down + (7 * Out1));
        float* plane = image + (c * Side * Side);
        for (int oy = 0; oy < Side1; oy++)
        {
            float* top = plane + (((Stride1 * oy) + ky) * Side);
            for (int ox = 0; ox < Side1; ox++, d1 += Out1, top += Stride1)
            {
                TV g = TV.Load(d1);
                float* bottom = top + Side;
                TV.AddProduct(top[0], g, ref a0);
                TV.AddProduct(top[1], g, ref a1);
                TV.AddProduct(top[2], g, ref a2);
                TV.AddProduct(top[3], g, ref a3);
                TV.AddProduct(top[4], g, ref a4);
                TV.AddProduct(top[5], g, ref a5);
                TV.AddProduct(top[6], g, ref a6);
                TV.AddProduct(top[7], g, ref a7);
                TV.AddProduct(bottom[0], g, ref b0);
                TV.AddProduct(bottom[1], g, ref b1);
                TV.AddProduct(bottom[2], g, ref b2);
                TV.AddProduct(bottom[3], g, ref b3);
                TV.AddProduct(bottom[4], g, ref b4);
                TV.AddProduct(bottom[5], g, ref b5);
                TV.AddProduct(bottom[6], g, ref b6);
                TV.AddProduct(bottom[7], g, ref b7);
            }
        }

        a0.Store(result);
        a1.Store(result + Out1);
        a2.Store(result + (2 * Out1));
        a3.Store(result + (3 * Out1));
        a4.Store(result + (4 * Out1));
        a5.Store(result + (5 * Out1));
        a6.Store(result + (6 * Out1));
        a7.Store(result + (7 * Out1));
        b0.Store(result + Down);
        b1.Store(result + Down + Out1);
        b2.Store(result + Down + (2 * Out1));
        b3.Store(result + Down + (3 * Out1));
        b4.Store(result + Down + (4 * Out1));
        b5.Store(result + Down + (5 * Out1));
        b6.Store(result + Down + (6 * Out1));
        b7.Store(result + Down + (7 * Out1));
    }

    /// <summary>Image <paramref name="b"/> of the batch as floats: in place if the pixels are float32, else divided by 255 into <paramref name="buffer"/>.</summary>
    private static unsafe float* Image<TV>(byte* pixels, bool bytes, int b, float* buffer)
        where TV : unmanaged, ISimdVector<TV>
    {
        if (!bytes)
        {
            return (float*)pixels + ((long)b * ImageFloats);
        }

        byte* source = pixels + ((long)b * ImageFloats);
        for (int i = 0; i < ImageFloats; i += TV.Count)
        {
            DividedBy255(TV.LoadBytes(source + i)).Store(buffer + i);
        }

        return buffer;
    }

    /// <summary>
    /// x / 255 for whole numbers 0 ≤ x ≤ 255, rounded exactly as the division rounds, without dividing:
    /// q = x·(1/255), then one correction q + (x − 255q)·(1/255) in fused multiply-adds (exact for all 256
    /// values, tests/Agents/FastConvolutionsTests). A division is several times slower, and every image is
    /// converted twice per update (forward and backward pass).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV DividedBy255<TV>(TV x)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV reciprocal = TV.Create(1f / 255f);
        TV q = x * reciprocal;
        TV remainder = TV.MultiplyAdd(q, TV.Create(-255f), x); // x − 255q, exact
        return TV.MultiplyAdd(remainder, reciprocal, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddTo<TV>(float* destination, TV value)
        where TV : unmanaged, ISimdVector<TV> => (TV.Load(destination) + value).Store(destination);

    /// <summary>result[j][i] = source[i][j] for source [rows, columns].</summary>
    private static unsafe void Transpose(float* source, int rows, int columns, float* result)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[(j * rows) + i] = source[(i * columns) + j];
            }
        }
    }

    /// <summary>Adds the sums of the columns of <paramref name="rows"/> x <paramref name="columns"/> (a multiple of 16) to <paramref name="result"/>.</summary>
    internal static unsafe void AddColumnSums<TV>(float* data, long rows, int columns, float* result)
        where TV : unmanaged, ISimdVector<TV>
    {
        for (int j = 0; j < columns; j += TV.Count)
        {
            TV sum = TV.Load(result + j);
            for (long i = 0; i < rows; i++)
            {
                sum += TV.Load(data + (i * columns) + j);
            }

            sum.Store(result + j);
        }
    }
}
