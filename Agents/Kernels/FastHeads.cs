using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The policy and value heads (two linear layers reading the core's output) as one autograd node:
/// logits = h·W_πᵀ + b_π [B, A] and values = h·w_vᵀ + b_v [B]. The same parameters and result as
/// <c>(policy.call(h), value.call(h).squeeze(1))</c> to float rounding (tests/Agents/FastLinearTests).
/// <para>
/// Why: the heads' arithmetic is tiny (6 dot products of 256 per frame), and as tensor operations their cost
/// was all overhead: two matrix-product calls, a squeeze, and in the backward pass six autograd nodes and four
/// gradient accumulations at every step. Here they are plain vector loops; while a
/// <see cref="DeferredWeightGradients"/> pass runs, their parameters' gradients are summed over the rollout.
/// </para>
/// </summary>
public static class FastHeads
{
    /// <summary>(logits [B, A], values [B]) of <paramref name="policy"/> and <paramref name="value"/> for <paramref name="hidden"/> [B, H].</summary>
    public static (Tensor Logits, Tensor Values) Apply(Tensor hidden, Linear policy, Linear value)
    {
        bool kernel = hidden.dim() == 2 && FastLinear.Takes(hidden) && policy.bias is not null && value.bias is not null
            && value.weight!.shape[0] == 1 && hidden.shape[1] % 16 == 0 /* the same layers at every width */;
        if (!kernel)
        {
            using Tensor values = value.call(hidden);
            return (policy.call(hidden), values.squeeze(1));
        }

        List<Tensor> outputs = KeptAlive.Apply(HeadsFunction.apply, hidden, policy.weight!, policy.bias!, value.weight!, value.bias!);
        return (outputs[0], outputs[1]);
    }

    private sealed class HeadsFunction : autograd.MultiTensorFunction<HeadsFunction>
    {
        public override string Name => "GridTimeHeads";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            // Not disposed here: autograd saves them for the backward pass after this returns.
            Tensor hidden = ((Tensor)vars[0]).contiguous();
            Tensor policyWeight = ((Tensor)vars[1]).contiguous(), valueWeight = ((Tensor)vars[3]).contiguous();
            using Tensor policyBias = ((Tensor)vars[2]).contiguous(), valueBias = ((Tensor)vars[4]).contiguous();
            int batch = (int)hidden.shape[0], width = (int)hidden.shape[1], actions = (int)policyWeight.shape[0];
            Tensor logits = empty(batch, actions), values = empty(batch);
            unsafe
            {
                fixed (byte* hB = hidden.bytes, pwB = policyWeight.bytes, pbB = policyBias.bytes, vwB = valueWeight.bytes, vbB = valueBias.bytes)
                fixed (byte* lB = logits.bytes, vB = values.bytes)
                {
                    float* h = (float*)hB, l = (float*)lB;
                    for (int b = 0; b < batch; b++)
                    {
                        float* row = h + ((long)b * width);
                        for (int a = 0; a < actions; a++)
                        {
                            l[(b * actions) + a] = ParameterMemory.Dot(row, (float*)pwB + ((long)a * width), width) + ((float*)pbB)[a];
                        }

                        ((float*)vB)[b] = ParameterMemory.Dot(row, (float*)vwB, width) + ((float*)vbB)[0];
                    }
                }
            }

            ctx.set_materialize_grads(false);
            ctx.save_for_backward([hidden, policyWeight, valueWeight]);
            ctx.save_data("hidden_needs_grad", ((Tensor)vars[0]).requires_grad);
            DeferredWeightGradients.Remember(ctx, "parameters", (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
            return [logits, values];
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            List<Tensor> saved = ctx.get_saved_variables();
            using Tensor hidden = saved[0], policyWeight = saved[1], valueWeight = saved[2];
            using Tensor? dLogits = gradOutputs[0].IsInvalid ? null : gradOutputs[0].contiguous();
            using Tensor? dValues = gradOutputs[1].IsInvalid ? null : gradOutputs[1].contiguous();
            int batch = (int)hidden.shape[0], width = (int)hidden.shape[1], actions = (int)policyWeight.shape[0], rows = actions + 1;
            Tensor? dHidden = (bool)ctx.get_data("hidden_needs_grad") ? zeros(batch, width) : null;
            Tensor dWeights = zeros(rows, width), dBiases = zeros(rows);
            unsafe
            {
                fixed (byte* hB = hidden.bytes, pwB = policyWeight.bytes, vwB = valueWeight.bytes, dwB = dWeights.bytes, dbB = dBiases.bytes)
                {
                    float* h = (float*)hB, dw = (float*)dwB, db = (float*)dbB;
                    float* dl = dLogits is null ? null : (float*)Pointer(dLogits);
                    float* dv = dValues is null ? null : (float*)Pointer(dValues);
                    float* dh = dHidden is null ? null : (float*)Pointer(dHidden);
                    for (int b = 0; b < batch; b++)
                    {
                        for (int r = 0; r < rows; r++)
                        {
                            float g = r < actions ? (dl is null ? 0f : dl[(b * actions) + r]) : (dv is null ? 0f : dv[b]);
                            if (g == 0f)
                            {
                                continue;
                            }

                            db[r] += g;
                            ParameterMemory.Axpy(g, h + ((long)b * width), dw + ((long)r * width), width);   // ∂W_r += g·h_b
                            if (dh is not null)
                            {
                                float* w = r < actions ? (float*)pwB + ((long)r * width) : (float*)vwB;
                                ParameterMemory.Axpy(g, w, dh + ((long)b * width), width); // ∂h_b += g·W_r
                            }
                        }
                    }

                    if (DeferredWeightGradients.TryRecall(ctx, "parameters", out DeferredWeightGradients? deferred, out IntPtr[] parameters))
                    {
                        // Summed over the rollout here, added to the parameters' grad once.
                        deferred.Add(parameters[0], dw, (long)actions * width);
                        deferred.Add(parameters[1], db, actions);
                        deferred.Add(parameters[2], dw + ((long)actions * width), width);
                        deferred.Add(parameters[3], db + actions, 1);
                        return [dHidden!, null!, null!, null!, null!];
                    }
                }
            }

            return [dHidden!, dWeights[..actions], dBiases[..actions], dWeights[actions..], dBiases[actions..]];
        }
    }

    private static unsafe byte* Pointer(Tensor t) =>
        (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref t.bytes.GetPinnableReference()); // contiguous, alive for the call
}
