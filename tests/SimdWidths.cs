using GridTime.Agents.Kernels;

namespace GridTime.Tests;

/// <summary>
/// Theory data that runs a test of GridTime's kernels at every vector width this machine runs
/// (<see cref="Simd.Runnable"/>: 128 and 256 bits on an AVX2 processor, and 512 with AVX-512), each row's test
/// forcing its width on its own thread (<see cref="Simd.ForceOnThisThread"/>). Nothing is skipped on a
/// processor with AVX2: the narrower widths run wherever a wider one does.
/// </summary>
internal static class SimdWidths
{
    /// <summary>One row per runnable width.</summary>
    public static TheoryData<SimdWidth> Each
    {
        get
        {
            var data = new TheoryData<SimdWidth>();
            foreach (SimdWidth width in Simd.Runnable)
            {
                data.Add(width);
            }

            return data;
        }
    }

    /// <summary>Every row of <paramref name="rows"/> at every runnable width (the width first).</summary>
    public static TheoryData<SimdWidth, T> Times<T>(TheoryData<T> rows)
    {
        var data = new TheoryData<SimdWidth, T>();
        foreach (SimdWidth width in Simd.Runnable)
        {
            foreach (T row in rows)
            {
                data.Add(width, row);
            }
        }

        return data;
    }

    /// <summary>Every row of <paramref name="rows"/> at every runnable width (the width first).</summary>
    public static TheoryData<SimdWidth, T1, T2> Times<T1, T2>(TheoryData<T1, T2> rows)
    {
        var data = new TheoryData<SimdWidth, T1, T2>();
        foreach (SimdWidth width in Simd.Runnable)
        {
            foreach (object[] row in rows)
            {
                data.Add(width, (T1)row[0], (T2)row[1]);
            }
        }

        return data;
    }

    /// <summary>Every row of <paramref name="rows"/> at every runnable width (the width first).</summary>
    public static TheoryData<SimdWidth, T1, T2, T3> Times<T1, T2, T3>(TheoryData<T1, T2, T3> rows)
    {
        var data = new TheoryData<SimdWidth, T1, T2, T3>();
        foreach (SimdWidth width in Simd.Runnable)
        {
            foreach (object[] row in rows)
            {
                data.Add(width, (T1)row[0], (T2)row[1], (T3)row[2]);
            }
        }

        return data;
    }

    /// <summary>Runs <paramref name="run"/> on this thread with GridTime's kernels off (libtorch's layers and autograd: the reference).</summary>
    public static T WithoutKernels<T>(Func<T> run)
    {
        using (Simd.ForceOnThisThread(SimdWidth.Off))
        {
            return run();
        }
    }
}
