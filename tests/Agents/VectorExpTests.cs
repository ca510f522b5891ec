using GridTime.Agents.Kernels;

namespace GridTime.Tests.Agents;

/// <summary>The kernels' eˣ (<see cref="VectorExp"/>): within 1 ulp of eˣ rounded to float, the same value at every width, and its edges.</summary>
public sealed unsafe class VectorExpTests
{
    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    [Theory]
    [MemberData(nameof(Widths))]
    public void WithinOneUlpOfTheExponentialOverTheFloatRange(SimdWidth width)
    {
        // Every 0.0007 from −87 to 88 (250,000 values), against double-precision Math.Exp rounded to float.
        float[] x = [.. Enumerable.Range(0, 250_000).Select(i => -87f + (0.0007f * i))];
        float[] e = Exp(width, x);
        int worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(e[i]) - BitConverter.SingleToInt32Bits((float)Math.Exp(x[i])));
            Assert.True(ulps <= 1, $"e^{x[i]:R} = {e[i]:R}, {ulps} ulps from {(float)Math.Exp(x[i]):R}");
            worst = Math.Max(worst, ulps);
        }

        Assert.Equal(1, worst); // a formula that were exact everywhere would be another one
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void TheSameValueAtEveryWidth(SimdWidth width)
    {
        float[] x = [.. Enumerable.Range(0, 4096).Select(i => -90f + (0.0443f * i))];
        Assert.Equal(Exp(SimdWidth.Bits128, x), Exp(width, x));
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void EdgesGiveOneZeroInfinityAndKeepNaN(SimdWidth width)
    {
        float[] x = [0f, 1f, -1f, 88.37f, 88.4f, 1000f, float.PositiveInfinity, -87.33f, -87.34f, -1000f, float.NegativeInfinity, float.NaN];
        float[] e = Exp(width, x);
        Assert.Equal(1f, e[0]);
        Assert.Equal(MathF.E, e[1], 6);
        Assert.Equal(1f / MathF.E, e[2], 7);
        Assert.True(float.IsFinite(e[3]) && e[3] > 2.39e38f, $"e^88.37 = {e[3]}");
        Assert.Equal([float.PositiveInfinity, float.PositiveInfinity, float.PositiveInfinity], e[4..7]);
        Assert.True(float.IsNormal(e[7]) && e[7] < 1.2e-38f, $"e^-87.33 = {e[7]}");
        Assert.Equal([0f, 0f, 0f], e[8..11]);
        Assert.True(float.IsNaN(e[11]));
    }

    // eˣ of every element at one width (the length a multiple of four vectors of the widest width).
    private static float[] Exp(SimdWidth width, float[] x)
    {
        Assert.Contains(width, Simd.Runnable);
        float[] padded = [.. x, .. new float[(16 - (x.Length % 16)) % 16]];
        var e = new float[padded.Length];
        fixed (float* source = padded, target = e)
        {
            switch (width)
            {
                case SimdWidth.Bits512:
                    Apply<Vec512>(source, target, padded.Length);
                    break;
                case SimdWidth.Bits256:
                    Apply<Vec256>(source, target, padded.Length);
                    break;
                default:
                    Apply<Vec128>(source, target, padded.Length);
                    break;
            }
        }

        return e[..x.Length];
    }

    private static void Apply<TV>(float* source, float* target, int length)
        where TV : unmanaged, ISimdVector<TV>
    {
        for (int i = 0; i < length; i += TV.Count)
        {
            VectorExp.Of(TV.Load(source + i)).Store(target + i);
        }
    }
}
