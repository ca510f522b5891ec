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
/// convolutions with AVX-512 and a hand-written backward pass. The same parameters and result as
/// <c>relu(conv2(relu(conv1(x)))).flatten(1)</c> to float rounding (tests/Agents/FastConvolutionsTests).
/// Where the kernel is not used (no AVX-512, <c>GRIDTIME_TORCH_MATMUL=1</c>, or an input that needs a gradient)
/// it is that expression.
/// <para>
/// Why: at the batch of one acting step (32 frames) libtorch's convolutions ran their backward pass at
/// 45-70 GFLOP/s, and the encoder's forward and backward took more than half of a worker's time. Each
/// output pixel here keeps its 16 or 32 channels in one or two vector registers and a row of output pixels
/// in registers at once, so every weight vector loaded serves a whole row; intermediate activations stay
/// channels-last ([B, 13, 13, 16]) between the layers, so no layout is converted on the way.
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
        float* w1k = Scratch.Get(Scratch.ConvolutionSlots, Patch1 * Out1);
        float* w2f = Scratch.Get(Scratch.ConvolutionSlots + 1, Patch2 * Out2);
        float* row = stackalloc float[Side2 * Out2];
        float* image = Scratch.Get(Scratch.ConvolutionSlots + 2, ImageFloats);

        // w1k[k][o] = w1[o][k]; w2f[(ky, kx, cin)][o] = w2[o][cin][ky][kx]: a weight vector over output channels per input.
        Transpose(w1, Out1, Patch1, w1k);
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

        for (int b = 0; b < batch; b++)
        {
            float* input = Image(pixels, bytes, b, image);
            for (int oy = 0; oy < Side1; oy++)
            {
                Conv1Row(input, oy, w1k, b1, hidden + ((((long)b * Side1) + oy) * Side1 * Out1));
            }

            for (int oy = 0; oy < Side2; oy++)
            {
                Conv2Row(hidden + ((long)b * Side1 * Side1 * Out1), oy, w2f, b2, row, output + ((long)b * Features));
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

            AddColumnSums(d2, (long)images * Side2 * Side2, Out2, dB2);

            // conv2's weight gradient: dw2[(ky, kx, cin)][o] += Σ over output pixels of input · gradient.
            for (int kk = 0; kk < Kernel2 * Kernel2; kk++)
            {
                for (int cin = 0; cin < Out1; cin += 8)
                {
                    Conv2WeightGradient(h, d2, images, kk / Kernel2, kk % Kernel2, cin, dw2 + (((kk * Out1) + cin) * Out2));
                }
            }

            for (int b = 0; b < images; b++)
            {
                // conv2's input gradient, then through conv1's ReLU.
                float* hb = h + ((long)b * PixelsPerImage1);
                new Span<float>(d1, PixelsPerImage1).Clear();
                for (int p = 0; p < Side2 * Side2; p++)
                {
                    Conv2InputGradient(d2 + ((((long)b * Side2 * Side2) + p) * Out2), w2b, d1, p / Side2, p % Side2);
                }

                FastLinear.PassedByRelu(d1, hb, d1, PixelsPerImage1);

                AddColumnSums(d1, Side1 * Side1, Out1, dB1);

                // conv1's weight gradient: dw1[(c, ky, kx)][o], two kernel rows at a time.
                float* input = Image(pixels, bytes, first + b, image);
                for (int c = 0; c < Channels; c++)
                {
                    for (int ky = 0; ky < Kernel1; ky += 2)
                    {
                        Conv1WeightGradient(input, d1, c, ky, dw1 + (((c * Kernel1) + ky) * Kernel1 * Out1));
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

    /// <summary>One row (13 pixels, 16 channels each) of conv1's output after ReLU, from one image [3, 56, 56].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv1Row(float* image, int oy, float* w1k, float* bias, float* output)
    {
        Vector512<float> b = Vector512.Load(bias);
        Vector512<float> a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b, a8 = b, a9 = b, a10 = b, a11 = b, a12 = b;
        for (int c = 0; c < Channels; c++)
        {
            for (int ky = 0; ky < Kernel1; ky++)
            {
                float* row = image + (((c * Side) + (Stride1 * oy) + ky) * Side);
                float* w = w1k + (((c * Kernel1) + ky) * Kernel1 * Out1);
                for (int kx = 0; kx < Kernel1; kx++, row++, w += Out1)
                {
                    Vector512<float> wv = Vector512.Load(w);
                    a0 = Fma(row[0], wv, a0);
                    a1 = Fma(row[4], wv, a1);
                    a2 = Fma(row[8], wv, a2);
                    a3 = Fma(row[12], wv, a3);
                    a4 = Fma(row[16], wv, a4);
                    a5 = Fma(row[20], wv, a5);
                    a6 = Fma(row[24], wv, a6);
                    a7 = Fma(row[28], wv, a7);
                    a8 = Fma(row[32], wv, a8);
                    a9 = Fma(row[36], wv, a9);
                    a10 = Fma(row[40], wv, a10);
                    a11 = Fma(row[44], wv, a11);
                    a12 = Fma(row[48], wv, a12);
                }
            }
        }

        Vector512<float> z = Vector512<float>.Zero;
        Vector512.Max(a0, z).Store(output);
        Vector512.Max(a1, z).Store(output + 16);
        Vector512.Max(a2, z).Store(output + 32);
        Vector512.Max(a3, z).Store(output + 48);
        Vector512.Max(a4, z).Store(output + 64);
        Vector512.Max(a5, z).Store(output + 80);
        Vector512.Max(a6, z).Store(output + 96);
        Vector512.Max(a7, z).Store(output + 112);
        Vector512.Max(a8, z).Store(output + 128);
        Vector512.Max(a9, z).Store(output + 144);
        Vector512.Max(a10, z).Store(output + 160);
        Vector512.Max(a11, z).Store(output + 176);
        Vector512.Max(a12, z).Store(output + 192);
    }

    /// <summary>
    /// One row (5 pixels, 32 channels) of conv2's output after ReLU, from one image's conv1 output
    /// [13, 13, 16], written in PyTorch's flattened order (channel, y, x) into <paramref name="output"/> [800]
    /// by way of <paramref name="pixels"/> [5 x 32].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2Row(float* hidden, int oy, float* w2f, float* bias, float* pixels, float* output)
    {
        Vector512<float> lo = Vector512.Load(bias), hi = Vector512.Load(bias + 16);
        Vector512<float> a0 = lo, a1 = lo, a2 = lo, a3 = lo, a4 = lo, b0 = hi, b1 = hi, b2 = hi, b3 = hi, b4 = hi;
        for (int ky = 0; ky < Kernel2; ky++)
        {
            for (int kx = 0; kx < Kernel2; kx++)
            {
                float* input = hidden + (((((Stride2 * oy) + ky) * Side1) + kx) * Out1);
                float* w = w2f + ((((ky * Kernel2) + kx) * Out1) * Out2);
                for (int cin = 0; cin < Out1; cin++, input++, w += Out2)
                {
                    Vector512<float> w0 = Vector512.Load(w), w1 = Vector512.Load(w + 16);
                    float v0 = input[0], v1 = input[2 * Out1], v2 = input[4 * Out1], v3 = input[6 * Out1], v4 = input[8 * Out1];
                    a0 = Fma(v0, w0, a0);
                    b0 = Fma(v0, w1, b0);
                    a1 = Fma(v1, w0, a1);
                    b1 = Fma(v1, w1, b1);
                    a2 = Fma(v2, w0, a2);
                    b2 = Fma(v2, w1, b2);
                    a3 = Fma(v3, w0, a3);
                    b3 = Fma(v3, w1, b3);
                    a4 = Fma(v4, w0, a4);
                    b4 = Fma(v4, w1, b4);
                }
            }
        }

        // ReLU, then from pixel-major to PyTorch's channel-major order ([32, 5, 5]) through the caller's buffer
        // (with a stackalloc or a call here, the JIT kept the accumulators in memory inside the loop: 3x slower).
        Vector512<float> z = Vector512<float>.Zero;
        Vector512.Max(a0, z).Store(pixels);
        Vector512.Max(b0, z).Store(pixels + 16);
        Vector512.Max(a1, z).Store(pixels + 32);
        Vector512.Max(b1, z).Store(pixels + 48);
        Vector512.Max(a2, z).Store(pixels + 64);
        Vector512.Max(b2, z).Store(pixels + 80);
        Vector512.Max(a3, z).Store(pixels + 96);
        Vector512.Max(b3, z).Store(pixels + 112);
        Vector512.Max(a4, z).Store(pixels + 128);
        Vector512.Max(b4, z).Store(pixels + 144);
        float* row = output + (oy * Side2);
        for (int c = 0; c < Out2; c++)
        {
            for (int x = 0; x < Side2; x++)
            {
                row[(c * Side2 * Side2) + x] = pixels[(x * Out2) + c];
            }
        }
    }

    /// <summary>
    /// conv2's weight gradient for kernel offset (<paramref name="ky"/>, <paramref name="kx"/>) and input channels
    /// <paramref name="cin"/>..+7: <paramref name="result"/>[j][o] += Σ over images and output pixels of
    /// hidden[y, x, cin + j] · d2[pixel][o].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2WeightGradient(float* hidden, float* d2, int batch, int ky, int kx, int cin, float* result)
    {
        Vector512<float> a0 = Vector512.Load(result), a1 = Vector512.Load(result + 32), a2 = Vector512.Load(result + 64), a3 = Vector512.Load(result + 96);
        Vector512<float> a4 = Vector512.Load(result + 128), a5 = Vector512.Load(result + 160), a6 = Vector512.Load(result + 192), a7 = Vector512.Load(result + 224);
        Vector512<float> b0 = Vector512.Load(result + 16), b1 = Vector512.Load(result + 48), b2 = Vector512.Load(result + 80), b3 = Vector512.Load(result + 112);
        Vector512<float> b4 = Vector512.Load(result + 144), b5 = Vector512.Load(result + 176), b6 = Vector512.Load(result + 208), b7 = Vector512.Load(result + 240);
        for (int b = 0; b < batch; b++)
        {
            float* image = hidden + ((long)b * Side1 * Side1 * Out1);
            for (int oy = 0; oy < Side2; oy++)
            {
                for (int ox = 0; ox < Side2; ox++, d2 += Out2)
                {
                    Vector512<float> g0 = Vector512.Load(d2), g1 = Vector512.Load(d2 + 16);
                    float* v = image + (((((Stride2 * oy) + ky) * Side1) + (Stride2 * ox) + kx) * Out1) + cin;
                    a0 = Fma(v[0], g0, a0);
                    b0 = Fma(v[0], g1, b0);
                    a1 = Fma(v[1], g0, a1);
                    b1 = Fma(v[1], g1, b1);
                    a2 = Fma(v[2], g0, a2);
                    b2 = Fma(v[2], g1, b2);
                    a3 = Fma(v[3], g0, a3);
                    b3 = Fma(v[3], g1, b3);
                    a4 = Fma(v[4], g0, a4);
                    b4 = Fma(v[4], g1, b4);
                    a5 = Fma(v[5], g0, a5);
                    b5 = Fma(v[5], g1, b5);
                    a6 = Fma(v[6], g0, a6);
                    b6 = Fma(v[6], g1, b6);
                    a7 = Fma(v[7], g0, a7);
                    b7 = Fma(v[7], g1, b7);
                }
            }
        }

        a0.Store(result);
        b0.Store(result + 16);
        a1.Store(result + 32);
        b1.Store(result + 48);
        a2.Store(result + 64);
        b2.Store(result + 80);
        a3.Store(result + 96);
        b3.Store(result + 112);
        a4.Store(result + 128);
        b4.Store(result + 144);
        a5.Store(result + 160);
        b5.Store(result + 176);
        a6.Store(result + 192);
        b6.Store(result + 208);
        a7.Store(result + 224);
        b7.Store(result + 240);
    }

    /// <summary>
    /// Adds one conv2 output pixel's (<paramref name="oy"/>, <paramref name="ox"/>) contribution to the gradient of
    /// its 4x4 input pixels: d1[2oy + ky, 2ox + kx][cin] += Σ_o gradient[o] · w2b[(ky, kx, o)][cin].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv2InputGradient(float* gradient, float* w2b, float* d1, int oy, int ox)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        const int Step = Out2 * Out1; // from one kernel offset's weights to the next
        for (int o = 0; o < Out2; o++, w2b += Out1)
        {
            float g = gradient[o];
            a0 = Fma(g, Vector512.Load(w2b), a0);
            a1 = Fma(g, Vector512.Load(w2b + Step), a1);
            a2 = Fma(g, Vector512.Load(w2b + (2 * Step)), a2);
            a3 = Fma(g, Vector512.Load(w2b + (3 * Step)), a3);
            a4 = Fma(g, Vector512.Load(w2b + (4 * Step)), a4);
            a5 = Fma(g, Vector512.Load(w2b + (5 * Step)), a5);
            a6 = Fma(g, Vector512.Load(w2b + (6 * Step)), a6);
            a7 = Fma(g, Vector512.Load(w2b + (7 * Step)), a7);
            a8 = Fma(g, Vector512.Load(w2b + (8 * Step)), a8);
            a9 = Fma(g, Vector512.Load(w2b + (9 * Step)), a9);
            a10 = Fma(g, Vector512.Load(w2b + (10 * Step)), a10);
            a11 = Fma(g, Vector512.Load(w2b + (11 * Step)), a11);
            a12 = Fma(g, Vector512.Load(w2b + (12 * Step)), a12);
            a13 = Fma(g, Vector512.Load(w2b + (13 * Step)), a13);
            a14 = Fma(g, Vector512.Load(w2b + (14 * Step)), a14);
            a15 = Fma(g, Vector512.Load(w2b + (15 * Step)), a15);
        }

        float* row = d1 + (((Stride2 * oy * Side1) + (Stride2 * ox)) * Out1);
        const int Down = Side1 * Out1;
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
    /// Adds one image's share of conv1's weight gradient for input channel <paramref name="c"/> and kernel rows
    /// <paramref name="ky"/>, +1: <paramref name="result"/>[(r, kx)][o] += Σ over output pixels of
    /// image[c, 4y + ky + r, 4x + kx] · d1[pixel][o].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Conv1WeightGradient(float* image, float* d1, int c, int ky, float* result)
    {
        Vector512<float> a0 = Vector512.Load(result), a1 = Vector512.Load(result + 16), a2 = Vector512.Load(result + 32), a3 = Vector512.Load(result + 48);
        Vector512<float> a4 = Vector512.Load(result + 64), a5 = Vector512.Load(result + 80), a6 = Vector512.Load(result + 96), a7 = Vector512.Load(result + 112);
        Vector512<float> b0 = Vector512.Load(result + 128), b1 = Vector512.Load(result + 144), b2 = Vector512.Load(result + 160), b3 = Vector512.Load(result + 176);
        Vector512<float> b4 = Vector512.Load(result + 192), b5 = Vector512.Load(result + 208), b6 = Vector512.Load(result + 224), b7 = Vector512.Load(result + 240);
        float* plane = image + (c * Side * Side);
        for (int oy = 0; oy < Side1; oy++)
        {
            float* top = plane + (((Stride1 * oy) + ky) * Side);
            for (int ox = 0; ox < Side1; ox++, d1 += Out1, top += Stride1)
            {
                Vector512<float> g = Vector512.Load(d1);
                float* bottom = top + Side;
                a0 = Fma(top[0], g, a0);
                a1 = Fma(top[1], g, a1);
                a2 = Fma(top[2], g, a2);
                a3 = Fma(top[3], g, a3);
                a4 = Fma(top[4], g, a4);
                a5 = Fma(top[5], g, a5);
                a6 = Fma(top[6], g, a6);
                a7 = Fma(top[7], g, a7);
                b0 = Fma(bottom[0], g, b0);
                b1 = Fma(bottom[1], g, b1);
                b2 = Fma(bottom[2], g, b2);
                b3 = Fma(bottom[3], g, b3);
                b4 = Fma(bottom[4], g, b4);
                b5 = Fma(bottom[5], g, b5);
                b6 = Fma(bottom[6], g, b6);
                b7 = Fma(bottom[7], g, b7);
            }
        }

        a0.Store(result);
        a1.Store(result + 16);
        a2.Store(result + 32);
        a3.Store(result + 48);
        a4.Store(result + 64);
        a5.Store(result + 80);
        a6.Store(result + 96);
        a7.Store(result + 112);
        b0.Store(result + 128);
        b1.Store(result + 144);
        b2.Store(result + 160);
        b3.Store(result + 176);
        b4.Store(result + 192);
        b5.Store(result + 208);
        b6.Store(result + 224);
        b7.Store(result + 240);
    }

    /// <summary>Image <paramref name="b"/> of the batch as floats: in place if the pixels are float32, else divided by 255 into <paramref name="buffer"/>.</summary>
    private static unsafe float* Image(byte* pixels, bool bytes, int b, float* buffer)
    {
        if (!bytes)
        {
            return (float*)pixels + ((long)b * ImageFloats);
        }

        byte* source = pixels + ((long)b * ImageFloats);
        for (int i = 0; i < ImageFloats; i += 16)
        {
            Vector512<int> widened = Avx512F.ConvertToVector512Int32(Vector128.Load(source + i));
            DividedBy255(Avx512F.ConvertToVector512Single(widened)).Store(buffer + i);
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
    internal static Vector512<float> DividedBy255(Vector512<float> x)
    {
        Vector512<float> reciprocal = Vector512.Create(1f / 255f);
        Vector512<float> q = x * reciprocal;
        Vector512<float> remainder = Avx512F.FusedMultiplyAdd(q, Vector512.Create(-255f), x); // x − 255q, exact
        return Avx512F.FusedMultiplyAdd(remainder, reciprocal, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(float x, Vector512<float> w, Vector512<float> accumulator) =>
        Avx512F.FusedMultiplyAdd(Vector512.Create(x), w, accumulator);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddTo(float* destination, Vector512<float> value) =>
        (Vector512.Load(destination) + value).Store(destination);

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
    internal static unsafe void AddColumnSums(float* data, long rows, int columns, float* result)
    {
        for (int j = 0; j < columns; j += 16)
        {
            Vector512<float> sum = Vector512.Load(result + j);
            for (long i = 0; i < rows; i++)
            {
                sum += Vector512.Load(data + (i * columns) + j);
            }

            sum.Store(result + j);
        }
    }
}
