using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Agents.Kernels;

/// <summary>
/// y = x·Wᵀ + b, the product of <see cref="F.linear"/>, computed by <see cref="Sgemm"/> where GridTime's
/// kernels are in use (<see cref="Simd.Width"/> is not off), with its own backward pass (∂x = g·W, ∂W = gᵀ·x, ∂b = Σ g); elsewhere, or for
/// inputs the kernel does not take (not float32 on the CPU, or with more than two dimensions), it is
/// <see cref="F.linear"/> itself. The two agree to float rounding (tests/Agents/FastLinearTests).
/// </summary>
public static class FastLinear
{
    /// <summary>
    /// Whether the layers in GridTime.Agents.Kernels compute with GridTime's kernels on the calling thread: a width
    /// is in use (<see cref="Simd.Width"/>; <c>GRIDTIME_SIMD=off</c> turns them off for libtorch's own numbers).
    /// </summary>
    public static bool KernelInUse => Simd.KernelsInUse;

    /// <summary>Whether the kernel takes <paramref name="t"/>: it is in use, and t is float32 on the CPU.</summary>
    internal static bool Takes(Tensor t) => KernelInUse && t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU;

    /// <summary>
    /// y = x·Wᵀ + b for x [B, in], <paramref name="weight"/> [out, in], <paramref name="bias"/> [out] or null;
    /// with <paramref name="relu"/>, max(y, 0) in the same autograd node (one operation and one node fewer
    /// per step for the encoder).
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias, bool relu = false)
    {
        bool kernel = x.dim() == 2 && Takes(x) && Takes(weight);
        if (kernel)
        {
            return KeptAlive.Apply(LinearFunction.apply, x, weight, bias!, relu);
        }

        if (!relu)
        {
            return F.linear(x, weight, bias);
        }

        using Tensor y = F.linear(x, weight, bias);
        return F.relu(y);
    }

    /// <summary>The autograd node: forward and backward through the kernel.</summary>
    private sealed class LinearFunction : autograd.SingleTensorFunction<LinearFunction>
    {
        public override string Name => "GridTimeLinear";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            // Not disposed here: autograd saves them for the backward pass after this returns.
            Tensor x = ((Tensor)vars[0]).contiguous();
            Tensor weight = ((Tensor)vars[1]).contiguous();
            Tensor? bias = vars[2] as Tensor;
            bool relu = (bool)vars[3];
            ctx.set_materialize_grads(false);
            ctx.save_data("x_requires_grad", ((Tensor)vars[0]).requires_grad);
            ctx.save_data("has_bias", bias is not null);
            DeferredWeightGradients.Remember(ctx, "parameters", (Tensor)vars[1], bias);
            int batch = (int)x.shape[0], inputs = (int)x.shape[1], outputs = (int)weight.shape[0];
            Tensor y = empty(batch, outputs);
            using Tensor? b = bias?.contiguous();
            unsafe
            {
                // yᵀ = W·xᵀ: W's rows are the kernel's A rows, xᵀ (transposed here) its B rows.
                float* xt = Scratch.Get(0, (long)inputs * batch);
                float* yt = Scratch.Get(1, (long)outputs * batch);
                fixed (byte* xBytes = x.bytes, wBytes = weight.bytes, yBytes = y.bytes)
                {
                    Transpose((float*)xBytes, batch, inputs, xt);
                    Sgemm.Multiply(outputs, batch, inputs, (float*)wBytes, inputs, xt, batch, yt, batch, accumulate: false);
                    float* yData = (float*)yBytes;
                    if (b is null)
                    {
                        Transpose(yt, outputs, batch, yData);
                    }
                    else
                    {
                        fixed (byte* bBytes = b.bytes)
                        {
                            TransposeAddingBias(yt, outputs, batch, (float*)bBytes, yData);
                        }
                    }

                    if (relu)
                    {
                        Relu(yData, (long)batch * outputs);
                    }
                }
            }

            // With the ReLU, y tells which entries pass the gradient (y > 0).
            ctx.save_for_backward(relu ? [x, weight, y] : [x, weight]);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            List<Tensor> saved = ctx.get_saved_variables();
            using Tensor x = saved[0], weight = saved[1];
            using Tensor? y = saved.Count > 2 ? saved[2] : null;
            if (gradOutput.IsInvalid)
            {
                return [null!, null!, null!, null!]; // y did not reach the loss: nothing flows back
            }

            using Tensor g = y is null ? gradOutput.contiguous() : PassedByRelu(gradOutput, y);
            int batch = (int)x.shape[0], inputs = (int)x.shape[1], outputs = (int)weight.shape[0];
            Tensor? gradX = (bool)ctx.get_data("x_requires_grad") ? empty(batch, inputs) : null;
            DeferredWeightGradients.TryRecall(ctx, "parameters", out DeferredWeightGradients? deferred, out IntPtr[] parameters);
            Tensor? gradWeight = deferred is null ? empty(outputs, inputs) : null;
            unsafe
            {
                fixed (byte* xBytes = x.bytes, wBytes = weight.bytes, gBytes = g.bytes)
                {
                    float* gData = (float*)gBytes;
                    if (gradX is not null)
                    {
                        // ∂x = g·W.
                        fixed (byte* gxBytes = gradX.bytes)
                        {
                            Sgemm.Multiply(batch, inputs, outputs, gData, outputs, (float*)wBytes, inputs, (float*)gxBytes, inputs, accumulate: false);
                        }
                    }

                    if (deferred is not null)
                    {
                        // ∂W and ∂b when the whole backward pass is done (DeferredWeightGradients).
                        deferred.Record([parameters[0]], [parameters[1]], gData, batch, outputs, [(float*)xBytes], [inputs]);
                        return [gradX!, null!, null!, null!];
                    }

                    // ∂W = gᵀ·x.
                    float* gt = Scratch.Get(0, (long)outputs * batch);
                    Transpose(gData, batch, outputs, gt);
                    fixed (byte* gwBytes = gradWeight!.bytes)
                    {
                        Sgemm.Multiply(outputs, inputs, batch, gt, batch, (float*)xBytes, inputs, (float*)gwBytes, inputs, accumulate: false);
                    }
                }
            }

            Tensor? gradBias = (bool)ctx.get_data("has_bias") ? g.sum(0L, keepdim: false) : null;
            return [gradX!, gradWeight, gradBias!, null!];
        }
    }

    /// <summary>max(x, 0) in place.</summary>
    internal static unsafe void Relu(float* data, long count)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Relu<Vec512>(data, count);
                break;
            case SimdWidth.Bits256:
                Relu<Vec256>(data, count);
                break;
            default:
                Relu<Vec128>(data, count);
                break;
        }
    }

    private static unsafe void Relu<TV>(float* data, long count)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            TV.Max(TV.Load(data + i), TV.Zero).Store(data + i);
        }

        for (; i < count; i++)
        {
            data[i] = Math.Max(data[i], 0f);
        }
    }

    /// <summary>The gradient where the ReLU's output <paramref name="y"/> is positive, 0 elsewhere (a new tensor).</summary>
    private static unsafe Tensor PassedByRelu(Tensor gradient, Tensor y)
    {
        using Tensor g = gradient.contiguous();
        Tensor passed = empty_like(g);
        fixed (byte* gB = g.bytes, yB = y.bytes, pB = passed.bytes)
        {
            PassedByRelu((float*)gB, (float*)yB, (float*)pB, g.numel());
        }

        return passed;
    }

    /// <summary>
    /// The ReLU's backward pass: <paramref name="result"/>[i] = <paramref name="gradient"/>[i] where its output
    /// <paramref name="y"/>[i] &gt; 0, else 0 (libtorch's: nothing passes at 0 or NaN). A mask, not a branch: the ReLU's
    /// pattern is unpredictable. <paramref name="result"/> may be <paramref name="gradient"/> or <paramref name="y"/>.
    /// </summary>
    internal static unsafe void PassedByRelu(float* gradient, float* y, float* result, long count)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                PassedByRelu<Vec512>(gradient, y, result, count);
                break;
            case SimdWidth.Bits256:
                PassedByRelu<Vec256>(gradient, y, result, count);
                break;
            default:
                PassedByRelu<Vec128>(gradient, y, result, count);
                break;
        }
    }

    private static unsafe void PassedByRelu<TV>(float* gradient, float* y, float* result, long count)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            TV passes = TV.GreaterThan(TV.Load(y + i), TV.Zero);
            TV.And(TV.Load(gradient + i), passes).Store(result + i);
        }

        for (; i < count; i++)
        {
            result[i] = y[i] > 0f ? gradient[i] : 0f;
        }
    }

    /// <summary>target[c, r] = source[r, c] for source [rows, columns].</summary>
    internal static unsafe void Transpose(float* source, int rows, int columns, float* target) =>
        TransposeAddingBias(source, rows, columns, columns, null, target);

    /// <summary>target[c, r] = source[r, c] for the first <paramref name="columns"/> columns of <paramref name="rows"/> rows <paramref name="ld"/> floats apart.</summary>
    internal static unsafe void Transpose(float* source, int rows, int columns, long ld, float* target) =>
        TransposeAddingBias(source, rows, columns, ld, null, target);

    /// <summary>target[c, r] = source[r, c] + bias[r] (bias may be null) for source [rows, columns].</summary>
    internal static unsafe void TransposeAddingBias(float* source, int rows, int columns, float* bias, float* target) =>
        TransposeAddingBias(source, rows, columns, columns, bias, target);

    /// <summary>
    /// target[c, r] = source[r, c] + bias[r] (bias may be null) for source rows <paramref name="ld"/> floats apart:
    /// 8 x 8 blocks transposed in AVX registers (eight loads, 24 shuffles, eight stores) where the kernels run at 256
    /// bits or wider on x86-64, the edges (and everything at 128 bits, as on ARM64) element by element. Transposes sit
    /// between every matrix product and its neighbours; element by element they cost about a nanosecond per float,
    /// as much as some of the products they served. The AVX shuffles are x86's own: .NET's portable shuffles of
    /// 256-bit vectors do not compile to single instructions.
    /// </summary>
    private static unsafe void TransposeAddingBias(float* source, int rows, int columns, long ld, float* bias, float* target)
    {
        bool blocks = Avx.IsSupported && Simd.Width >= SimdWidth.Bits256;
        int fullRows = blocks ? rows & ~7 : 0, fullColumns = blocks ? columns & ~7 : 0;

        // In tiles of 64 x 64 (16 KiB, read and written while in the L1 cache): row by row across all columns, a large
        // matrix's target lines were each written 32 bytes at a time, evicted in between (a rollout's 640 x 1024 ∂z, alone
        // with 8 MiB evicted first: 355 µs, tiled 276 µs, 256 bits on an Intel Xeon, Emerald Rapids).
        const int Tile = 64;
        for (int tileRow = 0; tileRow < fullRows; tileRow += Tile)
        {
            for (int tileColumn = 0; tileColumn < fullColumns; tileColumn += Tile)
            {
                int rowEnd = Math.Min(tileRow + Tile, fullRows), columnEnd = Math.Min(tileColumn + Tile, fullColumns);
                for (int r0 = tileRow; r0 < rowEnd; r0 += 8)
                {
                    Vector256<float> b = bias is null ? Vector256<float>.Zero : Avx.LoadVector256(bias + r0);
                    for (int c0 = tileColumn; c0 < columnEnd; c0 += 8)
                    {
                        Transpose8x8(source + (r0 * ld) + c0, ld, target + ((long)c0 * rows) + r0, rows, b);
                    }
                }
            }
        }

        // The edges: the last columns of the full rows, then the last rows.
        for (int r = 0; r < rows; r++)
        {
            float add = bias is null ? 0f : bias[r];
            for (int c = r < fullRows ? fullColumns : 0; c < columns; c++)
            {
                target[((long)c * rows) + r] = source[(r * ld) + c] + add;
            }
        }
    }

    /// <summary>The transpose of the 8 x 8 block at <paramref name="source"/> (row stride <paramref name="ld"/>) plus <paramref name="bias"/> on each target row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Transpose8x8(float* source, long ld, float* target, long ldTarget, Vector256<float> bias)
    {
        Vector256<float> r0 = Avx.LoadVector256(source), r1 = Avx.LoadVector256(source + ld);
        Vector256<float> r2 = Avx.LoadVector256(source + (2 * ld)), r3 = Avx.LoadVector256(source + (3 * ld));
        Vector256<float> r4 = Avx.LoadVector256(source + (4 * ld)), r5 = Avx.LoadVector256(source + (5 * ld));
        Vector256<float> r6 = Avx.LoadVector256(source + (6 * ld)), r7 = Avx.LoadVector256(source + (7 * ld));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(target, Avx.Add(Avx.Permute2x128(u0, u4, 0x20), bias));
        Avx.Store(target + ldTarget, Avx.Add(Avx.Permute2x128(u1, u5, 0x20), bias));
        Avx.Store(target + (2 * ldTarget), Avx.Add(Avx.Permute2x128(u2, u6, 0x20), bias));
        Avx.Store(target + (3 * ldTarget), Avx.Add(Avx.Permute2x128(u3, u7, 0x20), bias));
        Avx.Store(target + (4 * ldTarget), Avx.Add(Avx.Permute2x128(u0, u4, 0x31), bias));
        Avx.Store(target + (5 * ldTarget), Avx.Add(Avx.Permute2x128(u1, u5, 0x31), bias));
        Avx.Store(target + (6 * ldTarget), Avx.Add(Avx.Permute2x128(u2, u6, 0x31), bias));
        Avx.Store(target + (7 * ldTarget), Avx.Add(Avx.Permute2x128(u3, u7, 0x31), bias));
    }
}
