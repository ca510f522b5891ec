using System.Runtime.CompilerServices;
namespace GridTime.Agents.Kernels;

/// <summary>
/// Single-precision matrix product C = A·B (or C += A·B) for row-major matrices, at the vector width of
/// <see cref="Simd.Width"/>.
/// <para>
/// Why it exists: libtorch's CPU matrix products go through Intel MKL, which on AMD processors takes its
/// generic AVX2 path, and at the network's sizes (batch 32, inner sizes 32-1024) pays a per-call overhead
/// that is a large share of the work. This is one register-blocked micro-kernel that packs B only where more than one
/// cache block of A's rows read more than one panel (the comment in <see cref="Multiply"/> says why; a caller that
/// multiplies by the same B many times packs it once: <see cref="Pack"/>): a block of
/// rows x two vectors of columns of C stays in registers while the inner dimension streams past, A read a
/// row at a time, B two vectors at a time. The block fits the register file of each width: 8 rows (16
/// accumulators of 32 registers) with AVX-512 and on ARM64, 6 rows (12 of 16) with AVX2 and SSE.
/// </para>
/// </summary>
public static unsafe class Sgemm
{
    /// <summary>
    /// C[m, n] (+)= Σ_k A[m, k]·B[k, n] for m &lt; <paramref name="m"/>, n &lt; <paramref name="n"/>,
    /// k &lt; <paramref name="k"/>. Rows of A, B and C are <paramref name="lda"/>, <paramref name="ldb"/>,
    /// <paramref name="ldc"/> floats apart; elements within a row are adjacent. Each C element is summed over k
    /// in order with fused multiply-adds, so every width gives the same result.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The kernels are off (<see cref="Simd.Width"/> is <see cref="SimdWidth.Off"/>).</exception>
    public static void Multiply(int m, int n, int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
    {
        // The product goes down B a panel of two vectors of columns at a time and reads every row of A for each panel. A
        // tall A (a rollout's 640 rows of ∂z, 2.6 MB) would come from the shared L3 cache once per panel, 16-19 times
        // a product at 256 bits: in blocks of rows that stay in the core's L2 it comes once, and B's panels (the
        // smaller operand) come once per block. Each C element is still one kernel's sum over all of k. With one panel
        // there is nothing to save; with two (an acting step's [W_ih | W_hh]·[x | h]ᵀ at 256 bits: 32 columns, 1.2 MB of
        // weights) A would come from L3 twice per step.
        //
        // B is then read once per block, and is packed first into adjacent panels: read in place, each row of a panel is
        // another cache line (two where a row's part of the panel straddles a line), and rows a multiple of 2 KiB
        // apart fall in the same few sets of the L1 cache (its sets repeat every 4 KiB), so a deep panel is read again
        // from L2 by every register block. In training on one core at 256 bits (AMD EPYC, Zen 4), the core's features'
        // gradient Σ∂y·W[:, :F] (B = W_ih's first 256 of 265 columns, 1024 rows deep) ran at 62-67 GFLOP/s from W in
        // place and 85-90 packed; the LSTM's weight gradient ∂zᵀ·h (h read from the state [h | c], 512 floats apart) took
        // 4.7 ms in place and 3.8 packed (Intel Xeon, Emerald Rapids); at 256 floats apart packing neither gained nor lost.
        int block = CacheBlockRows(k);
        if (m > block && n > PanelWidth)
        {
            float* packed = Scratch.Get(Scratch.PackedB, PackedCapacity(k, n));
            Pack(k, n, b, ldb, packed);
            MultiplyPacked(m, n, k, a, lda, packed, c, ldc, accumulate);
            return;
        }

        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Multiply<Vec512>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case SimdWidth.Bits256:
                Multiply<Vec256>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case SimdWidth.Bits128:
                Multiply<Vec128>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            default:
                throw new PlatformNotSupportedException("GridTime's kernels are off (GRIDTIME_SIMD=off, or no vector unit)");
        }
    }

    /// <summary>
    /// Columns per panel of a packed B (<see cref="Pack"/>): two vectors at the width in use (32 floats at 512 bits,
    /// 16 at 256, 8 at 128); 0 where the kernels are off.
    /// </summary>
    public static int PanelWidth => Simd.Width switch
    {
        SimdWidth.Bits512 => Columns<Vec512>(),
        SimdWidth.Bits256 => Columns<Vec256>(),
        SimdWidth.Bits128 => Columns<Vec128>(),
        _ => 0,
    };

    /// <summary>The widest <see cref="PanelWidth"/> of any width (512 bits).</summary>
    public const int WidestPanel = 32;

    /// <summary>Floats that hold B [<paramref name="k"/>, <paramref name="n"/>] packed at any width: k x n, n rounded up to <see cref="WidestPanel"/>.</summary>
    public static long PackedCapacity(int k, int n) => (long)k * ((n + WidestPanel - 1) / WidestPanel * WidestPanel);

    /// <summary>
    /// Copies B [<paramref name="k"/>, <paramref name="n"/>] (rows <paramref name="ldb"/> apart) into
    /// <paramref name="packed"/> (<see cref="PackedCapacity"/> floats hold it at every width) as panels
    /// of <see cref="PanelWidth"/> columns, each panel's k rows adjacent and the last panel's missing columns zero, for
    /// <see cref="MultiplyPacked"/>. Why: the product reads B a panel at a time down all k rows; from a row-major B whose
    /// rows are a kilobyte or more apart, each row of a panel is another cache line and page, and a product with few
    /// rows of A (a step's batch of 32) ran 6-20% slower than from adjacent panels (1024-deep products at 256 bits on a
    /// Zen 5 core).
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The kernels are off.</exception>
    public static void Pack(int k, int n, float* b, long ldb, float* packed)
    {
        int width = RequirePanelWidth();
        int full = n / width * width;
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                PackFullPanels<Vec512>(k, full, b, ldb, packed);
                break;
            case SimdWidth.Bits256:
                PackFullPanels<Vec256>(k, full, b, ldb, packed);
                break;
            default:
                PackFullPanels<Vec128>(k, full, b, ldb, packed);
                break;
        }

        // A part-filled last panel: B's last columns, then zeros.
        for (int j = full; j < n; j += width)
        {
            int columns = Math.Min(width, n - j);
            float* panel = packed + ((long)j * k);
            for (int p = 0; p < k; p++)
            {
                Span<float> row = new(panel + ((long)p * width), width);
                new ReadOnlySpan<float>(b + (p * ldb) + j, columns).CopyTo(row);
                row[columns..].Clear();
            }
        }
    }

    /// <summary>
    /// <see cref="Pack"/>'s whole panels (B's first <paramref name="columns"/>, a multiple of two vectors): each row of a
    /// panel two vector loads and stores (copied a row at a time through Span.CopyTo, W_hh's 1024 x 16 rows of 64 bytes
    /// were as many calls to a general copy).
    /// </summary>
    private static void PackFullPanels<TV>(int k, int columns, float* b, long ldb, float* packed)
        where TV : unmanaged, ISimdVector<TV>
    {
        int width = 2 * TV.Count;
        for (int j = 0; j < columns; j += width)
        {
            float* source = b + j, panel = packed + ((long)j * k);
            for (int p = 0; p < k; p++, source += ldb, panel += width)
            {
                TV.Load(source).Store(panel);
                TV.Load(source + TV.Count).Store(panel + TV.Count);
            }
        }
    }

    /// <summary>
    /// As <see cref="Pack"/> for B = Wᵀ [<paramref name="k"/>, <paramref name="n"/>], given W [n, k] (rows
    /// <paramref name="ldw"/> apart): the panels Pack makes of Wᵀ written out, each a transpose of a block of W's rows.
    /// Why: the encoder's linear layer y = x·W_fcᵀ + b for a step's few new frames reads each weight once from adjacent
    /// panels and writes y's rows as they are; W_fc is packed once per rollout without writing Wᵀ out first.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The kernels are off.</exception>
    public static void PackTransposed(int k, int n, float* w, long ldw, float* packed) => PackTransposed(k, n, w, ldw, packed, 0, k);

    /// <summary>
    /// As <see cref="PackTransposed(int, int, float*, long, float*)"/> for rows <paramref name="firstRow"/>..+k − 1 of a
    /// packed B of <paramref name="depth"/> rows: B's rows [firstRow, firstRow + k) = Wᵀ, given W [n, k] (rows
    /// <paramref name="ldw"/> apart). Why: [x | h]·[W_ih | W_hh]ᵀ takes its B from two weights, each packed into its own
    /// band of rows, without writing them side by side first.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The band does not fit in <paramref name="depth"/> rows.</exception>
    /// <exception cref="PlatformNotSupportedException">The kernels are off.</exception>
    public static void PackTransposed(int k, int n, float* w, long ldw, float* packed, int firstRow, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRow + k, depth);
        int width = RequirePanelWidth();
        for (int j = 0; j < n; j += width)
        {
            int columns = Math.Min(width, n - j);
            float* panel = packed + ((long)j * depth) + ((long)firstRow * width);
            if (columns == width)
            {
                FastLinear.Transpose(w + (j * ldw), width, k, ldw, panel); // panel[p, c] = W[j + c, p]
                continue;
            }

            // A part-filled last panel: W's last rows, then zeros.
            for (int p = 0; p < k; p++)
            {
                Span<float> row = new(panel + ((long)p * width), width);
                for (int c = 0; c < columns; c++)
                {
                    row[c] = w[((j + c) * ldw) + p];
                }

                row[columns..].Clear();
            }
        }
    }

    /// <summary>
    /// C (+)= A·B as <see cref="Multiply"/>, with B [<paramref name="k"/>, <paramref name="n"/>] packed by
    /// <see cref="Pack"/> at the same width: the same sums in the same order, so the same result to the bit.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The kernels are off.</exception>
    public static void MultiplyPacked(int m, int n, int k, float* a, long lda, float* packed, float* c, long ldc, bool accumulate)
    {
        // In blocks of A's rows that stay in the L2 cache, as Multiply goes (each panel would otherwise read all of a tall A).
        int width = RequirePanelWidth(), block = CacheBlockRows(k);
        if (m > block && n > width)
        {
            for (int i = 0; i < m; i += block)
            {
                MultiplyPacked(Math.Min(block, m - i), n, k, a + (i * lda), lda, packed, c + (i * ldc), ldc, accumulate);
            }

            return;
        }

        // Each panel is a B of its own, rows one panel wide: the plain product, one panel at a time.
        int full = n / width * width;
        for (int j = 0; j < full; j += width)
        {
            Multiply(m, width, k, a, lda, packed + ((long)j * k), width, c + j, ldc, accumulate);
        }

        // The last panel is already zero-padded to a full panel: its product goes through a tile without the copy
        // of B's columns that Multiply makes for a row-major B.
        if (full < n)
        {
            switch (Simd.Width)
            {
                case SimdWidth.Bits512:
                    MultiplyThroughTile<Vec512>(m, n - full, k, a, lda, packed + ((long)full * k), c + full, ldc, accumulate);
                    break;
                case SimdWidth.Bits256:
                    MultiplyThroughTile<Vec256>(m, n - full, k, a, lda, packed + ((long)full * k), c + full, ldc, accumulate);
                    break;
                default:
                    MultiplyThroughTile<Vec128>(m, n - full, k, a, lda, packed + ((long)full * k), c + full, ldc, accumulate);
                    break;
            }
        }
    }

    private static int RequirePanelWidth() => PanelWidth is > 0 and int w ? w : throw new PlatformNotSupportedException("GridTime's kernels are off (GRIDTIME_SIMD=off, or no vector unit)");

    private static int Columns<TV>()
        where TV : unmanaged, ISimdVector<TV> => 2 * TV.Count;

    /// <summary>
    /// Rows of A per cache block for an inner dimension of <paramref name="k"/>: as many as fit in 256 KiB (half the
    /// L2 cache of a Zen 3 core, a quarter of a Zen 4 or 5 one, leaving room for B's panel and C), a multiple of 24 so
    /// that the register blocks of 6 and 8 rows fill it, at least 24.
    /// </summary>
    private static int CacheBlockRows(int k) => Math.Max(24, 65536 / Math.Max(k, 1) / 24 * 24);

    /// <summary>Rows of C per register block: 8 where there are 32 vector registers, else 6.</summary>
    private static int RowsPerBlock<TV>()
        where TV : unmanaged, ISimdVector<TV> => Simd.HasThirtyTwoRegisters<TV>() ? 8 : 6;

    private static void Multiply<TV>(int m, int n, int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        int columns = 2 * TV.Count, block = RowsPerBlock<TV>();
        int fullColumns = n / columns * columns;
        for (int j = 0; j < fullColumns; j += columns)
        {
            for (int i = 0; i < m;)
            {
                int rows = RowsOfNextKernel(m - i, block);
                RowKernel<TV>(rows, k, a + (i * lda), lda, b + j, ldb, c + (i * ldc) + j, ldc, accumulate);
                i += rows;
            }
        }

        if (fullColumns < n)
        {
            MultiplyLastColumns<TV>(m, n - fullColumns, k, a, lda, b + fullColumns, ldb, c + fullColumns, ldc, accumulate);
        }
    }

    /// <summary>
    /// How many rows the next register block takes when <paramref name="left"/> rows are left, in blocks of at most
    /// <paramref name="block"/> (8 or 6): as few blocks as hold them, their rows shared out as evenly as they go (32 rows
    /// at 6 as 6 + 6 + 5 + 5 + 5 + 5, 13 as 5 + 4 + 4). Each block streams a whole panel of B once, so the number of
    /// blocks is what it is; a block of r rows keeps 2r sums, and the multiply-add's latency (4 cycles, 2 per cycle) wants
    /// 8 or more in flight, so the smallest block is made as large as it can be: 32 rows as 6·4 + 4 + 4 ran the batch's
    /// products (a step's 32 x 1024 x 290 and 32 x 256 x 1024, in cache) 1-3% slower at 256 bits on an Intel Xeon
    /// (Emerald Rapids), and a lone row of 2 sums waits on every multiply-add.
    /// </summary>
    private static int RowsOfNextKernel(int left, int block)
    {
        int blocks = (left + block - 1) / block;
        return (left + blocks - 1) / blocks;
    }

    /// <summary>C's <paramref name="rows"/> (1 to 8) rows of one panel of two vectors of columns: the kernel of that many rows.</summary>
    private static void RowKernel<TV>(int rows, int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        switch (rows)
        {
            case 8:
                Kernel8<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 7:
                Kernel7<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 6:
                Kernel6<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 5:
                Kernel5<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 4:
                Kernel4<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 3:
                Kernel3<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 2:
                Kernel2<TV>(k, a, lda, b, ldb, c, ldc, accumulate);
                break;
            case 1:
                Kernel1<TV>(k, a, b, ldb, c, accumulate);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(rows), rows, "a register block holds 1 to 8 rows");
        }
    }

    /// <summary>The last columns (fewer than two vectors): B's columns are copied into a zero-padded panel, C's through a tile.</summary>
    private static void MultiplyLastColumns<TV>(int m, int width, int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        int columns = 2 * TV.Count;
        float* panel = Scratch.Get(Scratch.TailPanel, (long)k * columns);
        for (int p = 0; p < k; p++)
        {
            Span<float> row = new(panel + (p * columns), columns);
            new ReadOnlySpan<float>(b + (p * ldb), width).CopyTo(row);
            row[width..].Clear();
        }

        MultiplyThroughTile<TV>(m, width, k, a, lda, panel, c, ldc, accumulate);
    }

    /// <summary>
    /// C's first <paramref name="width"/> columns (+)= A·panel, for a panel of two vectors of columns (rows adjacent,
    /// the columns past <paramref name="width"/> any finite or not: their sums are computed and dropped), through a
    /// tile of at most 8 rows.
    /// </summary>
    private static void MultiplyThroughTile<TV>(int m, int width, int k, float* a, long lda, float* panel, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        int columns = 2 * TV.Count, rowsPerBlock = RowsPerBlock<TV>();
        if (width <= TV.Count)
        {
            MultiplyOneVectorThroughTile<TV>(m, width, k, a, lda, panel, columns, c, ldc, accumulate);
            return;
        }

        float* tile = stackalloc float[8 * 32];
        for (int i = 0; i < m;)
        {
            int rows = RowsOfNextKernel(m - i, rowsPerBlock);
            RowKernel<TV>(rows, k, a + (i * lda), lda, panel, columns, tile, columns, accumulate: false);
            FromTile(tile, columns, rows, width, c + (i * ldc), ldc, accumulate);
            i += rows;
        }
    }

    /// <summary>
    /// <see cref="MultiplyThroughTile"/> for a last <paramref name="width"/> of at most one vector of columns (the LSTM's
    /// 34-column tail past two 16-column panels at 256 bits: 2): the panel's first vector only, 8 rows at a time (8
    /// independent sums, as many as a 4-row two-vector block), so the few columns cost half a two-vector panel, not all
    /// of one. Each C element is the same sum over k in order, so the result is the same to the bit.
    /// </summary>
    private static void MultiplyOneVectorThroughTile<TV>(int m, int width, int k, float* a, long lda, float* panel, long ldp, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        int n = TV.Count;
        float* tile = stackalloc float[8 * 16];
        for (int i = 0; i < m; i += 8)
        {
            int rows = Math.Min(8, m - i);
            if (rows == 8)
            {
                KernelOneVector8<TV>(k, a + (i * lda), lda, panel, ldp, tile, n);
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    KernelOneVector1<TV>(k, a + ((i + r) * lda), panel, ldp, tile + (r * n));
                }
            }

            FromTile(tile, n, rows, width, c + (i * ldc), ldc, accumulate);
        }
    }

    /// <summary>C's first <paramref name="width"/> columns of <paramref name="rows"/> rows (+)= the tile's (rows <paramref name="ldTile"/> apart).</summary>
    private static void FromTile(float* tile, int ldTile, int rows, int width, float* c, long ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            float* target = c + (r * ldc), source = tile + (r * ldTile);
            for (int col = 0; col < width; col++)
            {
                target[col] = accumulate ? target[col] + source[col] : source[col];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelOneVector8<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        TV c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b);
            TV.AddProduct(TV.Create(a0[p]), b0, ref c0);
            TV.AddProduct(TV.Create(a1[p]), b0, ref c1);
            TV.AddProduct(TV.Create(a2[p]), b0, ref c2);
            TV.AddProduct(TV.Create(a3[p]), b0, ref c3);
            TV.AddProduct(TV.Create(a4[p]), b0, ref c4);
            TV.AddProduct(TV.Create(a5[p]), b0, ref c5);
            TV.AddProduct(TV.Create(a6[p]), b0, ref c6);
            TV.AddProduct(TV.Create(a7[p]), b0, ref c7);
            b += ldb;
        }

        c0.Store(c);
        c1.Store(c + ldc);
        c2.Store(c + (2 * ldc));
        c3.Store(c + (3 * ldc));
        c4.Store(c + (4 * ldc));
        c5.Store(c + (5 * ldc));
        c6.Store(c + (6 * ldc));
        c7.Store(c + (7 * ldc));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelOneVector1<TV>(int k, float* a, float* b, long ldb, float* c)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV c0 = default;
        for (nint p = 0; p < k; p++)
        {
            TV.AddProduct(TV.Create(a[p]), TV.Load(b), ref c0);
            b += ldb;
        }

        c0.Store(c);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        TV c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (nint p = 0; p < k; p++) // nint: an int index cost a sign extension per row read
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            x = TV.Create(a2[p]);
            TV.AddProduct(x, b0, ref c20);
            TV.AddProduct(x, b1, ref c21);
            x = TV.Create(a3[p]);
            TV.AddProduct(x, b0, ref c30);
            TV.AddProduct(x, b1, ref c31);
            x = TV.Create(a4[p]);
            TV.AddProduct(x, b0, ref c40);
            TV.AddProduct(x, b1, ref c41);
            x = TV.Create(a5[p]);
            TV.AddProduct(x, b0, ref c50);
            TV.AddProduct(x, b1, ref c51);
            x = TV.Create(a6[p]);
            TV.AddProduct(x, b0, ref c60);
            TV.AddProduct(x, b1, ref c61);
            x = TV.Create(a7[p]);
            TV.AddProduct(x, b0, ref c70);
            TV.AddProduct(x, b1, ref c71);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + (2 * ldc), c20, c21, accumulate);
        Store(c + (3 * ldc), c30, c31, accumulate);
        Store(c + (4 * ldc), c40, c41, accumulate);
        Store(c + (5 * ldc), c50, c51, accumulate);
        Store(c + (6 * ldc), c60, c61, accumulate);
        Store(c + (7 * ldc), c70, c71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel7<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        TV c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            x = TV.Create(a2[p]);
            TV.AddProduct(x, b0, ref c20);
            TV.AddProduct(x, b1, ref c21);
            x = TV.Create(a3[p]);
            TV.AddProduct(x, b0, ref c30);
            TV.AddProduct(x, b1, ref c31);
            x = TV.Create(a4[p]);
            TV.AddProduct(x, b0, ref c40);
            TV.AddProduct(x, b1, ref c41);
            x = TV.Create(a5[p]);
            TV.AddProduct(x, b0, ref c50);
            TV.AddProduct(x, b1, ref c51);
            x = TV.Create(a6[p]);
            TV.AddProduct(x, b0, ref c60);
            TV.AddProduct(x, b1, ref c61);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + (2 * ldc), c20, c21, accumulate);
        Store(c + (3 * ldc), c30, c31, accumulate);
        Store(c + (4 * ldc), c40, c41, accumulate);
        Store(c + (5 * ldc), c50, c51, accumulate);
        Store(c + (6 * ldc), c60, c61, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            x = TV.Create(a2[p]);
            TV.AddProduct(x, b0, ref c20);
            TV.AddProduct(x, b1, ref c21);
            x = TV.Create(a3[p]);
            TV.AddProduct(x, b0, ref c30);
            TV.AddProduct(x, b1, ref c31);
            x = TV.Create(a4[p]);
            TV.AddProduct(x, b0, ref c40);
            TV.AddProduct(x, b1, ref c41);
            x = TV.Create(a5[p]);
            TV.AddProduct(x, b0, ref c50);
            TV.AddProduct(x, b1, ref c51);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + (2 * ldc), c20, c21, accumulate);
        Store(c + (3 * ldc), c30, c31, accumulate);
        Store(c + (4 * ldc), c40, c41, accumulate);
        Store(c + (5 * ldc), c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel5<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            x = TV.Create(a2[p]);
            TV.AddProduct(x, b0, ref c20);
            TV.AddProduct(x, b1, ref c21);
            x = TV.Create(a3[p]);
            TV.AddProduct(x, b0, ref c30);
            TV.AddProduct(x, b1, ref c31);
            x = TV.Create(a4[p]);
            TV.AddProduct(x, b0, ref c40);
            TV.AddProduct(x, b1, ref c41);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + (2 * ldc), c20, c21, accumulate);
        Store(c + (3 * ldc), c30, c31, accumulate);
        Store(c + (4 * ldc), c40, c41, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            x = TV.Create(a2[p]);
            TV.AddProduct(x, b0, ref c20);
            TV.AddProduct(x, b1, ref c21);
            x = TV.Create(a3[p]);
            TV.AddProduct(x, b0, ref c30);
            TV.AddProduct(x, b1, ref c31);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + (2 * ldc), c20, c21, accumulate);
        Store(c + (3 * ldc), c30, c31, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel3<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda, a2 = a1 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            x = TV.Create(a2[p]);
            TV.AddProduct(x, b0, ref c20);
            TV.AddProduct(x, b1, ref c21);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + (2 * ldc), c20, c21, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel2<TV>(int k, float* a, long lda, float* b, long ldb, float* c, long ldc, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        float* a0 = a, a1 = a0 + lda;
        TV c00 = default, c01 = default, c10 = default, c11 = default;
        for (nint p = 0; p < k; p++)
        {
            TV b0 = TV.Load(b), b1 = TV.Load(b + TV.Count);
            TV x = TV.Create(a0[p]);
            TV.AddProduct(x, b0, ref c00);
            TV.AddProduct(x, b1, ref c01);
            x = TV.Create(a1[p]);
            TV.AddProduct(x, b0, ref c10);
            TV.AddProduct(x, b1, ref c11);
            b += ldb;
        }

        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel1<TV>(int k, float* a, float* b, long ldb, float* c, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV c0 = default, c1 = default;
        for (nint p = 0; p < k; p++)
        {
            TV x = TV.Create(a[p]);
            TV.AddProduct(x, TV.Load(b), ref c0);
            TV.AddProduct(x, TV.Load(b + TV.Count), ref c1);
            b += ldb;
        }

        Store(c, c0, c1, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(float* c, TV low, TV high, bool accumulate)
        where TV : unmanaged, ISimdVector<TV>
    {
        if (accumulate)
        {
            low += TV.Load(c);
            high += TV.Load(c + TV.Count);
        }

        low.Store(c);
        high.Store(c + TV.Count);
    }
}
