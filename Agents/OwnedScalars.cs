using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Agents;

/// <summary>
/// Tensor arithmetic with a number, written so that no <see cref="Scalar"/> is left to the finalizer.
/// <para>
/// Why: TorchSharp (0.107) turns a number into a <see cref="Scalar"/> implicitly (<c>t.clamp_max(8)</c>,
/// <c>0.5 * t</c>, <c>1 - t</c>), and <c>t + u</c> / <c>t.add_(u)</c> make one for alpha = 1 inside. Such a Scalar
/// owns a native <c>at::Scalar</c> and has a finalizer, but nothing keeps it alive: TorchSharp reads its
/// <c>Handle</c> (an <c>IntPtr</c>, not a SafeHandle) and calls libtorch without <c>GC.KeepAlive</c>, and never
/// disposes it. A collection started by another worker thread can then finalize it, freeing the at::Scalar while
/// libtorch still reads it: "Expected false to be true ... toFloat" or "Unknown scalar type" from libtorch, or a
/// segmentation fault (TorchSharp PRs #1434 and #1496 are about disposing these). <c>gridtime bench --soak</c> shows it
/// within a minute on the code before these helpers.
/// </para>
/// <para>
/// Each helper owns its Scalars in a <c>using</c> declaration: disposing them after the call keeps them reachable
/// until libtorch has returned, and frees the native memory at once instead of in a finalizer.
/// <c>NoImplicitScalarTests</c> fails when code on the training, evaluation or export paths uses a number where
/// TorchSharp takes a Scalar, or an operation that makes one inside.
/// </para>
/// </summary>
public static class OwnedScalars
{
    /// <summary><paramref name="a"/> + <paramref name="b"/> (TorchSharp's <c>+</c> makes an alpha Scalar it leaves to the finalizer).</summary>
    public static Tensor Plus(this Tensor a, Tensor b)
    {
        using Scalar one = 1.ToScalar();
        return a.add(b, one);
    }

    /// <summary><paramref name="a"/> += <paramref name="b"/> in place; returns <paramref name="a"/>.</summary>
    public static Tensor AddInPlace(this Tensor a, Tensor b)
    {
        using Scalar one = 1.ToScalar();
        return a.add_(b, one);
    }

    /// <summary><paramref name="a"/> + <paramref name="number"/>.</summary>
    public static Tensor Plus(this Tensor a, double number)
    {
        using Scalar value = number.ToScalar(), one = 1.ToScalar();
        return a.add(value, one);
    }

    /// <summary><paramref name="number"/> − <paramref name="a"/>.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double number)
    {
        using Tensor negative = a.neg();
        return negative.Plus(number);
    }

    /// <summary><paramref name="a"/> · <paramref name="number"/>.</summary>
    public static Tensor Times(this Tensor a, double number)
    {
        using Scalar value = number.ToScalar();
        return a.mul(value);
    }

    /// <summary><paramref name="a"/> / <paramref name="number"/> in place; returns <paramref name="a"/>.</summary>
    public static Tensor DivideInPlace(this Tensor a, double number)
    {
        using Scalar value = number.ToScalar();
        return a.div_(value);
    }

    /// <summary>min(<paramref name="a"/>, <paramref name="max"/>) elementwise.</summary>
    public static Tensor ClampMax(this Tensor a, double max)
    {
        using Scalar value = max.ToScalar();
        return a.clamp_max(value);
    }

    /// <summary>max(<paramref name="a"/>, <paramref name="min"/>) elementwise.</summary>
    public static Tensor ClampMin(this Tensor a, double min)
    {
        using Scalar value = min.ToScalar();
        return a.clamp_min(value);
    }

    /// <summary>Clamps <paramref name="a"/> into [<paramref name="min"/>, <paramref name="max"/>] in place; returns <paramref name="a"/>.</summary>
    public static Tensor ClampInPlace(this Tensor a, double min, double max)
    {
        using Scalar low = min.ToScalar(), high = max.ToScalar();
        return a.clamp_(low, high);
    }

    /// <summary><paramref name="a"/> raised to <paramref name="exponent"/> elementwise.</summary>
    public static Tensor Power(this Tensor a, double exponent)
    {
        using Scalar value = exponent.ToScalar();
        return a.pow(value);
    }
}
