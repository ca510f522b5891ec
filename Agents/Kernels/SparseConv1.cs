using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The encoder's first convolution (16 @ 8x8 stride 4 over [3, 56, 56], with its ReLU) and its weight gradient over
/// an image's nonzero inputs only. The grid world's pictures are black but for two squares (the red target, the green
/// agent: about 240 of the 9,408 inputs), and an input of 0 adds nothing to a sum: each nonzero input is multiplied
/// into the at most 2 x 2 output pixels whose patches hold it, about a fortieth of the dense kernels' work.
/// <para>
/// The same result as <see cref="FastConvolutions"/>' dense kernels, to the bit: every sum takes the same products in
/// the same order (an output pixel's patch in (channel, row, column) order; a weight's gradient image by image, output
/// pixel by output pixel, one fused multiply-add each) and leaves out only products with an input of exactly 0, which
/// change no finite sum but for the sign of a zero: a weight's gradient that underflows to −0 stays −0 here, where the
/// dense kernel's next product with a black input makes it +0 (equal as numbers; the forward pass's ReLU makes every
/// zero +0). Where the weights or gradients are not all finite (0 · ∞ is NaN, which the dense sum would carry) or an
/// image has more than <see cref="MaximumNonzero"/> nonzero inputs, <see cref="FastConvolutions"/> runs the dense
/// kernels (tests/Agents/SparseConv1Tests).
/// </para>
/// </summary>
internal static unsafe class SparseConv1
{
    private const int Side = 56, Channels = 3, Out1 = 16, Kernel1 = 8, Stride1 = 4, Side1 = 13;
    private const int Plane = Side * Side;

    /// <summary>Inputs of one image: 3 x 56 x 56.</summary>
    internal const int ImageInputs = Channels * Plane;

    /// <summary>conv1's output floats for one image: 13 x 13 pixels x 16 channels.</summary>
    internal const int OutputFloats = Side1 * Side1 * Out1;

    /// <summary>
    /// The most nonzero inputs an image may have to go through here (an eighth of them); a denser image goes through the
    /// dense kernel. At about this many (pictures with four lit 17 x 17 squares) the two convolutions' forward pass over
    /// 12 pictures took 105 µs with the sparse conv1 against 108 µs with the dense one at 512 bits, 141 against 211 at
    /// 256 and 206 against 409 at 128 (one core of an Intel Xeon, Emerald Rapids; the grid world's own pictures: 88
    /// against 213 at 256 bits): near where the dense kernel catches up at 512 bits.
    /// </summary>
    internal const int MaximumNonzero = ImageInputs / 8;

    [ThreadStatic]
    private static bool denseOnThisThread;

    /// <summary>Whether <see cref="FastConvolutions"/> on this thread may take an image through here (else every image goes through the dense kernels).</summary>
    internal static bool InUse => !denseOnThisThread;

    /// <summary>For tests and measurements: until the result is disposed, every image on this thread goes through the dense kernels.</summary>
    internal static IDisposable DenseOnThisThread()
    {
        bool before = denseOnThisThread;
        denseOnThisThread = true;
        return new Simd.Restore(() => denseOnThisThread = before);
    }

    /// <summary>
    /// Image <paramref name="b"/>'s nonzero inputs of <paramref name="pixels"/> [B, 3, 56, 56] (uint8 when
    /// <paramref name="bytes"/>, divided by 255 as <see cref="FastConvolutions.DividedBy255"/> does, else float32), as
    /// runs along its rows in the image's order: run i is <paramref name="runs"/>[3i..3i+2] = (row c·56 + y, first
    /// column, length), its values next in <paramref name="values"/>. Each buffer has room for
    /// <see cref="MaximumNonzero"/> runs (three ints each) or values.
    /// </summary>
    /// <returns>How many runs there are, or -1 when there are more than <see cref="MaximumNonzero"/> nonzero inputs.</returns>
    internal static int FindRuns(byte* pixels, bool bytes, int b, int* runs, float* values)
    {
        int runCount = 0, valueCount = 0;
        ref float quotients = ref MemoryMarshal.GetArrayDataReference(Quotients);
        byte* imageBytes = pixels + ((long)b * ImageInputs);
        float* imageFloats = (float*)pixels + ((long)b * ImageInputs);
        for (int row = 0; row < Channels * Side; row++)
        {
            byte* rowBytes = imageBytes + (row * Side);
            float* rowFloats = imageFloats + (row * Side);
            ulong nonzero = bytes ? NonzeroBytes(rowBytes) : NonzeroFloats(rowFloats);
            while (nonzero != 0)
            {
                int first = BitOperations.TrailingZeroCount(nonzero);
                int length = BitOperations.TrailingZeroCount(~(nonzero >> first));
                if (valueCount + length > MaximumNonzero)
                {
                    return -1;
                }

                runs[3 * runCount] = row;
                runs[(3 * runCount) + 1] = first;
                runs[(3 * runCount) + 2] = length;
                runCount++;
                for (int x = first; x < first + length; x++)
                {
                    values[valueCount++] = bytes ? Unsafe.Add(ref quotients, rowBytes[x]) : rowFloats[x];
                }

                nonzero &= ~(((1UL << length) - 1) << first);
            }
        }

        return runCount;
    }

    /// <summary>x / 255 for every byte x, correctly rounded (as <see cref="FastConvolutions.DividedBy255"/> gives it): a division is slow.</summary>
    private static readonly float[] Quotients = [.. Enumerable.Range(0, 256).Select(x => x / 255f)];

    /// <summary>
    /// conv1's output after ReLU for one image from its nonzero inputs (<see cref="FindRuns"/>) into
    /// <paramref name="hidden"/> [169, 16] (channels-last), with the weights arranged [(c, ky, kx), 16]
    /// (<paramref name="w1k"/>, 192 x 16) and <paramref name="bias"/> [16].
    /// </summary>
    /// <returns>The multiply-adds done (16 per nonzero input and output pixel whose patch holds it).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long Forward<TV>(int runCount, int* runs, float* values, float* w1k, float* bias, float* hidden)
        where TV : unmanaged, ISimdVector<TV>
    {
        for (int p = 0; p < Side1 * Side1; p++)
        {
            for (int j = 0; j < Out1; j += TV.Count)
            {
                TV.Load(bias + j).Store(hidden + (p * Out1) + j);
            }
        }

        // Run by run in the image's order, and within a run column by column, so that each output pixel takes its
        // patch's inputs in (channel, row, column) order, as the dense kernel does.
        long products = 0;
        float* value = values;
        for (int r = 0; r < runCount; r++)
        {
            (int c, int y, int first, int last) = Run(runs, r);

            // A row inside the picture lies in two output rows' patches (as kernel rows ky and ky − 4): both output
            // pixels' sums at once, two chains of multiply-adds in flight where one would wait on each addition.
            int oy = First(y), rows = Last(y) - oy + 1;
            float* weightRow = w1k + (Weight(c, y - (Stride1 * oy), 0) * Out1);
            for (int ox = First(first), lastX = Last(last); ox <= lastX; ox++)
            {
                int from = Math.Max(first, Stride1 * ox), to = Math.Min(last, (Stride1 * ox) + Kernel1 - 1);
                float* weights = weightRow + ((from - (Stride1 * ox)) * Out1), sums = hidden + (((oy * Side1) + ox) * Out1);
                if (rows == 2)
                {
                    AddProductsTwice<TV>(value + (from - first), weights, weights - (Stride1 * Kernel1 * Out1), to - from + 1, sums, sums + (Side1 * Out1));
                }
                else
                {
                    AddProducts<TV>(value + (from - first), weights, to - from + 1, sums);
                }

                products += rows * (to - from + 1);
            }

            value += last - first + 1;
        }

        TV zero = TV.Zero;
        for (int j = 0; j < OutputFloats; j += TV.Count)
        {
            TV.Max(TV.Load(hidden + j), zero).Store(hidden + j);
        }

        return products * Out1;
    }

    /// <summary>
    /// Adds one image's share of conv1's weight gradient from its nonzero inputs (<see cref="FindRuns"/>) and the
    /// gradient of its pre-activation output <paramref name="d1"/> [169, 16]: <paramref name="dw1"/>[(c, ky, kx)][o] +=
    /// Σ over output pixels (y, x) of image[c, 4y + ky, 4x + kx] · d1[(y, x)][o].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void AddWeightGradient<TV>(int runCount, int* runs, float* values, float* d1, float* dw1)
        where TV : unmanaged, ISimdVector<TV>
    {
        // Each weight takes the output pixels in their order: a weight's row ky fixes the output row of an input row,
        // and along a run the output columns come in order.
        float* value = values;
        for (int r = 0; r < runCount; r++)
        {
            (int c, int y, int first, int last) = Run(runs, r);
            for (int oy = First(y), lastY = Last(y); oy <= lastY; oy++)
            {
                float* gradientRow = dw1 + (Weight(c, y - (Stride1 * oy), 0) * Out1);
                for (int ox = First(first), lastX = Last(last); ox <= lastX; ox++)
                {
                    int from = Math.Max(first, Stride1 * ox), to = Math.Min(last, (Stride1 * ox) + Kernel1 - 1);
                    SpreadProducts<TV>(value + (from - first), d1 + (((oy * Side1) + ox) * Out1), to - from + 1, gradientRow + ((from - (Stride1 * ox)) * Out1));
                }
            }

            value += last - first + 1;
        }
    }

    /// <summary>Whether all <paramref name="length"/> floats (a multiple of the vector's length) are finite.</summary>
    internal static bool AllFinite<TV>(float* data, int length)
        where TV : unmanaged, ISimdVector<TV>
    {
        // x − x is 0 for a finite x and NaN for ±∞ and NaN, and a sum with a NaN in it is NaN.
        TV sum = TV.Zero;
        for (int i = 0; i < length; i += TV.Count)
        {
            TV x = TV.Load(data + i);
            sum += x - x;
        }

        return TV.Sum(sum) == 0;
    }

    /// <summary>
    /// sum[o] += Σ_i v[i] · w[16i + o] for i = 0..count-1 in order, the 16 channels' sums in registers (one vector at 512
    /// bits, two at 256, four at 128: written out per width, as the JIT does not unroll a loop over them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddProducts<TV>(float* v, float* w, int count, float* sum)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        if (n == Out1)
        {
            TV s0 = TV.Load(sum);
            for (int i = 0; i < count; i++, w += Out1)
            {
                TV.AddProduct(v[i], TV.Load(w), ref s0);
            }

            s0.Store(sum);
        }
        else if (2 * n == Out1)
        {
            TV s0 = TV.Load(sum), s1 = TV.Load(sum + n);
            for (int i = 0; i < count; i++, w += Out1)
            {
                TV.AddProduct(v[i], TV.Load(w), ref s0);
                TV.AddProduct(v[i], TV.Load(w + n), ref s1);
            }

            s0.Store(sum);
            s1.Store(sum + n);
        }
        else
        {
            TV s0 = TV.Load(sum), s1 = TV.Load(sum + n), s2 = TV.Load(sum + (2 * n)), s3 = TV.Load(sum + (3 * n));
            for (int i = 0; i < count; i++, w += Out1)
            {
                TV.AddProduct(v[i], TV.Load(w), ref s0);
                TV.AddProduct(v[i], TV.Load(w + n), ref s1);
                TV.AddProduct(v[i], TV.Load(w + (2 * n)), ref s2);
                TV.AddProduct(v[i], TV.Load(w + (3 * n)), ref s3);
            }

            s0.Store(sum);
            s1.Store(sum + n);
            s2.Store(sum + (2 * n));
            s3.Store(sum + (3 * n));
        }
    }

    /// <summary>
    /// <see cref="AddProducts"/> for two sums at once, with the same inputs <paramref name="v"/> and their own weights:
    /// sumA[o] += Σ_i v[i] · wA[16i + o] and sumB[o] += Σ_i v[i] · wB[16i + o], each in order of i.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddProductsTwice<TV>(float* v, float* wA, float* wB, int count, float* sumA, float* sumB)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        if (n == Out1)
        {
            TV a0 = TV.Load(sumA), b0 = TV.Load(sumB);
            for (int i = 0; i < count; i++, wA += Out1, wB += Out1)
            {
                TV.AddProduct(v[i], TV.Load(wA), ref a0);
                TV.AddProduct(v[i], TV.Load(wB), ref b0);
            }

            a0.Store(sumA);
            b0.Store(sumB);
        }
        else if (2 * n == Out1)
        {
            TV a0 = TV.Load(sumA), a1 = TV.Load(sumA + n), b0 = TV.Load(sumB), b1 = TV.Load(sumB + n);
            for (int i = 0; i < count; i++, wA += Out1, wB += Out1)
            {
                TV.AddProduct(v[i], TV.Load(wA), ref a0);
                TV.AddProduct(v[i], TV.Load(wA + n), ref a1);
                TV.AddProduct(v[i], TV.Load(wB), ref b0);
                TV.AddProduct(v[i], TV.Load(wB + n), ref b1);
            }

            a0.Store(sumA);
            a1.Store(sumA + n);
            b0.Store(sumB);
            b1.Store(sumB + n);
        }
        else
        {
            AddProducts<TV>(v, wA, count, sumA);
            AddProducts<TV>(v, wB, count, sumB);
        }
    }

    /// <summary>sums[16i + o] += v[i] · g[o] for i = 0..count-1 and the 16 channels, g held in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SpreadProducts<TV>(float* v, float* g, int count, float* sums)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        if (n == Out1)
        {
            TV g0 = TV.Load(g);
            for (int i = 0; i < count; i++, sums += Out1)
            {
                TV s0 = TV.Load(sums);
                TV.AddProduct(v[i], g0, ref s0);
                s0.Store(sums);
            }
        }
        else if (2 * n == Out1)
        {
            TV g0 = TV.Load(g), g1 = TV.Load(g + n);
            for (int i = 0; i < count; i++, sums += Out1)
            {
                TV s0 = TV.Load(sums), s1 = TV.Load(sums + n);
                TV.AddProduct(v[i], g0, ref s0);
                TV.AddProduct(v[i], g1, ref s1);
                s0.Store(sums);
                s1.Store(sums + n);
            }
        }
        else
        {
            TV g0 = TV.Load(g), g1 = TV.Load(g + n), g2 = TV.Load(g + (2 * n)), g3 = TV.Load(g + (3 * n));
            for (int i = 0; i < count; i++, sums += Out1)
            {
                TV s0 = TV.Load(sums), s1 = TV.Load(sums + n), s2 = TV.Load(sums + (2 * n)), s3 = TV.Load(sums + (3 * n));
                TV.AddProduct(v[i], g0, ref s0);
                TV.AddProduct(v[i], g1, ref s1);
                TV.AddProduct(v[i], g2, ref s2);
                TV.AddProduct(v[i], g3, ref s3);
                s0.Store(sums);
                s1.Store(sums + n);
                s2.Store(sums + (2 * n));
                s3.Store(sums + (3 * n));
            }
        }
    }

    /// <summary>Run <paramref name="r"/>'s channel, row and first and last columns (<see cref="FindRuns"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int C, int Y, int First, int Last) Run(int* runs, int r)
    {
        int row = runs[3 * r], first = runs[(3 * r) + 1], c = row / Side;
        return (c, row - (c * Side), first, first + runs[(3 * r) + 2] - 1);
    }

    /// <summary>Bit x set where byte x of a row of 56 is not 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonzeroBytes(byte* row)
    {
        // Bytes 40-55 last: the row's end, overlapping 40-47, so nothing past the row is read.
        Vector128<byte> a = Vector128.Load(row), b = Vector128.Load(row + 16), c = Vector128.Load(row + 32), d = Vector128.Load(row + 40);
        if ((a | b | c | d) == Vector128<byte>.Zero)
        {
            return 0; // most rows of a grid-world picture
        }

        static ulong Set(Vector128<byte> x) => ~Vector128.Equals(x, Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFFUL;
        return Set(a) | (Set(b) << 16) | (Set(c) << 32) | (Set(d) << 40);
    }

    /// <summary>Bit x set where float x of a row of 56 is not 0 (NaN is not equal to 0, so it is kept and carried as the dense sum carries it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonzeroFloats(float* row)
    {
        ulong set = 0;
        for (int x = 0; x < Side; x += Vector128<float>.Count)
        {
            set |= (~Vector128.Equals(Vector128.Load(row + x), Vector128<float>.Zero).ExtractMostSignificantBits() & 0xFUL) << x;
        }

        return set;
    }

    /// <summary>The first output row (or column) whose patch holds input row (or column) t: the least o ≥ 0 with t − 4o ≤ 7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int First(int t) => Math.Max(0, t - (Kernel1 - Stride1)) / Stride1;

    /// <summary>The last output row (or column) whose patch holds input row (or column) t: the greatest o ≤ 12 with 4o ≤ t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Last(int t) => Math.Min(Side1 - 1, t / Stride1);

    /// <summary>The index of weight (c, ky, kx) in a patch's 192, as <see cref="FastConvolutions"/> orders them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Weight(int c, int ky, int kx) => (((c * Kernel1) + ky) * Kernel1) + kx;
}
