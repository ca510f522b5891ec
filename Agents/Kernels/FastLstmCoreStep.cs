using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using GridTime.Agents.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// One step of the paper's cores (<see cref="Cores.LstmCore"/> with a NAC or none) as a single autograd node:
/// the LSTM input [features | T | NAC([T | h])] is assembled here, the NAC's weight W = tanh(Ŵ)⊙σ(M̂) and
/// product computed here, and the state [h | c] read and written whole. The same parameters and result as
/// the core's tensor operations to float rounding (tests/Agents/FastLinearTests compares whole networks).
/// <para>
/// Why: written with tensor operations the step is some fifteen operations (two narrows, three
/// concatenations, the NAC's four) and as many autograd nodes, each a native call and an allocation; in a
/// profile they cost more than the NAC's arithmetic and about as much as the LSTM's matrix products.
/// </para>
/// </summary>
public static class FastLstmCoreStep
{
    /// <summary>Whether the fused step takes these inputs: the kernel is in use, T needs no gradient, the cell has biases.</summary>
    public static bool Takes(LSTMCell cell, Tensor features, Tensor instruction) =>
        FastLinear.Takes(features) && FastLinear.Takes(instruction) && !instruction.requires_grad
        && cell.bias_ih is not null && cell.bias_hh is not null;

    /// <summary>
    /// (h', [h' | c']) of <paramref name="cell"/> for state [h | c] and input [features | T | nac([T | h])],
    /// or [features | T] when <paramref name="nac"/> is null. Call only where <see cref="Takes"/> says so.
    /// </summary>
    public static (Tensor Output, Tensor State) Step(LSTMCell cell, Nac? nac, Tensor features, Tensor instruction, Tensor state)
    {
        // Kept alive: the state carried between rollouts is referenced nowhere else (KeptAlive).
        List<Tensor> outputs = KeptAlive.Apply(
            CoreFunction.apply, features, instruction, state, cell.weight_ih!, cell.weight_hh!, cell.bias_ih!, cell.bias_hh!, nac?.WHat!, nac?.MHat!);
        return (outputs[0], outputs[1]);
    }

    private sealed class CoreFunction : autograd.MultiTensorFunction<CoreFunction>
    {
        public override string Name => "GridTimeLstmCoreStep";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            // Not disposed here: autograd saves them for the backward pass after this returns.
            using Tensor features = ((Tensor)vars[0]).contiguous(), instruction = ((Tensor)vars[1]).contiguous(), state = ((Tensor)vars[2]).contiguous();
            Tensor wIh = ((Tensor)vars[3]).contiguous(), wHh = ((Tensor)vars[4]).contiguous();
            using Tensor bIh = ((Tensor)vars[5]).contiguous(), bHh = ((Tensor)vars[6]).contiguous();
            Tensor? wHat = (vars[7] as Tensor)?.contiguous(), mHat = (vars[8] as Tensor)?.contiguous();
            int batch = (int)features.shape[0], width = (int)features.shape[1], hidden = (int)wHh.shape[1];
            int arithmetic = wHat is null ? 0 : (int)wHat.shape[1], inputs = width + 1 + arithmetic;
            Tensor x = empty(batch, inputs), h = empty(batch, hidden), c = empty(batch, hidden);
            Tensor gates = empty(batch, 4 * hidden), tanhC = empty(batch, hidden);
            Tensor output = empty(batch, hidden), nextState = empty(batch, 2 * hidden);
            unsafe
            {
                fixed (byte* fB = features.bytes, tB = instruction.bytes, sB = state.bytes, wIhB = wIh.bytes, wHhB = wHh.bytes, bIhB = bIh.bytes, bHhB = bHh.bytes)
                fixed (byte* xB = x.bytes, hB = h.bytes, cB = c.bytes, gB = gates.bytes, tcB = tanhC.bytes, oB = output.bytes, nsB = nextState.bytes)
                {
                    float* s = (float*)sB;
                    for (int b = 0; b < batch; b++)
                    {
                        Copy(s + (2L * hidden * b), (float*)hB + ((long)hidden * b), hidden);
                        Copy(s + (2L * hidden * b) + hidden, (float*)cB + ((long)hidden * b), hidden);
                    }

                    float* tanhW = null, sigmoidM = null;
                    if (wHat is not null)
                    {
                        tanhW = Scratch.Get(Scratch.CoreSlots + 7, (1L + hidden) * arithmetic);
                        sigmoidM = Scratch.Get(Scratch.CoreSlots + 8, (1L + hidden) * arithmetic);
                        NacFactors(wHat, mHat!, tanhW, sigmoidM);
                    }

                    Forward(
                        batch, width, hidden, arithmetic, (float*)fB, (float*)tB, (float*)hB, (float*)cB, (float*)wIhB, (float*)wHhB, (float*)bIhB, (float*)bHhB,
                        tanhW, sigmoidM, (float*)xB, (float*)gB, (float*)tcB, (float*)nsB, (float*)nsB + hidden, 2 * hidden);
                    for (int b = 0; b < batch; b++)
                    {
                        Copy((float*)nsB + (2L * hidden * b), (float*)oB + ((long)hidden * b), hidden);
                    }
                }
            }

            ctx.set_materialize_grads(false);
            ctx.save_for_backward(wHat is null ? [x, h, c, wIh, wHh, gates, tanhC] : [x, h, c, wIh, wHh, gates, tanhC, wHat, mHat!]);
            Tensor[] parameters = [(Tensor)vars[3], (Tensor)vars[4], (Tensor)vars[5], (Tensor)vars[6]];
            ctx.save_data("features_need_grad", ((Tensor)vars[0]).requires_grad);
            ctx.save_data("state_needs_grad", ((Tensor)vars[2]).requires_grad);
            DeferredWeightGradients.Remember(ctx, "parameters", parameters);
            if (wHat is not null)
            {
                DeferredWeightGradients.Remember(ctx, "nac", (Tensor)vars[7], (Tensor)vars[8]);
            }

            return [output, nextState];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            List<Tensor> saved = ctx.get_saved_variables();
            using Tensor x = saved[0], h = saved[1], c = saved[2], wIh = saved[3], wHh = saved[4], gates = saved[5], tanhC = saved[6];
            using Tensor? wHat = saved.Count > 7 ? saved[7] : null, mHat = saved.Count > 8 ? saved[8] : null;
            using Tensor? dOutput = gradOutputs[0].IsInvalid ? null : gradOutputs[0].contiguous();
            using Tensor? dState = gradOutputs[1].IsInvalid ? null : gradOutputs[1].contiguous();
            int batch = (int)x.shape[0], inputs = (int)x.shape[1], hidden = (int)h.shape[1];
            int arithmetic = wHat is null ? 0 : (int)wHat.shape[1], width = inputs - 1 - arithmetic;
            bool featuresNeedGrad = (bool)ctx.get_data("features_need_grad"), stateNeedsGrad = (bool)ctx.get_data("state_needs_grad");
            DeferredWeightGradients.TryRecall(ctx, "parameters", out DeferredWeightGradients? deferred, out IntPtr[] parameters);
            Tensor dGates = empty(batch, 4 * hidden);
            Tensor? dFeatures = featuresNeedGrad ? empty(batch, width) : null;
            Tensor? dPrevState = stateNeedsGrad ? empty(batch, 2 * hidden) : null;
            Tensor? dWHat = null, dMHat = null, dWih = null, dWhh = null, dBias = null;
            unsafe
            {
                float* dx = Scratch.Get(Scratch.CoreSlots, (long)batch * inputs);
                float* dh = Scratch.Get(Scratch.CoreSlots + 1, hidden);
                float* zero = Scratch.Get(Scratch.CoreSlots + 2, hidden);
                new Span<float>(zero, hidden).Clear();
                fixed (byte* xB = x.bytes, hB = h.bytes, cB = c.bytes, wIhB = wIh.bytes, wHhB = wHh.bytes, gB = gates.bytes, tcB = tanhC.bytes, dgB = dGates.bytes)
                {
                    float* dOut = dOutput is null ? null : (float*)Pointer(dOutput);
                    float* dS = dState is null ? null : (float*)Pointer(dState);
                    float* dPrev = dPrevState is null ? null : (float*)Pointer(dPrevState);
                    float* dg = (float*)dgB;
                    for (int b = 0; b < batch; b++)
                    {
                        long row = (long)b * hidden;
                        for (int j = 0; j < hidden; j++)
                        {
                            dh[j] = (dOut is null ? 0f : dOut[row + j]) + (dS is null ? 0f : dS[(2 * row) + j]);
                        }

                        FastLstmCell.GatesBackward(
                            (float*)gB + (4 * row), (float*)tcB + row, (float*)cB + row, dh, dS is null ? zero : dS + (2 * row) + hidden,
                            dg + (4 * row), dPrev is null ? null : dPrev + (2 * row) + hidden, hidden);
                    }

                    if (featuresNeedGrad || arithmetic > 0)
                    {
                        Sgemm.Multiply(batch, inputs, 4 * hidden, dg, 4 * hidden, (float*)wIhB, inputs, dx, inputs, accumulate: false);
                    }

                    if (dFeatures is not null)
                    {
                        float* dF = (float*)Pointer(dFeatures);
                        for (int b = 0; b < batch; b++)
                        {
                            Copy(dx + ((long)b * inputs), dF + ((long)b * width), width);
                        }
                    }

                    if (dPrev is not null)
                    {
                        // ∂h(t−1) from the LSTM's recurrent product, into the h half of each state row.
                        Sgemm.Multiply(batch, hidden, 4 * hidden, dg, 4 * hidden, (float*)wHhB, hidden, dPrev, 2 * hidden, accumulate: false);
                    }

                    if (wHat is not null)
                    {
                        (dWHat, dMHat) = NacBackward(x, h, wHat, mHat!, dx + width + 1, inputs, dPrev, batch, hidden, arithmetic);
                        if (DeferredWeightGradients.TryRecall(ctx, "nac", out DeferredWeightGradients? running, out IntPtr[] nac))
                        {
                            // Summed over the rollout here, added to the parameters' grad once.
                            running.Add(nac[0], (float*)Pointer(dWHat), dWHat.numel());
                            running.Add(nac[1], (float*)Pointer(dMHat), dMHat.numel());
                            (dWHat, dMHat) = (null, null);
                        }
                    }

                    if (deferred is not null)
                    {
                        // The weight and bias gradients when the whole backward pass is done (DeferredWeightGradients).
                        deferred.Record([parameters[0], parameters[1]], [parameters[2], parameters[3]], dg, batch, 4 * hidden, [(float*)xB, (float*)hB], [inputs, hidden]);
                    }
                    else
                    {
                        (dWih, dWhh) = FastLstmCell.WeightGradients(dg, (float*)xB, (float*)hB, batch, inputs, hidden, Scratch.Get(Scratch.CoreSlots + 3, 4L * hidden * batch));

                        dBias = dGates.sum(0L, keepdim: false);
                    }
                }
            }

            return [dFeatures!, null!, dPrevState!, dWih!, dWhh!, dBias!, dBias?.clone()!, dWHat!, dMHat!];
        }

        /// <summary>
        /// The NAC's share of the backward pass, from ∂nac (<paramref name="dNac"/>, rows <paramref name="stride"/>
        /// apart): ∂h(t−1) += (∂nac·Wᵀ) without its T column, and the gradients of Ŵ and M̂ through
        /// W = tanh(Ŵ)⊙σ(M̂): ∂W = [T | h]ᵀ·∂nac, ∂Ŵ = ∂W⊙σ(M̂)⊙(1 − tanh²Ŵ), ∂M̂ = ∂W⊙tanh(Ŵ)⊙σ(M̂)(1 − σ(M̂)).
        /// </summary>
        private static unsafe (Tensor DWHat, Tensor DMHat) NacBackward(
            Tensor x, Tensor h, Tensor wHat, Tensor mHat, float* dNac, int stride, float* dPrevState, int batch, int hidden, int arithmetic)
        {
            int width = (int)x.shape[1] - 1 - arithmetic, units = 1 + hidden;
            float* ut = Scratch.Get(Scratch.CoreSlots + 3, (long)units * batch);
            float* wT = Scratch.Get(Scratch.CoreSlots + 4, (long)units * arithmetic);
            float* du = Scratch.Get(Scratch.CoreSlots + 5, (long)batch * units);
            float* dNacRows = Scratch.Get(Scratch.CoreSlots + 6, (long)batch * arithmetic);
            float* tanhW = Scratch.Get(Scratch.CoreSlots + 7, (long)units * arithmetic);
            float* sigmoidM = Scratch.Get(Scratch.CoreSlots + 8, (long)units * arithmetic);
            Tensor dWHat = empty(units, arithmetic), dMHat = empty(units, arithmetic);
            fixed (byte* xB = x.bytes, hB = h.bytes, dwB = dWHat.bytes, dmB = dMHat.bytes)
            {
                float* xs = (float*)xB;
                for (int b = 0; b < batch; b++)
                {
                    ut[b] = xs[((long)b * (width + 1 + arithmetic)) + width];
                    Copy(dNac + ((long)b * stride), dNacRows + ((long)b * arithmetic), arithmetic);
                }

                FastLinear.Transpose((float*)hB, batch, hidden, ut + batch);
                NacFactors(wHat, mHat, tanhW, sigmoidM);
                if (dPrevState is not null)
                {
                    // ∂[T | h] = ∂nac·Wᵀ; its h part adds to ∂h(t−1).
                    NacMath.Weight(tanhW, sigmoidM, units, arithmetic, null, wT);
                    Sgemm.Multiply(batch, units, arithmetic, dNacRows, arithmetic, wT, units, du, units, accumulate: false);
                    for (int b = 0; b < batch; b++)
                    {
                        float* to = dPrevState + (2L * hidden * b), from = du + ((long)units * b) + 1;
                        for (int j = 0; j < hidden; j++)
                        {
                            to[j] += from[j];
                        }
                    }
                }

                // ∂W = [T | h]ᵀ·∂nac into ∂Ŵ's storage, then both parameters' gradients in place.
                float* dW = (float*)dwB, dM = (float*)dmB;
                Sgemm.Multiply(units, arithmetic, batch, ut, batch, dNacRows, arithmetic, dW, arithmetic, accumulate: false);
                NacMath.WeightBackward(dW, tanhW, sigmoidM, (long)units * arithmetic, dM);
            }

            return (dWHat, dMHat);
        }
    }

    /// <summary>
    /// The step's arithmetic for <paramref name="batch"/> rows: from features [B, width], T [B], state h and c
    /// [B, H] and, with a NAC, its factors tanh(Ŵ) and σ(M̂) [1 + H, K] (null without one): the LSTM input
    /// x = [features | T | nac([T | h])] into <paramref name="x"/> [B, width + 1 + K], the gate activations
    /// [i | f | g | o] into <paramref name="gates"/> [B, 4H], tanh(c') into <paramref name="tanhC"/> [B, H], and h', c'
    /// into <paramref name="nextH"/>, <paramref name="nextC"/> (rows <paramref name="ldNext"/> floats apart).
    /// </summary>
    internal static unsafe void Forward(
        int batch, int width, int hidden, int arithmetic, float* features, float* instruction, float* h, float* c,
        float* wIh, float* wHh, float* bIh, float* bHh, float* tanhW, float* sigmoidM,
        float* x, float* gates, float* tanhC, float* nextH, float* nextC, long ldNext)
    {
        int inputs = width + 1 + arithmetic;
        float* xt = Scratch.Get(Scratch.CoreSlots, (long)inputs * batch);
        float* ut = Scratch.Get(Scratch.CoreSlots + 1, (1L + hidden) * batch); // [T | h]ᵀ: the NAC's input, and hᵀ after its first row
        float* gatesT = Scratch.Get(Scratch.CoreSlots + 2, 4L * hidden * batch);
        float* bias = Scratch.Get(Scratch.CoreSlots + 3, 4L * hidden);
        for (int b = 0; b < batch; b++)
        {
            xt[((long)width * batch) + b] = instruction[b];
            ut[b] = instruction[b];
        }

        FastLinear.Transpose(features, batch, width, xt);
        FastLinear.Transpose(h, batch, hidden, ut + batch);
        if (arithmetic > 0)
        {
            // nacᵀ = Wᵀ·[T | h]ᵀ, written straight into the last rows of xᵀ.
            float* wT = Scratch.Get(Scratch.CoreSlots + 4, (1L + hidden) * arithmetic);
            NacMath.Weight(tanhW, sigmoidM, 1 + hidden, arithmetic, null, wT);
            Sgemm.Multiply(arithmetic, batch, 1 + hidden, wT, 1 + hidden, ut, batch, xt + ((width + 1L) * batch), batch, accumulate: false);
        }

        FastLinear.Transpose(xt, inputs, batch, x);
        Sgemm.Multiply(4 * hidden, batch, inputs, wIh, inputs, xt, batch, gatesT, batch, accumulate: false);
        Sgemm.Multiply(4 * hidden, batch, hidden, wHh, hidden, ut + batch, batch, gatesT, batch, accumulate: true);
        for (int j = 0; j < 4 * hidden; j++)
        {
            bias[j] = bIh[j] + bHh[j];
        }

        FastLinear.TransposeAddingBias(gatesT, 4 * hidden, batch, bias, gates);
        for (int b = 0; b < batch; b++)
        {
            long row = (long)b * hidden;
            FastLstmCell.Gates(gates + (4 * row), c + row, nextC + (b * ldNext), nextH + (b * ldNext), tanhC + row, hidden);
        }
    }

    /// <summary>tanh(Ŵ) and σ(M̂), element by element, vectorised (a NAC's weight is their product).</summary>
    private static unsafe void NacFactors(Tensor wHat, Tensor mHat, float* tanhW, float* sigmoidM)
    {
        fixed (byte* whB = wHat.bytes, mhB = mHat.bytes)
        {
            NacMath.Factors((float*)whB, (float*)mhB, wHat.numel(), tanhW, sigmoidM);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(float* source, float* target, int count) =>
        Buffer.MemoryCopy(source, target, (long)count * sizeof(float), (long)count * sizeof(float));

    private static unsafe byte* Pointer(Tensor t) =>
        (byte*)Unsafe.AsPointer(ref t.bytes.GetPinnableReference()); // contiguous, alive for the call; storage does not move
}
