using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// Gradient clipping by the total norm, as <c>torch.nn.utils.clip_grad_norm_</c> with the 2-norm (Pascanu et al. 2013):
/// N = ‖(g₁, …, gₙ)‖₂ over every parameter's gradient together, and each gradient scaled by
/// maxNorm / (N + 10⁻⁶) where that is below 1 (PyTorch's coefficient, clamped to 1: unclipped gradients are unchanged).
/// <para>
/// Why: TorchSharp's <c>clip_grad_norm_</c> forms one norm per parameter through libtorch, then multiplies every
/// gradient by the clamped coefficient, 1 included: 0.95 ms of a 43 ms update for nac's 757,574 parameters (256 bits,
/// Intel Xeon, Emerald Rapids), two passes and a write over 3 MB. Here the squares are summed in one read pass
/// (each parameter's in float vector lanes, the parameters' sums in double), and the gradients are written only
/// when clipped. Where the kernels are off (<see cref="Simd.Width"/>), or a gradient is not contiguous float32 on the
/// CPU, libtorch's own runs.
/// </para>
/// </summary>
public static unsafe class GradientClipping
{
    /// <summary>
    /// Clips the gradients of <paramref name="parameters"/> (those without one are left out) to a total 2-norm of at
    /// most <paramref name="maxNorm"/>, in place, and gives their total norm before clipping: NaN or infinity where
    /// any gradient holds one, and then GridTime's pass changes no gradient, where libtorch's (kernels off, or a gradient
    /// not contiguous float32 on the CPU) scales them as PyTorch does, by NaN or to zeros: a caller skips such an update
    /// either way, as training does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive and finite.</exception>
    public static double ClipByTotalNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        if (!(maxNorm > 0 && double.IsFinite(maxNorm)))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "the largest norm must be positive and finite");
        }

        Tensor?[] gradients = [.. parameters.Select(p => p.grad)];
        try
        {
            if (Simd.Width == SimdWidth.Off || gradients.Any(g => g is not null && !(g.dtype == ScalarType.Float32 && g.device_type == DeviceType.CPU && g.is_contiguous())))
            {
                return nn.utils.clip_grad_norm_(parameters, maxNorm);
            }

            double squares = 0;
            foreach (Tensor? gradient in gradients)
            {
                if (gradient is not null)
                {
                    float* g = ParameterMemory.Data(gradient);
                    squares += SumOfSquares(g, gradient.numel());
                }
            }

            double norm = Math.Sqrt(squares), coefficient = maxNorm / (norm + 1e-6);
            if (double.IsFinite(norm) && coefficient < 1)
            {
                foreach (Tensor? gradient in gradients)
                {
                    if (gradient is not null)
                    {
                        Scale(ParameterMemory.Data(gradient), gradient.numel(), (float)coefficient);
                    }
                }
            }

            return norm;
        }
        finally
        {
            foreach (Tensor? gradient in gradients)
            {
                gradient?.Dispose(); // the grad getter made a new wrapper for each
            }
        }
    }

    private static double SumOfSquares(float* x, long count)
    {
        double total = 0;
        for (long start = 0; start < count; start += int.MaxValue / 2)
        {
            int length = (int)Math.Min(count - start, int.MaxValue / 2);
            total += ParameterMemory.Dot(x + start, x + start, length);
        }

        return total;
    }

    private static void Scale(float* x, long count, float factor)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Scale<Vec512>(x, count, factor);
                break;
            case SimdWidth.Bits256:
                Scale<Vec256>(x, count, factor);
                break;
            default:
                Scale<Vec128>(x, count, factor);
                break;
        }
    }

    private static void Scale<TV>(float* x, long count, float factor)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            (TV.Load(x + i) * TV.Create(factor)).Store(x + i);
        }

        for (; i < count; i++)
        {
            x[i] *= factor;
        }
    }
}
