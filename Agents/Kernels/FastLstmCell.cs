using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// One step of a <see cref="LSTMCell"/> as a single autograd node: both matrix products by
/// <see cref="Sgemm"/>, the gates in one vectorised pass, and a hand-written backward pass. The same
/// parameters, gate order (input, forget, cell, output) and result as <c>cell.call(input, (h, c))</c> to
/// float rounding (tests/Agents/FastLinearTests). Where the kernel is not used, it is that call.
/// <para>
/// Why one node: done with tensor operations the step is some 15 operations forward and as many autograd
/// nodes backward, each a native call and an allocation for a [32, 1024] tensor; in a profile those
/// overheads, not the arithmetic, were the larger part of the cell's time.
/// </para>
/// </summary>
public static class FastLstmCell
{
    /// <summary>(h', c') of <paramref name="cell"/> for input [B, in] and state h, c [B, hidden].</summary>
    public static (Tensor H, Tensor C) Step(LSTMCell cell, Tensor input, Tensor h, Tensor c)
    {
        bool kernel = FastLinear.Takes(input) && cell.bias_ih is not null && cell.bias_hh is not null;
        if (!kernel)
        {
            return cell.call(input, (h, c));
        }

        List<Tensor> outputs = KeptAlive.Apply(LstmFunction.apply, input, h, c, cell.weight_ih!, cell.weight_hh!, cell.bias_ih!, cell.bias_hh!);
        return (outputs[0], outputs[1]);
    }

    private sealed class LstmFunction : autograd.MultiTensorFunction<LstmFunction>
    {
        public override string Name => "GridTimeLstmCell";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            // Not disposed here: autograd saves them for the backward pass after this returns.
            Tensor x = ((Tensor)vars[0]).contiguous(), h = ((Tensor)vars[1]).contiguous(), c = ((Tensor)vars[2]).contiguous();
            Tensor wIh = ((Tensor)vars[3]).contiguous(), wHh = ((Tensor)vars[4]).contiguous();
            using Tensor bIh = ((Tensor)vars[5]).contiguous(), bHh = ((Tensor)vars[6]).contiguous();
            int batch = (int)x.shape[0], inputs = (int)x.shape[1], hidden = (int)h.shape[1];
            Tensor gates = empty(batch, 4 * hidden);
            Tensor nextH = empty(batch, hidden), nextC = empty(batch, hidden), tanhC = empty(batch, hidden);
            unsafe
            {
                float* xt = Scratch.Get(0, (long)inputs * batch);
                float* gatesT = Scratch.Get(1, 4L * hidden * batch);
                float* ht = Scratch.Get(2, (long)hidden * batch);
                fixed (byte* xB = x.bytes, hB = h.bytes, cB = c.bytes, wIhB = wIh.bytes, wHhB = wHh.bytes, bIhB = bIh.bytes, bHhB = bHh.bytes)
                fixed (byte* gB = gates.bytes, nhB = nextH.bytes, ncB = nextC.bytes, tB = tanhC.bytes)
                {
                    // gatesᵀ = W_ih·xᵀ + W_hh·hᵀ, then gates = (gatesᵀ)ᵀ + b_ih + b_hh.
                    FastLinear.Transpose((float*)xB, batch, inputs, xt);
                    FastLinear.Transpose((float*)hB, batch, hidden, ht);
                    Sgemm.Multiply(4 * hidden, batch, inputs, (float*)wIhB, inputs, xt, batch, gatesT, batch, accumulate: false);
                    Sgemm.Multiply(4 * hidden, batch, hidden, (float*)wHhB, hidden, ht, batch, gatesT, batch, accumulate: true);
                    float* bias = Scratch.Get(3, 4L * hidden);
                    for (int j = 0; j < 4 * hidden; j++)
                    {
                        bias[j] = ((float*)bIhB)[j] + ((float*)bHhB)[j];
                    }

                    FastLinear.TransposeAddingBias(gatesT, 4 * hidden, batch, bias, (float*)gB);
                    for (int b = 0; b < batch; b++)
                    {
                        long row = (long)b * hidden;
                        Gates((float*)gB + (4 * row), (float*)cB + row, (float*)ncB + row, (float*)nhB + row, (float*)tB + row, hidden);
                    }
                }
            }

            ctx.set_materialize_grads(false);
            ctx.save_for_backward([x, h, c, wIh, wHh, gates, tanhC]);
            // Whether each input needs a gradient, asked of the inputs themselves: a contiguous() copy made here
            // (of a state slice, say) is made with autograd off and would always say no.
            ctx.save_data("needs", new[] { ((Tensor)vars[0]).requires_grad, ((Tensor)vars[1]).requires_grad, ((Tensor)vars[2]).requires_grad });
            Tensor[] parameters = [(Tensor)vars[3], (Tensor)vars[4], (Tensor)vars[5], (Tensor)vars[6]];
            DeferredWeightGradients.Remember(ctx, "parameters", parameters);
            return [nextH, nextC];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            List<Tensor> saved = ctx.get_saved_variables();
            using Tensor x = saved[0], h = saved[1], c = saved[2], wIh = saved[3], wHh = saved[4], gates = saved[5], tanhC = saved[6];
            bool[] needs = (bool[])ctx.get_data("needs");
            int batch = (int)x.shape[0], inputs = (int)x.shape[1], hidden = (int)h.shape[1];
            using Tensor? dh = gradOutputs[0].IsInvalid ? null : gradOutputs[0].contiguous();
            using Tensor? dc = gradOutputs[1].IsInvalid ? null : gradOutputs[1].contiguous();
            Tensor dGates = empty(batch, 4 * hidden);
            Tensor? dPrevC = needs[2] ? empty(batch, hidden) : null;
            Tensor? dx = needs[0] ? empty(batch, inputs) : null;
            Tensor? dPrevH = needs[1] ? empty(batch, hidden) : null;
            DeferredWeightGradients.TryRecall(ctx, "parameters", out DeferredWeightGradients? deferred, out IntPtr[] parameters);
            Tensor? dWih = null, dWhh = null;
            unsafe
            {
                fixed (byte* gB = gates.bytes, tB = tanhC.bytes, cB = c.bytes, dgB = dGates.bytes)
                {
                    float* zero = Scratch.Get(2, hidden);
                    new Span<float>(zero, hidden).Clear();
                    float* dhData = dh is null ? null : (float*)Pointer(dh);
                    float* dcData = dc is null ? null : (float*)Pointer(dc);
                    float* dPrevCData = dPrevC is null ? null : (float*)Pointer(dPrevC);
                    for (int b = 0; b < batch; b++)
                    {
                        long row = (long)b * hidden;
                        GatesBackward(
                            (float*)gB + (4 * row), (float*)tB + row, (float*)cB + row,
                            dhData is null ? zero : dhData + row, dcData is null ? zero : dcData + row,
                            (float*)dgB + (4 * row), dPrevCData is null ? null : dPrevCData + row, hidden);
                    }

                    fixed (byte* xB = x.bytes, hB = h.bytes, wIhB = wIh.bytes, wHhB = wHh.bytes)
                    {
                        float* dg = (float*)dgB;
                        if (dx is not null)
                        {
                            Sgemm.Multiply(batch, inputs, 4 * hidden, dg, 4 * hidden, (float*)wIhB, inputs, (float*)Pointer(dx), inputs, accumulate: false);
                        }

                        if (dPrevH is not null)
                        {
                            Sgemm.Multiply(batch, hidden, 4 * hidden, dg, 4 * hidden, (float*)wHhB, hidden, (float*)Pointer(dPrevH), hidden, accumulate: false);
                        }

                        if (deferred is not null)
                        {
                            // The weight and bias gradients when the whole backward pass is done (DeferredWeightGradients).
                            deferred.Record([parameters[0], parameters[1]], [parameters[2], parameters[3]], dg, batch, 4 * hidden, [(float*)xB, (float*)hB], [inputs, hidden]);
                            return [dx!, dPrevH!, dPrevC!, null!, null!, null!, null!];
                        }

                        (dWih, dWhh) = WeightGradients(dg, (float*)xB, (float*)hB, batch, inputs, hidden, Scratch.Get(0, 4L * hidden * batch));
                    }
                }
            }

            Tensor dBias = dGates.sum(0L, keepdim: false);
            return [dx!, dPrevH!, dPrevC!, dWih!, dWhh!, dBias, dBias.clone()];
        }

        private static unsafe byte* Pointer(Tensor t)
        {
            // The tensors passed here are contiguous and stay alive for the call; their storage does not move.
            return (byte*)Unsafe.AsPointer(ref t.bytes.GetPinnableReference());
        }
    }

    /// <summary>
    /// ∂W_ih = ∂zᵀ·x and ∂W_hh = ∂zᵀ·h for one step, from the gate gradients <paramref name="dz"/> [B, 4H] (transposed
    /// into <paramref name="dzT"/>, working memory of 4H·B floats), inputs x [B, in] and h [B, H].
    /// </summary>
    internal static unsafe (Tensor DWih, Tensor DWhh) WeightGradients(float* dz, float* x, float* h, int batch, int inputs, int hidden, float* dzT)
    {
        FastLinear.Transpose(dz, batch, 4 * hidden, dzT);
        Tensor dWih = empty(4 * hidden, inputs), dWhh = empty(4 * hidden, hidden);
        fixed (byte* dWihB = dWih.bytes, dWhhB = dWhh.bytes)
        {
            Sgemm.Multiply(4 * hidden, inputs, batch, dzT, batch, x, inputs, (float*)dWihB, inputs, accumulate: false);
            Sgemm.Multiply(4 * hidden, hidden, batch, dzT, batch, h, hidden, (float*)dWhhB, hidden, accumulate: false);
        }

        return (dWih, dWhh);
    }

    /// <summary>
    /// For one row: z = [z_i | z_f | z_g | z_o] (pre-activations, overwritten with i, f, g, o), c, and the
    /// outputs c' = f·c + i·g, tanh(c'), h' = o·tanh(c').
    /// </summary>
    internal static unsafe void Gates(float* z, float* c, float* nextC, float* nextH, float* tanhC, int hidden)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Gates<Vec512>(z, c, nextC, nextH, tanhC, hidden);
                break;
            case SimdWidth.Bits256:
                Gates<Vec256>(z, c, nextC, nextH, tanhC, hidden);
                break;
            default:
                Gates<Vec128>(z, c, nextC, nextH, tanhC, hidden);
                break;
        }
    }

    private static unsafe void Gates<TV>(float* z, float* c, float* nextC, float* nextH, float* tanhC, int hidden)
        where TV : unmanaged, ISimdVector<TV>
    {
        // Two passes: first each gate's activation on its own, then the cell. An exponential is a chain of some 25
        // dependent instructions; with the four gates and tanh(c') of a lane in one iteration (five exponentials, the
        // last waiting on the other four), an iteration was longer than the processor looks ahead, and the rows' gates
        // ran at about 110 cycles per vector. One exponential per iteration lets independent iterations overlap: a
        // rollout's 672 rows of H = 256 at 256 bits (Intel Xeon, Emerald Rapids) 810 µs in one pass, 660 in two (550 with
        // the exponential's native conversion, ISimdVector.PowerOfTwo). Each value is the same to the bit.
        int full = hidden / TV.Count * TV.Count;
        Activate<TV>(z, full, tanh: false);                  // i
        Activate<TV>(z + hidden, full, tanh: false);         // f
        Activate<TV>(z + (2 * hidden), full, tanh: true);    // g
        Activate<TV>(z + (3 * hidden), full, tanh: false);   // o
        for (int l = 0; l < full; l += TV.Count)
        {
            TV cNew = (TV.Load(z + hidden + l) * TV.Load(c + l)) + (TV.Load(z + l) * TV.Load(z + (2 * hidden) + l));
            cNew.Store(nextC + l);
            Tanh(cNew).Store(tanhC + l);
        }

        for (int l = 0; l < full; l += TV.Count)
        {
            (TV.Load(z + (3 * hidden) + l) * TV.Load(tanhC + l)).Store(nextH + l);
        }

        for (int j = full; j < hidden; j++)
        {
            float i = 1f / (1f + MathF.Exp(-z[j])), f = 1f / (1f + MathF.Exp(-z[hidden + j]));
            float g = MathF.Tanh(z[(2 * hidden) + j]), o = 1f / (1f + MathF.Exp(-z[(3 * hidden) + j]));
            float cNew = (f * c[j]) + (i * g), t = MathF.Tanh(cNew);
            (z[j], z[hidden + j], z[(2 * hidden) + j], z[(3 * hidden) + j]) = (i, f, g, o);
            (nextC[j], tanhC[j], nextH[j]) = (cNew, t, o * t);
        }
    }

    /// <summary>x[l] = σ(x[l]), or tanh(x[l]) when <paramref name="tanh"/>, for l below <paramref name="count"/> (a multiple of the vector's length).</summary>
    private static unsafe void Activate<TV>(float* x, int count, bool tanh)
        where TV : unmanaged, ISimdVector<TV>
    {
        for (int l = 0; l < count; l += TV.Count)
        {
            TV v = TV.Load(x + l);
            (tanh ? Tanh(v) : Sigmoid(v)).Store(x + l);
        }
    }

    /// <summary>
    /// For one row, from the activations a = [i | f | g | o], tanh(c'), c and the incoming ∂h', ∂c': the
    /// pre-activation gradients ∂z (into <paramref name="dz"/>, which may be <paramref name="a"/> itself: each lane's
    /// activations are read before its gradients are written) and ∂c (into <paramref name="dPrevC"/> when not null).
    /// </summary>
    internal static unsafe void GatesBackward(float* a, float* tanhC, float* c, float* dh, float* dc, float* dz, float* dPrevC, int hidden)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                GatesBackward<Vec512>(a, tanhC, c, dh, dc, dz, dPrevC, hidden);
                break;
            case SimdWidth.Bits256:
                GatesBackward<Vec256>(a, tanhC, c, dh, dc, dz, dPrevC, hidden);
                break;
            default:
                GatesBackward<Vec128>(a, tanhC, c, dh, dc, dz, dPrevC, hidden);
                break;
        }
    }

    private static unsafe void GatesBackward<TV>(float* a, float* tanhC, float* c, float* dh, float* dc, float* dz, float* dPrevC, int hidden)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV one = TV.One;
        int j = 0;
        for (; j + TV.Count <= hidden; j += TV.Count)
        {
            TV i = TV.Load(a + j), f = TV.Load(a + hidden + j);
            TV g = TV.Load(a + (2 * hidden) + j), o = TV.Load(a + (3 * hidden) + j);
            TV t = TV.Load(tanhC + j), dH = TV.Load(dh + j);
            TV dC = TV.Load(dc + j) + (dH * o * (one - (t * t)));
            (dC * g * i * (one - i)).Store(dz + j);
            (dC * TV.Load(c + j) * f * (one - f)).Store(dz + hidden + j);
            (dC * i * (one - (g * g))).Store(dz + (2 * hidden) + j);
            (dH * t * o * (one - o)).Store(dz + (3 * hidden) + j);
            if (dPrevC is not null)
            {
                (dC * f).Store(dPrevC + j);
            }
        }

        for (; j < hidden; j++)
        {
            float i = a[j], f = a[hidden + j], g = a[(2 * hidden) + j], o = a[(3 * hidden) + j], t = tanhC[j];
            float dC = dc[j] + (dh[j] * o * (1 - (t * t)));
            dz[j] = dC * g * i * (1 - i);
            dz[hidden + j] = dC * c[j] * f * (1 - f);
            dz[(2 * hidden) + j] = dC * i * (1 - (g * g));
            dz[(3 * hidden) + j] = dh[j] * t * o * (1 - o);
            if (dPrevC is not null)
            {
                dPrevC[j] = dC * f;
            }
        }
    }

    /// <summary>σ(z) = 1 / (1 + e^(−z)), lane-wise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Sigmoid<TV>(TV z)
        where TV : unmanaged, ISimdVector<TV> => TV.One / (TV.One + VectorExp.Of(-z));

    /// <summary>tanh z = sign(z)·(1 − e^(−2|z|)) / (1 + e^(−2|z|)), exact to float rounding near 0 and saturating cleanly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Tanh<TV>(TV z)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV e = VectorExp.Of(TV.Create(-2f) * TV.Abs(z));
        TV t = (TV.One - e) / (TV.One + e);
        return TV.Select(TV.LessThan(z, TV.Zero), -t, t);
    }
}
