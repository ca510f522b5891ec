namespace GridTime.Agents.Kernels;

/// <summary>
/// One Adam step over a parameter's four arrays in one vectorised pass (Kingma &amp; Ba 2015, Algorithm 1, with
/// the bias corrections folded into the step size and the second moment's root):
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p + stepSize·m / (√v / √(1 − β₂ᵗ) + ε).
/// As tensor operations it was nine passes, and it runs while the other workers wait for the optimiser's lock.
/// Every lane computes exactly what the scalar loop computes (no fused operations), so every width, and
/// <see cref="SimdWidth.Off"/> (the scalar loop alone), gives the same parameters.
/// </summary>
public static unsafe class AdamStep
{
    /// <summary>
    /// Updates <paramref name="count"/> parameters <paramref name="p"/> and their moments <paramref name="m"/>,
    /// <paramref name="v"/> in place from the gradient <paramref name="g"/>; <paramref name="keep1"/> and
    /// <paramref name="keep2"/> are 1 − β₁ and 1 − β₂ (rounded from double by the caller), <paramref name="stepSize"/>
    /// −lr / (1 − β₁ᵗ) and <paramref name="rootCorrection2"/> √(1 − β₂ᵗ).
    /// </summary>
    public static void Apply(float* p, float* g, float* m, float* v, long count, float beta1, float beta2, float keep1, float keep2, float stepSize, float rootCorrection2, float epsilon)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Apply<Vec512>(p, g, m, v, count, beta1, beta2, keep1, keep2, stepSize, rootCorrection2, epsilon);
                break;
            case SimdWidth.Bits256:
                Apply<Vec256>(p, g, m, v, count, beta1, beta2, keep1, keep2, stepSize, rootCorrection2, epsilon);
                break;
            case SimdWidth.Bits128:
                Apply<Vec128>(p, g, m, v, count, beta1, beta2, keep1, keep2, stepSize, rootCorrection2, epsilon);
                break;
            default:
                Tail(p, g, m, v, 0, count, beta1, beta2, keep1, keep2, stepSize, rootCorrection2, epsilon);
                break;
        }
    }

    /// <summary>
    /// <see cref="Apply(float*, float*, float*, float*, long, float, float, float, float, float, float, float)"/> from an
    /// optimizer's settings in double: β₁, β₂, ε, the step size −lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ), each rounded to float here
    /// (1 − β₁ and 1 − β₂ from the doubles), so every optimizer on the kernel rounds them the same way.
    /// </summary>
    public static void Apply(float* p, float* g, float* m, float* v, long count, double beta1, double beta2, double epsilon, double stepSize, double rootCorrection2) =>
        Apply(p, g, m, v, count, (float)beta1, (float)beta2, (float)(1 - beta1), (float)(1 - beta2), (float)stepSize, (float)rootCorrection2, (float)epsilon);

    private static void Apply<TV>(float* p, float* g, float* m, float* v, long count, float beta1, float beta2, float keep1, float keep2, float stepSize, float rootCorrection2, float epsilon)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            TV gi = TV.Load(g + i);
            TV mi = (TV.Create(beta1) * TV.Load(m + i)) + (TV.Create(keep1) * gi);
            TV vi = (TV.Create(beta2) * TV.Load(v + i)) + (TV.Create(keep2) * gi * gi);
            TV denominator = (TV.Sqrt(vi) / TV.Create(rootCorrection2)) + TV.Create(epsilon);
            mi.Store(m + i);
            vi.Store(v + i);
            (TV.Load(p + i) + (TV.Create(stepSize) * mi / denominator)).Store(p + i);
        }

        Tail(p, g, m, v, i, count, beta1, beta2, keep1, keep2, stepSize, rootCorrection2, epsilon);
    }

    private static void Tail(float* p, float* g, float* m, float* v, long from, long count, float beta1, float beta2, float keep1, float keep2, float stepSize, float rootCorrection2, float epsilon)
    {
        for (long i = from; i < count; i++)
        {
            m[i] = (beta1 * m[i]) + (keep1 * g[i]);
            v[i] = (beta2 * v[i]) + (keep2 * g[i] * g[i]);
            p[i] += stepSize * m[i] / ((MathF.Sqrt(v[i]) / rootCorrection2) + epsilon);
        }
    }
}
