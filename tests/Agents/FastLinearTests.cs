using GridTime.Agents;
using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Tests.Agents;

/// <summary>
/// The matrix product and the layers built on it give libtorch's numbers, forward and backward, at every vector
/// width this machine runs (<see cref="SimdWidths"/>).
/// </summary>
/// <remarks>
/// These tests switch widths (and the kernels off, for the reference) on their own thread only; they run in one
/// collection so that their timings stay apart from the rest of the suite's.
/// </remarks>
[Collection(KernelSwitchCollection.Name)]
public sealed class FastLinearTests
{
    // Shapes of the network (batch 32; encoder 800 -> 256; LSTM 265 -> 1024 and 256 -> 1024) and awkward
    // ones: rows left over after the register blocks of 8 or 6 rows (blocks of 1 to 6 rows), columns
    // not a multiple of two vectors (a part-panel of one vector or more), a single row.
    public static TheoryData<SimdWidth, int, int, int> ShapesAtEveryWidth => SimdWidths.Times(Shapes);

    public static TheoryData<SimdWidth, string> CoresAtEveryWidth => SimdWidths.Times(Cores);

    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 32, 800, 256 },
        { 32, 265, 1024 },
        { 32, 256, 1024 },
        { 7, 13, 37 },
        { 8, 9, 33 }, // 6 + 2 rows as two blocks of 4
        { 1, 3, 5 },
        { 19, 64, 33 },
        { 60, 3, 18 },
        { 40, 1, 9 },
        { 40, 2, 18 },
        { 3, 37, 5 },
        { 34, 29, 34 }, // the LSTM's tail: two 16-column panels and one vector of 2 columns at 256 bits, 8 + 8 + 8 + 8 + 2 rows
        { 21, 11, 2 },
        { 5, 17, 9 },
        { 13, 9, 70 },
        { 100, 1024, 70 }, // more than one panel at every width, so rows in cache blocks of 48 (k = 1024): 48, 48, 4
        { 100, 1024, 40 }, // two panels and a part-panel at 256 bits, one and a part at 512: cache blocks too
        { 122, 700, 67 }, // blocks of 72 (k = 700): 72, then 50 = 6·7 + 4 + 4 (or 8·5 + 6 + 4)
    };

    [Fact]
    public void EveryX64ProcessorWithAvx2RunsTheKernelsAndTurnedOffTheyRefuse()
    {
        // The kernels need a vector unit with fused multiply-add: every x86-64 processor with AVX2 (and every ARM64) has one.
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            Assert.True(Simd.Supported >= SimdWidth.Bits256, $"AVX2 + FMA, but the kernels run at {Simd.Describe(Simd.Supported)}");
            Assert.Contains(SimdWidth.Bits128, Simd.Runnable);
            Assert.Contains(SimdWidth.Bits256, Simd.Runnable);
        }

        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, Simd.Runnable.Contains(SimdWidth.Bits512));
        using (Simd.ForceOnThisThread(SimdWidth.Off))
        {
            Assert.False(FastLinear.KernelInUse);
            Assert.Throws<PlatformNotSupportedException>(() => MultiplyWithKernel(new float[1], new float[1], 1, 1, 1));
        }
    }

    [Fact]
    public void GridtimeSimdChoosesAWidthOrNamesWhatIsWrong()
    {
        Assert.Equal((SimdWidth.Bits256, null), Simd.Choose("256", null, SimdWidth.Bits512));
        Assert.Equal((SimdWidth.Bits128, null), Simd.Choose(" 128 ", null, SimdWidth.Bits256));
        Assert.Equal((SimdWidth.Off, null), Simd.Choose("OFF", null, SimdWidth.Bits512));
        Assert.Equal((SimdWidth.Bits512, null), Simd.Choose(null, null, SimdWidth.Bits512));
        Assert.Equal((SimdWidth.Off, null), Simd.Choose("", "1", SimdWidth.Bits256)); // the older GRIDTIME_TORCH_MATMUL=1
        Assert.Equal((SimdWidth.Bits256, null), Simd.Choose("256", "1", SimdWidth.Bits512)); // GRIDTIME_SIMD wins
        Assert.Equal((SimdWidth.Bits256, "GRIDTIME_SIMD=512: this processor runs at most 256-bit (AVX2 + FMA)"), Simd.Choose("512", null, SimdWidth.Bits256));
        Assert.Equal((SimdWidth.Bits256, "GRIDTIME_SIMD=avx2: expected 512, 256, 128 or off"), Simd.Choose("avx2", null, SimdWidth.Bits256));
        Assert.Throws<ArgumentOutOfRangeException>(() => Simd.ForceOnThisThread((SimdWidth)1024));
    }

    [Theory]
    [MemberData(nameof(ShapesAtEveryWidth))]
    public void TheKernelMultipliesLikeATripleLoop(SimdWidth width, int m, int k, int n)
    {
        using var _ = Simd.ForceOnThisThread(width);
        var random = new Random(m * 1000 + k);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] c = MultiplyWithKernel(a, b, m, k, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double expected = 0;
                for (int p = 0; p < k; p++)
                {
                    expected += a[(i * k) + p] * (double)b[(p * n) + j];
                }

                Assert.True(Math.Abs(c[(i * n) + j] - expected) < 1e-4, $"C[{i},{j}] = {c[(i * n) + j]}, expected {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void InCacheBlocksOfRowsTheProductIsTheSameToTheBitAsRowByRow(SimdWidth width)
    {
        // A rollout's 640 rows by 1024 (the deferred ∂features) and by 290 (a weight gradient's shape turned around):
        // blocked over rows for the cache, each C element is still one sum over k in order, as a single row's is.
        using var _ = Simd.ForceOnThisThread(width);
        foreach ((int m, int k, int n) in new[] { (640, 1024, 256), (1024, 290, 97) })
        {
            var random = new Random(m + k);
            float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] b = [.. Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] whole = new float[m * n], rowByRow = new float[m * n];
            fixed (float* pa = a, pb = b, pw = whole, pr = rowByRow)
            {
                Sgemm.Multiply(m, n, k, pa, k, pb, n, pw, n, accumulate: false);
                for (int i = 0; i < m; i++)
                {
                    Sgemm.Multiply(1, n, k, pa + ((long)i * k), k, pb, n, pr + ((long)i * n), n, accumulate: false);
                }
            }

            Assert.Equal(rowByRow, whole);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void EveryNumberOfRowsGivesTheSameSumsAsOneRowAtATime(SimdWidth width)
    {
        // 1 to 40 rows go through register blocks of at most 8 or 6 rows, shared out evenly (32 at 6 as 6 + 6 + 5 + 5 + 5 + 5,
        // 7 at 8 as one block of 7): whichever kernel takes a row, each C element is the same sum over k in order. 37 and 45
        // columns: whole panels and a last part-panel of one vector or of more at every width, through the tiles too.
        using var _ = Simd.ForceOnThisThread(width);
        const int k = 29;
        var random = new Random(11);
        float[] a = [.. Enumerable.Range(0, 40 * k).Select(_ => (float)(random.NextDouble() - 0.5))];
        foreach (int n in new[] { 37, 45 })
        {
            float[] b = [.. Enumerable.Range(0, k * n).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] rowByRow = new float[40 * n];
            fixed (float* pa = a, pb = b, pr = rowByRow)
            {
                for (int i = 0; i < 40; i++)
                {
                    Sgemm.Multiply(1, n, k, pa + ((long)i * k), k, pb, n, pr + ((long)i * n), n, accumulate: false);
                }

                for (int m = 1; m <= 40; m++)
                {
                    float[] whole = new float[m * n];
                    fixed (float* pw = whole)
                    {
                        Sgemm.Multiply(m, n, k, pa, k, pb, n, pw, n, accumulate: false);
                    }

                    Assert.Equal(rowByRow[..(m * n)], whole);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void AProductThatPacksBGivesTheSameSumsAsFromBInPlace(SimdWidth width)
    {
        // With more rows of A than one cache block (200 of 96 at k = 640) the product packs B first; a slice of 40 rows,
        // less than that block, reads B in place. B's rows 512 floats apart (h in the LSTM's state [h | c]) and 265
        // (W_ih's first columns); 37 columns: whole panels and a part-panel at every width. The sums, and so the result to
        // the bit, are the same, with accumulate both ways.
        using var _ = Simd.ForceOnThisThread(width);
        const int m = 200, k = 640, n = 37, ldc = n + 5, slice = 40;
        foreach (int ldb in new[] { 512, 265 })
        {
            var random = new Random(ldb);
            float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] b = [.. Enumerable.Range(0, k * ldb).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] start = [.. Enumerable.Range(0, m * ldc).Select(_ => (float)(random.NextDouble() - 0.5))];
            foreach (bool accumulate in new[] { false, true })
            {
                float[] packed = (float[])start.Clone(), inPlace = (float[])start.Clone();
                fixed (float* pa = a, pb = b, pp = packed, pc = inPlace)
                {
                    Sgemm.Multiply(m, n, k, pa, k, pb, ldb, pp, ldc, accumulate);
                    for (int i = 0; i < m; i += slice)
                    {
                        Sgemm.Multiply(slice, n, k, pa + (i * k), k, pb, ldb, pc + (i * ldc), ldc, accumulate);
                    }
                }

                Assert.Equal(inPlace, packed);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ShapesAtEveryWidth))]
    public unsafe void FromPackedPanelsTheProductIsTheSameToTheBit(SimdWidth width, int m, int k, int n)
    {
        // B is read from rows ldb = n + 3 apart (a slice of a wider matrix, as W_ih's tail is); C is written into rows
        // n + 5 apart, with accumulate both ways. Packing changes where B's numbers are read from, never the sums.
        using var _ = Simd.ForceOnThisThread(width);
        var random = new Random((m * 1000) + k + 7);
        int ldb = n + 3, ldc = n + 5;
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] b = [.. Enumerable.Range(0, k * ldb).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] start = [.. Enumerable.Range(0, m * ldc).Select(_ => (float)(random.NextDouble() - 0.5))];
        int panels = (n + Sgemm.PanelWidth - 1) / Sgemm.PanelWidth;
        Assert.True(k * panels * Sgemm.PanelWidth <= Sgemm.PackedCapacity(k, n));
        float[] packed = new float[k * panels * Sgemm.PanelWidth];
        Array.Fill(packed, float.NaN); // every float the product reads is written by Pack
        foreach (bool accumulate in new[] { false, true })
        {
            float[] plain = (float[])start.Clone(), fromPanels = (float[])start.Clone();
            fixed (float* pa = a, pb = b, pp = packed, pc = plain, pq = fromPanels)
            {
                Sgemm.Multiply(m, n, k, pa, k, pb + 1, ldb, pc, ldc, accumulate);
                Sgemm.Pack(k, n, pb + 1, ldb, pp);
                Sgemm.MultiplyPacked(m, n, k, pa, k, pp, pq, ldc, accumulate);
            }

            Assert.Equal(plain, fromPanels);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void PackingWTransposedGivesThePanelsOfWᵀ(SimdWidth width)
    {
        // W [n, k] with rows k + 3 apart (a slice of a wider matrix), for the encoder's W_fc, other layers' shapes and n
        // not a multiple of any panel: Wᵀ written out [k, n] and packed must give the same
        // floats everywhere, the last panel's missing columns zero (both start as NaN: every float is written).
        using var _ = Simd.ForceOnThisThread(width);
        foreach ((int k, int n) in new[] { (290, 1024), (256, 768), (800, 256), (13, 37), (9, 33), (1, 1) })
        {
            var random = new Random((k * 1000) + n);
            int ldw = k + 3;
            float[] w = [.. Enumerable.Range(0, n * ldw).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] transposed = new float[k * n];
            for (int row = 0; row < n; row++)
            {
                for (int p = 0; p < k; p++)
                {
                    transposed[(p * n) + row] = w[(row * ldw) + 1 + p];
                }
            }

            int panels = (n + Sgemm.PanelWidth - 1) / Sgemm.PanelWidth;
            float[] expected = new float[k * panels * Sgemm.PanelWidth], packed = new float[expected.Length];
            Array.Fill(expected, float.NaN);
            Array.Fill(packed, float.NaN);
            fixed (float* pw = w, pt = transposed, pe = expected, pp = packed)
            {
                Sgemm.Pack(k, n, pt, n, pe);
                Sgemm.PackTransposed(k, n, pw + 1, ldw, pp);
            }

            Assert.Equal(expected, packed);
            Assert.DoesNotContain(packed, float.IsNaN);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void TwoWeightsPackedInBandsOfRowsGiveThePanelsOfTheirSideBySideTranspose(SimdWidth width)
    {
        // [W1 | W2]ᵀ for W1 [n, k1] (rows k1 + 2 apart) and W2 [n, k2] (adjacent rows): the LSTM's step weights
        // [W_ih tail | W_hh] at nac's shape, and n not a multiple of any panel. W1ᵀ packed into rows 0..k1 − 1 and W2ᵀ into
        // rows k1.. of one packed B must be the panels that packing [W1 | W2]ᵀ written out gives (every float written).
        using var _ = Simd.ForceOnThisThread(width);
        foreach ((int k1, int k2, int n) in new[] { (34, 256, 1024), (1, 5, 20), (7, 9, 37) })
        {
            var random = new Random((k1 * 1000) + k2 + n);
            int k = k1 + k2, ld1 = k1 + 2;
            float[] w1 = [.. Enumerable.Range(0, n * ld1).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] w2 = [.. Enumerable.Range(0, n * k2).Select(_ => (float)(random.NextDouble() - 0.5))];
            float[] sideBySide = new float[n * k];
            for (int row = 0; row < n; row++)
            {
                Array.Copy(w1, row * ld1, sideBySide, row * k, k1);
                Array.Copy(w2, row * k2, sideBySide, (row * k) + k1, k2);
            }

            float[] expected = new float[Sgemm.PackedCapacity(k, n)], packed = new float[expected.Length];
            Array.Fill(packed, float.NaN);
            fixed (float* p1 = w1, p2 = w2, ps = sideBySide, pe = expected, pp = packed)
            {
                Sgemm.PackTransposed(k, n, ps, k, pe);
                Sgemm.PackTransposed(k1, n, p1, ld1, pp, 0, k);
                Sgemm.PackTransposed(k2, n, p2, k2, pp, k1, k);
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => PackBand(w2, k2, n, packed, k1 + 1, k)); // past the last row

            int used = (n + Sgemm.PanelWidth - 1) / Sgemm.PanelWidth * Sgemm.PanelWidth * k;
            Assert.Equal(expected[..used], packed[..used]);
            Assert.DoesNotContain(packed[..used], float.IsNaN);
        }
    }

    private static unsafe void PackBand(float[] w, int k, int n, float[] packed, int firstRow, int depth)
    {
        fixed (float* pw = w, pp = packed)
        {
            Sgemm.PackTransposed(k, n, pw, k, pp, firstRow, depth);
        }
    }

    [Theory]
    [MemberData(nameof(ShapesAtEveryWidth))]
    public void ALinearLayerGivesLibtorchsValuesAndGradients(SimdWidth width, int batch, int inputs, int outputs)
    {
        using var _ = Simd.ForceOnThisThread(width);
        foreach (bool relu in new[] { false, true })
        {
            LinearLayerAgainstLibtorch(batch, inputs, outputs, relu);
        }
    }

    private static void LinearLayerAgainstLibtorch(int batch, int inputs, int outputs, bool relu)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(batch + inputs + outputs));
        Tensor x = randn([batch, inputs], generator: generator).requires_grad_(true);
        Tensor weight = randn([outputs, inputs], generator: generator).requires_grad_(true);
        Tensor bias = randn([outputs], generator: generator).requires_grad_(true);
        Tensor upstream = randn([batch, outputs], generator: generator);

        (Tensor y, Tensor[] gradients) Run(Func<Tensor> linear)
        {
            Tensor y = linear();
            Tensor[] gradients = [.. autograd.grad([y], [x, weight, bias], [upstream])];
            return (y, gradients);
        }

        Assert.True(FastLinear.KernelInUse, "the comparison needs the kernel in use");
        (Tensor expected, Tensor[] expectedGradients) = Run(() => relu ? F.relu(F.linear(x, weight, bias)) : F.linear(x, weight, bias));
        (Tensor actual, Tensor[] actualGradients) = Run(() => FastLinear.Apply(x, weight, bias, relu));
        string what = relu ? " with ReLU" : "";
        TensorAssert.Close(expected, actual, "y" + what);
        TensorAssert.Close(expectedGradients[0], actualGradients[0], "dx" + what);
        TensorAssert.Close(expectedGradients[1], actualGradients[1], "dW" + what);
        TensorAssert.Close(expectedGradients[2], actualGradients[2], "db" + what);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void WithoutBiasAndWithAnInputThatNeedsNoGradient(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        Tensor x = randn([32, 40], generator: generator);
        Tensor weight = randn([70, 40], generator: generator).requires_grad_(true);
        Tensor upstream = randn([32, 70], generator: generator);
        Tensor expected = autograd.grad([F.linear(x, weight)], [weight], [upstream])[0];
        Tensor actual = autograd.grad([FastLinear.Apply(x, weight, null)], [weight], [upstream])[0];
        TensorAssert.Close(F.linear(x, weight), FastLinear.Apply(x, weight, null), "y");
        TensorAssert.Close(expected, actual, "dW");
    }

    public static TheoryData<SimdWidth, int, bool, bool> LstmStepsAtEveryWidth => SimdWidths.Times(new TheoryData<int, bool, bool>
    {
        { 64, true, false }, // the vectorised gates
        { 22, true, false }, // at every width some vectorised (16, 8 or 4 at a time) and the rest one by one
        { 64, false, false }, // c' unused: its gradient arrives undefined
        { 64, true, true }, // h and c as slices of one state tensor, as the cores pass them (not contiguous)
    });

    [Theory]
    [MemberData(nameof(LstmStepsAtEveryWidth))]
    public void AnLstmStepGivesLstmCellsStateAndGradients(SimdWidth width, int hidden, bool lossReadsC, bool stateSlices)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        LSTMCell cell = nn.LSTMCell(45, hidden);
        using (no_grad())
        {
            foreach (Parameter p in cell.parameters())
            {
                p.normal_(generator: generator); // biases too: the default init leaves them too small to test
            }
        }

        Tensor input = randn([32, 45], generator: generator).requires_grad_(true);
        Tensor state = randn([32, 2 * hidden], generator: generator).requires_grad_(true);
        Tensor h = stateSlices ? state.narrow(1, 0, hidden) : state[.., ..hidden].clone().detach().requires_grad_(true);
        Tensor c = stateSlices ? state.narrow(1, hidden, hidden) : state[.., hidden..].clone().detach().requires_grad_(true);
        Parameter[] parameters = [.. cell.parameters()];
        Tensor[] inputs = stateSlices ? [input, state, .. parameters] : [input, h, c, .. parameters];

        (Tensor H, Tensor C, Tensor[] Gradients) Run(Func<(Tensor, Tensor)> step)
        {
            (Tensor nextH, Tensor nextC) = step();
            Tensor loss = (nextH * nextH).sum() + (lossReadsC ? (nextC * 0.5).sum() : zeros(1).sum());
            return (nextH, nextC, [.. autograd.grad([loss], inputs, allow_unused: true)]);
        }

        var expected = Run(() => cell.call(input, (h, c)));
        var actual = Run(() => FastLstmCell.Step(cell, input, h, c));
        TensorAssert.Close(expected.H, actual.H, "h");
        TensorAssert.Close(expected.C, actual.C, "c");
        for (int i = 0; i < inputs.Length; i++)
        {
            TensorAssert.Close(expected.Gradients[i], actual.Gradients[i], $"gradient {i}");
        }
    }

    public static TheoryData<string> Cores => new(CoreKinds.All.Select(k => k.Name()));

    [Theory]
    [MemberData(nameof(CoresAtEveryWidth))]
    public void AWholeNetworkLearnsTheSameWithTheKernelAsWithLibtorch(SimdWidth width, string core)
    {
        // A 6-step rollout of 4 environments, step by step as a worker runs it (the state carried from step to
        // step, one environment reset halfway), and an A3C-like loss: every parameter's gradient must match,
        // with the weight gradients formed at each step and at the end of the backward pass (as workers do).
        using var scope = NewDisposeScope();
        var network = new ActorCritic(new AgentOptions { Core = CoreKinds.Parse(core), Hidden = 32, Seed = 9 });
        var generator = new Generator(4);
        Tensor observations = rand([6, 4, 3, 56, 56], generator: generator).round();
        Tensor instructions = randint(1, 30, [6, 4], generator: generator).to_type(ScalarType.Float32);
        Tensor keep = ones(6, 4);
        keep[3, 2] = tensor(0f);

        Tensor[] Gradients(bool kernelOff, bool deferred = false)
        {
            using (Simd.ForceOnThisThread(kernelOff ? SimdWidth.Off : width))
            {
                network.zero_grad();
                Tensor state = network.InitialState(4);
                Tensor loss = zeros(1);
                for (int i = 0; i < 6; i++)
                {
                    state = state * keep[i].unsqueeze(1);
                    AgentOutput step = network.Step(observations[i], instructions[i], state);
                    loss = loss + F.log_softmax(step.Logits, 1)[.., 0].sum() + step.Values.pow(2).sum();
                    state = step.State;
                }

                loss = loss + state.pow(2).sum();
                if (deferred)
                {
                    new DeferredWeightGradients().Backward(loss, [.. network.parameters()]);
                }
                else
                {
                    loss.backward();
                }

                return [.. network.parameters().Select(p => p.grad!.clone())];
            }
        }

        Tensor[] expected = Gradients(kernelOff: true);
        Tensor[] actual = Gradients(kernelOff: false);
        Tensor[] deferred = Gradients(kernelOff: false, deferred: true);
        string[] names = [.. network.named_parameters().Select(p => p.name)];
        for (int i = 0; i < expected.Length; i++)
        {
            TensorAssert.Close(expected[i], actual[i], names[i]);
            TensorAssert.Close(expected[i], deferred[i], names[i] + " (deferred)");
        }
    }

    [Fact]
    public void TurnedOffItIsLibtorchExactly()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        Tensor x = randn([32, 265], generator: generator);
        Tensor weight = randn([1024, 265], generator: generator);
        using (Simd.ForceOnThisThread(SimdWidth.Off))
        {
            Assert.Equal(0f, (F.linear(x, weight) - FastLinear.Apply(x, weight, null)).abs().max().item<float>());
        }
    }

    public static TheoryData<SimdWidth, int, int> TransposesAtEveryWidth => SimdWidths.Times(new TheoryData<int, int>
    {
        { 32, 800 }, { 1024, 32 }, { 8, 8 }, { 7, 13 }, { 16, 9 }, { 9, 16 }, { 1, 5 }, { 23, 41 }, { 130, 203 }, { 72, 64 },
    });

    [Theory]
    [MemberData(nameof(TransposesAtEveryWidth))]
    public unsafe void TransposesPutEveryElementInItsPlace(SimdWidth width, int rows, int columns)
    {
        using var _ = Simd.ForceOnThisThread(width);
        var random = new Random(rows * 100 + columns);
        float[] source = [.. Enumerable.Range(0, rows * columns).Select(_ => (float)random.NextDouble())];
        float[] bias = [.. Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble())];
        var plain = new float[rows * columns];
        var biased = new float[rows * columns];
        fixed (float* s = source, b = bias, p = plain, t = biased)
        {
            FastLinear.Transpose(s, rows, columns, p);
            FastLinear.TransposeAddingBias(s, rows, columns, b, t);
        }

        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                Assert.Equal(source[(r * columns) + c], plain[(c * rows) + r]);
                Assert.Equal(source[(r * columns) + c] + bias[r], biased[(c * rows) + r]);
            }
        }
    }

    private static unsafe float[] MultiplyWithKernel(float[] a, float[] b, int m, int k, int n)
    {
        var c = new float[m * n];
        fixed (float* pa = a, pb = b, pc = c)
        {
            Sgemm.Multiply(m, n, k, pa, k, pb, n, pc, n, accumulate: false);
        }

        return c;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelSwitchCollection
{
    public const string Name = "kernel switch";
}
