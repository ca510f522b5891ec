using GridTime.Agents.Kernels;
using GridTime.Environment;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>
/// conv1 over a picture's nonzero inputs gives the dense kernels' results to the bit on the grid world's pictures, and
/// libtorch's to float rounding; a lit pixel reaches exactly the output pixels whose patches hold it; pictures, weights
/// and gradients it must not take go through the dense kernels.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed unsafe class SparseConv1Tests
{
    private const int Pixels = 3 * 56 * 56, Hidden = 13 * 13 * 16, Features = FastConvolutions.Features;

    public static TheoryData<SimdWidth, bool> WidthsAndPixelTypes => SimdWidths.Times(new TheoryData<bool> { true, false });

    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    [Theory]
    [MemberData(nameof(WidthsAndPixelTypes))]
    public void OnGridWorldPicturesItGivesTheDenseKernelsResultsToTheBit(SimdWidth width, bool bytes)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        byte[] frames = GridWorldFrames(37, out int batch);
        byte[] pixels = bytes ? frames : FloatBytes(frames);
        (float[] w1, float[] b1, float[] w2, float[] b2) = Weights(seed: 4);
        float[] outputGradient = Gaussian(batch * Features, seed: 5);

        Pass sparse = Run(pixels, bytes, batch, w1, b1, w2, b2, outputGradient, dense: false);
        Pass dense = Run(pixels, bytes, batch, w1, b1, w2, b2, outputGradient, dense: true);

        AssertSameBits(dense, sparse, "");

        // Some of conv1's outputs must be cut by its ReLU (where its mask matters), and the lit pixels skipped nothing
        // they should not have: the sparse pass did about a fortieth of the dense pass's multiply-adds, and not none.
        Assert.InRange(sparse.Hidden.Count(h => h == 0) / (double)sparse.Hidden.Length, 0.05, 0.95);
        Assert.Equal(batch * GridTime.Agents.ConvEncoder.Conv1MultiplyAdds, dense.MultiplyAdds);
        Assert.InRange(sparse.MultiplyAdds, 1, dense.MultiplyAdds / 20);
    }

    /// <summary>
    /// Pictures of any lit values (bytes 1-255, or floats): rectangles of random size, channel and place, and scattered
    /// pixels, so that runs of every length from 1 to 56 start and end anywhere in a row and every value read counts.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthsAndPixelTypes))]
    public void OnPicturesOfAnyLitValuesItGivesTheDenseKernelsResultsToTheBit(SimdWidth width, bool bytes)
    {
        using var _ = Simd.ForceOnThisThread(width);
        const int Batch = 17;
        var random = new Random(width.GetHashCode() + (bytes ? 1 : 0));
        byte[] frames = new byte[Batch * Pixels];
        for (int b = 0; b < Batch; b++)
        {
            Span<byte> picture = frames.AsSpan(b * Pixels, Pixels);
            for (int rectangle = 0; rectangle < 1 + (b % 3); rectangle++)
            {
                // At most 350 lit inputs a rectangle, so that three and 20 pixels stay under the bound.
                int c = random.Next(3), across = random.Next(1, 57), height = random.Next(1, Math.Min(11, 350 / across) + 1);
                int top = random.Next(56 - height + 1), left = random.Next(56 - across + 1);
                for (int y = top; y < top + height; y++)
                {
                    for (int x = left; x < left + across; x++)
                    {
                        picture[(c * 3136) + (y * 56) + x] = (byte)random.Next(1, 256);
                    }
                }
            }

            for (int single = 0; single < 20; single++)
            {
                picture[random.Next(Pixels)] = (byte)random.Next(1, 256);
            }
        }

        Assert.All(Enumerable.Range(0, Batch), b => Assert.InRange(frames.Skip(b * Pixels).Take(Pixels).Count(v => v != 0), 1, SparseConv1.MaximumNonzero));
        byte[] pixels = bytes ? frames : FloatBytes(frames);
        if (!bytes)
        {
            // Float pictures need not be multiples of 1/255.
            Span<float> floats = MemoryMarshalFloats(pixels);
            for (int i = 0; i < floats.Length; i++)
            {
                floats[i] = floats[i] == 0 ? 0 : (float)random.NextDouble() * 2 - 1;
            }
        }

        (float[] w1, float[] b1, float[] w2, float[] b2) = Weights(seed: 8);
        float[] outputGradient = Gaussian(Batch * Features, seed: 9);
        Pass sparse = Run(pixels, bytes, Batch, w1, b1, w2, b2, outputGradient, dense: false);
        Pass dense = Run(pixels, bytes, Batch, w1, b1, w2, b2, outputGradient, dense: true);
        AssertSameBits(dense, sparse, "");
        Assert.InRange(sparse.MultiplyAdds, 1, dense.MultiplyAdds / 4);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void OnGridWorldPicturesItGivesLibtorchsFeaturesAndWeightGradients(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        byte[] frames = GridWorldFrames(11, out int batch);
        manual_seed(11);
        Conv2d conv1 = nn.Conv2d(3, 16, 8, stride: 4), conv2 = nn.Conv2d(16, 32, 4, stride: 2);
        Tensor pixels = tensor(frames, [batch, 3, 56, 56], ScalarType.Byte);
        FastConvolutionsTests.AssertGivesLibtorchsResults(pixels, randn([batch, Features], generator: new Generator(12)), conv1, conv2);
    }

    /// <summary>
    /// One lit input (value 1) reaches the output pixels whose 8 x 8 patches (stride 4) hold it, each through the one
    /// weight at its place in the patch: relu(b[o] + w[o][c][ky][kx]) there, relu(b[o]) everywhere else; and each of
    /// those weights' gradients is the output gradient at that pixel, every other weight's 0. Pixels in a corner (one
    /// output pixel), on an edge (two) and inside (four).
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void OneLitPixelReachesTheOutputPixelsWhosePatchesHoldIt(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        (int C, int Y, int X, (int Oy, int Ox, int Ky, int Kx)[] Reached)[] cases =
        [
            (0, 0, 0, [(0, 0, 0, 0)]),
            (2, 55, 55, [(12, 12, 7, 7)]),
            (1, 9, 0, [(1, 0, 5, 0), (2, 0, 1, 0)]),
            (1, 9, 13, [(1, 2, 5, 5), (1, 3, 5, 1), (2, 2, 1, 5), (2, 3, 1, 1)]),
        ];

        // w1k[(c, ky, kx)][o] = (k + 1) / 64 · (−1)^o and b[o] = 0.25 − o / 32: dyadic, so every sum below is exact.
        float[] w1k = new float[192 * 16], bias = new float[16];
        for (int k = 0; k < 192; k++)
        {
            for (int o = 0; o < 16; o++)
            {
                w1k[(k * 16) + o] = (k + 1) / 64f * (o % 2 == 0 ? 1 : -1);
            }
        }

        for (int o = 0; o < 16; o++)
        {
            bias[o] = 0.25f - (o / 32f);
        }

        float[] d1 = [.. Enumerable.Range(0, Hidden).Select(i => (i % 97) / 8f)];
        foreach ((int c, int y, int x, (int Oy, int Ox, int Ky, int Kx)[] reached) in cases)
        {
            byte[] image = new byte[Pixels];
            image[(c * 3136) + (y * 56) + x] = 255;
            float[] hidden = new float[Hidden], dw1 = new float[192 * 16];
            long multiplyAdds;
            int[] runs = new int[3 * SparseConv1.MaximumNonzero];
            float[] values = new float[SparseConv1.MaximumNonzero];
            fixed (byte* p = image)
            fixed (int* r = runs)
            fixed (float* v = values, w = w1k, b = bias, h = hidden, g = d1, dw = dw1)
            {
                int count = SparseConv1.FindRuns(p, bytes: true, 0, r, v);
                Assert.Equal(1, count);
                Assert.Equal([(c * 56) + y, x, 1], runs[..3]);
                Assert.Equal(1f, values[0]);
                multiplyAdds = width switch
                {
                    SimdWidth.Bits512 => SparseConv1.Forward<Vec512>(count, r, v, w, b, h),
                    SimdWidth.Bits256 => SparseConv1.Forward<Vec256>(count, r, v, w, b, h),
                    _ => SparseConv1.Forward<Vec128>(count, r, v, w, b, h),
                };
                switch (width)
                {
                    case SimdWidth.Bits512:
                        SparseConv1.AddWeightGradient<Vec512>(count, r, v, g, dw);
                        break;
                    case SimdWidth.Bits256:
                        SparseConv1.AddWeightGradient<Vec256>(count, r, v, g, dw);
                        break;
                    default:
                        SparseConv1.AddWeightGradient<Vec128>(count, r, v, g, dw);
                        break;
                }
            }

            Assert.Equal(16 * reached.Length, multiplyAdds);
            for (int oy = 0; oy < 13; oy++)
            {
                for (int ox = 0; ox < 13; ox++)
                {
                    int hit = Array.FindIndex(reached, t => t.Oy == oy && t.Ox == ox);
                    for (int o = 0; o < 16; o++)
                    {
                        float weight = hit < 0 ? 0 : w1k[(((((c * 8) + reached[hit].Ky) * 8) + reached[hit].Kx) * 16) + o];
                        Assert.Equal(Math.Max(0, bias[o] + weight), hidden[(((oy * 13) + ox) * 16) + o]);
                    }
                }
            }

            for (int k = 0; k < 192; k++)
            {
                int hit = Array.FindIndex(reached, t => (c * 64) + (t.Ky * 8) + t.Kx == k);
                for (int o = 0; o < 16; o++)
                {
                    float expected = hit < 0 ? 0 : d1[(((reached[hit].Oy * 13) + reached[hit].Ox) * 16) + o];
                    Assert.Equal(expected, dw1[(k * 16) + o]);
                }
            }
        }
    }

    [Fact]
    public void RunsAreFoundAlongEachRowWithTheirValuesDividedBy255()
    {
        byte[] image = new byte[Pixels];
        image[0] = 1;                                 // channel 0, row 0: x = 0..2
        image[1] = 2;
        image[2] = 255;
        image[53] = 7;                                // and x = 53..55, the row's end (no run spans two rows)
        image[54] = 8;
        image[55] = 9;
        image[56] = 10;                               // row 1, x = 0
        for (int x = 0; x < 56; x++)
        {
            image[(2 * 3136) + (40 * 56) + x] = 200;  // channel 2, row 40: the whole row
        }

        int[] runs = new int[3 * SparseConv1.MaximumNonzero];
        float[] values = new float[SparseConv1.MaximumNonzero];
        int count;
        fixed (byte* p = image)
        fixed (int* r = runs)
        fixed (float* v = values)
        {
            count = SparseConv1.FindRuns(p, bytes: true, 0, r, v);
        }

        Assert.Equal(4, count);
        Assert.Equal([0, 0, 3, 0, 53, 3, 1, 0, 1, (2 * 56) + 40, 0, 56], runs[..12]);
        float[] expected = [1 / 255f, 2 / 255f, 1f, 7 / 255f, 8 / 255f, 9 / 255f, 10 / 255f, .. Enumerable.Repeat(200 / 255f, 56)];
        Assert.Equal(expected, values[..expected.Length]);
    }

    [Fact]
    public void APictureWithMoreNonzeroInputsThanTheBoundIsLeftToTheDenseKernel()
    {
        int[] runs = new int[3 * SparseConv1.MaximumNonzero];
        float[] values = new float[SparseConv1.MaximumNonzero];
        foreach (bool bytes in new[] { true, false })
        {
            foreach ((int lit, int expected) in new[] { (SparseConv1.MaximumNonzero, SparseConv1.MaximumNonzero), (SparseConv1.MaximumNonzero + 1, -1) })
            {
                // Every other input lit, so that every lit input is a run of its own.
                byte[] image = new byte[Pixels];
                for (int i = 0; i < lit; i++)
                {
                    image[2 * i] = 1;
                }

                byte[] pixels = bytes ? image : FloatBytes(image);
                fixed (byte* p = pixels)
                fixed (int* r = runs)
                fixed (float* v = values)
                {
                    Assert.Equal(expected, SparseConv1.FindRuns(p, bytes, 0, r, v));
                }
            }
        }
    }

    /// <summary>
    /// 0 · ∞ is NaN: with an infinite weight or output gradient the dense kernels' NaNs reach places where the inputs
    /// are 0, and the sparse kernel, which skips those products, would not give them. Those passes go through the dense
    /// kernels, and a NaN input is a nonzero input.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void NonFiniteWeightsGradientsAndPixelsGiveWhatTheDenseKernelsGive(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        byte[] frames = GridWorldFrames(3, out int batch);
        (float[] w1, float[] b1, float[] w2, float[] b2) = Weights(seed: 6);
        float[] outputGradient = Gaussian(batch * Features, seed: 7);

        float[] infiniteWeight = (float[])w1.Clone();
        infiniteWeight[(3 * 192) + 17] = float.PositiveInfinity; // output channel 3, input channel 0, ky 2, kx 1
        float[] infiniteLastWeight = (float[])w1.Clone();
        infiniteLastWeight[^1] = float.NegativeInfinity;           // output channel 15, input channel 2, ky 7, kx 7: the last the check reads
        float[] infiniteGradient = (float[])outputGradient.Clone();
        infiniteGradient[Features + 5] = float.NegativeInfinity; // the second picture's
        byte[] withNaN = FloatBytes(frames);
        MemoryMarshalFloats(withNaN)[(3 * 56) + 30] = float.NaN;  // the first picture, channel 0, row 3, x 30

        foreach ((string name, byte[] pixels, bool bytes, float[] weights, float[] gradient) in new[]
        {
            ("an infinite conv1 weight", frames, true, infiniteWeight, outputGradient),
            ("conv1's last weight infinite", frames, true, infiniteLastWeight, outputGradient),
            ("an infinite output gradient", frames, true, w1, infiniteGradient),
            ("a NaN pixel", withNaN, false, w1, outputGradient),
        })
        {
            Pass sparse = Run(pixels, bytes, batch, weights, b1, w2, b2, gradient, dense: false);
            Pass dense = Run(pixels, bytes, batch, weights, b1, w2, b2, gradient, dense: true);
            Assert.True(sparse.Hidden.Concat(sparse.DW1).Any(float.IsNaN), $"{name}: no NaN came out");
            AssertSameBits(dense, sparse, $"{name}: ");
        }
    }

    private sealed record Pass(float[] Hidden, float[] Features, float[] DW1, float[] DB1, float[] DW2, float[] DB2, long MultiplyAdds);

    private static Pass Run(byte[] pixels, bool bytes, int batch, float[] w1, float[] b1, float[] w2, float[] b2, float[] outputGradient, bool dense)
    {
        using IDisposable? denseOnly = dense ? SparseConv1.DenseOnThisThread() : null;
        float[] arranged = new float[FastConvolutions.ArrangedWeights];
        float[] hidden = new float[batch * Hidden], features = new float[batch * Features];
        float[] dW1 = new float[w1.Length], dB1 = new float[16], dW2 = new float[w2.Length], dB2 = new float[32];
        long multiplyAdds;
        fixed (byte* p = pixels)
        fixed (float* a = arranged, pw1 = w1, pb1 = b1, pw2 = w2, pb2 = b2, h = hidden, f = features, g = outputGradient)
        fixed (float* dw1 = dW1, db1 = dB1, dw2 = dW2, db2 = dB2)
        {
            FastConvolutions.ArrangeWeights(pw1, pw2, a);
            multiplyAdds = FastConvolutions.ForwardArranged(p, bytes, batch, a, pb1, pb2, h, f);
            FastConvolutions.Backward(p, bytes, batch, h, f, g, pw2, dw1, db1, dw2, db2);
        }

        return new Pass(hidden, features, dW1, dB1, dW2, dB2, multiplyAdds);
    }

    /// <summary>
    /// The pictures a batch of the grid world's environments shows over a few random steps, as the environment delivers
    /// them ([B, 3, 56, 56] bytes), the agent on the target among them.
    /// </summary>
    private static byte[] GridWorldFrames(int seed, out int batch)
    {
        const int Environments = 8, Steps = 4;
        var world = new VectorGridWorld(new GridWorldOptions(), Environments);
        world.Reset((ulong)seed);
        var random = new Random(seed);
        var frames = new List<byte>();
        var observations = new byte[Environments * Pixels];
        int[] actions = new int[Environments];
        for (int step = 0; step < Steps; step++)
        {
            world.CopyObservations(observations);
            frames.AddRange(observations);
            for (int e = 0; e < Environments; e++)
            {
                actions[e] = random.Next(5);
            }

            world.Step(actions);
        }

        // The agent drawn over the target: a picture with the green square alone.
        byte[] agentOnTarget = FrameRenderer.DrawRgb(5, new Cell(2, 3), new Cell(2, 3));
        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < 56 * 56; i++)
            {
                frames.Add(agentOnTarget[(3 * i) + c]);
            }
        }

        batch = (Environments * Steps) + 1;
        return [.. frames];
    }

    private static byte[] FloatBytes(byte[] pixels)
    {
        var floats = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            floats[i] = pixels[i] / 255f;
        }

        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
    }

    private static Span<float> MemoryMarshalFloats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());

    private static (float[] W1, float[] B1, float[] W2, float[] B2) Weights(int seed)
    {
        manual_seed(seed);
        using var scope = NewDisposeScope();
        Conv2d conv1 = nn.Conv2d(3, 16, 8, stride: 4), conv2 = nn.Conv2d(16, 32, 4, stride: 2);
        return (conv1.weight!.data<float>().ToArray(), conv1.bias!.data<float>().ToArray(), conv2.weight!.data<float>().ToArray(), conv2.bias!.data<float>().ToArray());
    }

    private static float[] Gaussian(int length, int seed)
    {
        using var scope = NewDisposeScope();
        return randn([length], generator: new Generator((ulong)seed)).data<float>().ToArray();
    }

    /// <summary>Every output and gradient of <paramref name="sparse"/> has <paramref name="dense"/>'s bits.</summary>
    private static void AssertSameBits(Pass dense, Pass sparse, string context)
    {
        AssertBits(dense.Hidden, sparse.Hidden, context + "conv1's outputs");
        AssertBits(dense.Features, sparse.Features, context + "the features");
        AssertBits(dense.DW1, sparse.DW1, context + "conv1's weight gradient");
        AssertBits(dense.DB1, sparse.DB1, context + "conv1's bias gradient");
        AssertBits(dense.DW2, sparse.DW2, context + "conv2's weight gradient");
        AssertBits(dense.DB2, sparse.DB2, context + "conv2's bias gradient");
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int differing = Enumerable.Range(0, expected.Length).Count(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]));
        Assert.True(differing == 0, $"{what}: {differing} of {expected.Length} values differ from the dense kernels' in their bits");
    }
}
