using System.Runtime.CompilerServices;

namespace GridTime.Agents.Kernels;

/// <summary>
/// Lane-wise eˣ in float arithmetic, one formula at every vector width: Cephes' <c>expf</c> (S. L. Moshier, Cephes
/// Math Library, 1984-1992): n = round(x·log₂e), r = x − n·ln 2 with ln 2 in two parts (Cody and Waite, so that r
/// is exact to float rounding), e^r by a degree-5 polynomial in r, then 2ⁿ into the exponent bits. Within 1 ulp of
/// eˣ rounded to float (maximum relative error 8.3e-8 over [−87, 88], every 0.0007, against double-precision
/// Math.Exp); +∞ above 88.376 (where 2ⁿ would need n = 128) and 0 below −87.337 (where eˣ is a subnormal, below
/// 1.2e-38); NaN stays NaN.
/// <para>
/// Why not .NET's <c>Vector256.Exp</c>: for floats it computes in doubles, two double vectors per float vector;
/// on a Zen 5 core at 256 bits it took 7.3 ns a vector against 3.1 for this one, and the LSTM's gates take five
/// exponentials per cell, 40,960 per acting step of 32 environments.
/// </para>
/// </summary>
internal static class VectorExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f; // Ln2High + Ln2Low = ln 2; Ln2High has 9 significant bits, so n·Ln2High is exact
    private const float Overflow = 88.3762626647949f, Underflow = -87.3365447505531f;

    /// <summary>eˣ for each lane of <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Of<TV>(TV x)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV n = TV.Round(x * TV.Create(Log2E));
        TV r = TV.MultiplyAdd(n, TV.Create(-Ln2High), x);
        r = TV.MultiplyAdd(n, TV.Create(-Ln2Low), r);
        TV p = TV.Create(1.9875691500e-4f);
        p = TV.MultiplyAdd(p, r, TV.Create(1.3981999507e-3f));
        p = TV.MultiplyAdd(p, r, TV.Create(8.3334519073e-3f));
        p = TV.MultiplyAdd(p, r, TV.Create(4.1665795894e-2f));
        p = TV.MultiplyAdd(p, r, TV.Create(1.6666665459e-1f));
        p = TV.MultiplyAdd(p, r, TV.Create(5.0000001201e-1f));
        TV y = TV.MultiplyAdd(p, r * r, r) + TV.One; // e^r = 1 + r + r²·p(r)
        TV result = y * TV.PowerOfTwo(n);
        result = TV.Select(TV.GreaterThan(x, TV.Create(Overflow)), TV.Create(float.PositiveInfinity), result);
        return TV.Select(TV.LessThan(x, TV.Create(Underflow)), TV.Zero, result);
    }
}
