using GridTime.Agents.Kernels;
using static TorchSharp.torch;

namespace GridTime.Agents.Layers;

/// <summary>
/// The NAC's arithmetic (Trask et al. 2018, eq. 1), in one place for the module and the kernels:
/// W = tanh(Ŵ) ⊙ σ(M̂), y = x·W; backward ∂Ŵ = ∂W ⊙ σ(M̂) ⊙ (1 − tanh²Ŵ), ∂M̂ = ∂W ⊙ tanh(Ŵ) ⊙ σ(M̂) ⊙ (1 − σ(M̂)).
/// The tensor form is what <see cref="Nac"/> computes (autograd differentiates it: the reference); the pointer
/// forms are what <see cref="NacKernel"/>, <see cref="NaluKernel"/> and <see cref="FastLstmCoreStep"/> compute.
/// </summary>
public static class NacMath
{
    /// <summary>W = tanh(Ŵ) ⊙ σ(M̂) [in, out], as tensors.</summary>
    public static Tensor Weight(Tensor wHat, Tensor mHat) => tanh(wHat) * sigmoid(mHat);

    /// <summary>tanh(Ŵ) and σ(M̂) over <paramref name="count"/> elements (W is their product; the backward pass needs both).</summary>
    internal static unsafe void Factors(float* wHat, float* mHat, long count, float* tanhW, float* sigmoidM)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Factors<Vec512>(wHat, mHat, count, tanhW, sigmoidM);
                break;
            case SimdWidth.Bits256:
                Factors<Vec256>(wHat, mHat, count, tanhW, sigmoidM);
                break;
            default:
                Factors<Vec128>(wHat, mHat, count, tanhW, sigmoidM);
                break;
        }
    }

    private static unsafe void Factors<TV>(float* wHat, float* mHat, long count, float* tanhW, float* sigmoidM)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            FastLstmCell.Tanh(TV.Load(wHat + i)).Store(tanhW + i);
            FastLstmCell.Sigmoid(TV.Load(mHat + i)).Store(sigmoidM + i);
        }

        for (; i < count; i++)
        {
            tanhW[i] = MathF.Tanh(wHat[i]);
            sigmoidM[i] = 1f / (1f + MathF.Exp(-mHat[i]));
        }
    }

    /// <summary>W [units, k] and Wᵀ [k, units] (either may be null) from the factors of <see cref="Factors"/>.</summary>
    internal static unsafe void Weight(float* tanhW, float* sigmoidM, int units, int outputs, float* w, float* wT)
    {
        for (int j = 0; j < units; j++)
        {
            for (int k = 0; k < outputs; k++)
            {
                long i = ((long)j * outputs) + k;
                float value = tanhW[i] * sigmoidM[i];
                if (w is not null)
                {
                    w[i] = value;
                }

                if (wT is not null)
                {
                    wT[((long)k * units) + j] = value;
                }
            }
        }
    }

    /// <summary>From ∂W (<paramref name="dW"/>, overwritten with ∂Ŵ) and the factors, ∂Ŵ and ∂M̂ (into <paramref name="dM"/>).</summary>
    internal static unsafe void WeightBackward(float* dW, float* tanhW, float* sigmoidM, long count, float* dM)
    {
        for (long i = 0; i < count; i++)
        {
            float tanh = tanhW[i], sigmoid = sigmoidM[i];
            dM[i] = dW[i] * tanh * sigmoid * (1f - sigmoid);
            dW[i] *= sigmoid * (1f - (tanh * tanh));
        }
    }
}

/// <summary>
/// The NALU's arithmetic (Trask et al. 2018, eq. 2), in one place for the module and the kernel: with the NAC's W,
/// a = x·W, m = exp(log(|x| + ε)·W), g = σ(x·G), y = g ⊙ a + (1 − g) ⊙ m. Backward: ∂a = ∂y ⊙ g,
/// ∂(log(|x| + ε)·W) = ∂y ⊙ (1 − g) ⊙ m, ∂(x·G) = ∂y ⊙ (a − m) ⊙ g ⊙ (1 − g), and through the log
/// ∂x += ∂ℓ ⊙ sign(x) / (|x| + ε) (sign(0) = 0, as libtorch's |x|).
/// </summary>
public static class NaluMath
{
    /// <summary>y for x [..., in], the NAC's W [in, out] and the gate weights G [in, out], as tensors.</summary>
    public static Tensor Forward(Tensor input, Tensor weight, Tensor gate, double epsilon)
    {
        using var scope = NewDisposeScope();
        Tensor add = input.matmul(weight);
        Tensor multiply = exp(log(input.abs().Plus(epsilon)).matmul(weight));
        Tensor g = sigmoid(input.matmul(gate));
        return (g * add).Plus(g.SubtractedFrom(1) * multiply).MoveToOuterDisposeScope();
    }

    /// <summary>log(|x| + ε), element by element: the multiplicative path's input.</summary>
    internal static unsafe void Log(float* x, long count, float epsilon, float* log)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Log<Vec512>(x, count, epsilon, log);
                break;
            case SimdWidth.Bits256:
                Log<Vec256>(x, count, epsilon, log);
                break;
            default:
                Log<Vec128>(x, count, epsilon, log);
                break;
        }
    }

    private static unsafe void Log<TV>(float* x, long count, float epsilon, float* log)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            TV.Log(TV.Abs(TV.Load(x + i)) + TV.Create(epsilon)).Store(log + i);
        }

        for (; i < count; i++)
        {
            log[i] = MathF.Log(MathF.Abs(x[i]) + epsilon);
        }
    }

    /// <summary>
    /// One output: from a, ℓ·W and x·G, y = g·a + (1 − g)·exp(ℓ·W); returns y and gives m = exp(ℓ·W) and g (kept for the backward pass).
    /// </summary>
    internal static float Mix(float add, float logProduct, float gateInput, out float multiply, out float gate)
    {
        multiply = MathF.Exp(logProduct);
        gate = 1f / (1f + MathF.Exp(-gateInput));
        return (gate * add) + ((1f - gate) * multiply);
    }

    /// <summary>One output's backward pass: from ∂y, a, m and g, ∂a, ∂(ℓ·W) and ∂(x·G).</summary>
    internal static (float DAdd, float DLogProduct, float DGateInput) MixBackward(float dy, float add, float multiply, float gate) =>
        (dy * gate, dy * (1f - gate) * multiply, dy * (add - multiply) * gate * (1f - gate));

    /// <summary>∂ℓ ⊙ d log(|x| + ε)/dx = ∂ℓ ⊙ sign(x) / (|x| + ε), in place over <paramref name="count"/> elements.</summary>
    internal static unsafe void LogBackward(float* dLog, float* x, long count, float epsilon)
    {
        for (long i = 0; i < count; i++)
        {
            float value = x[i];
            dLog[i] = value == 0f ? 0f : dLog[i] * MathF.Sign(value) / (MathF.Abs(value) + epsilon);
        }
    }
}
