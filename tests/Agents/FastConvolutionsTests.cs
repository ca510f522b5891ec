using System.Runtime.InteropServices;
using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Tests.Agents;

/// <summary>The encoder's convolutions give libtorch's values and weight gradients at every vector width this machine runs.</summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class FastConvolutionsTests
{
    // One frame, an odd batch, an acting step's batch; pixels as the environment delivers them (uint8, which
    // the kernel divides by 255 itself) and as arbitrary floats.
    public static TheoryData<SimdWidth, int, bool> Batches => SimdWidths.Times(new TheoryData<int, bool> { { 1, true }, { 3, false }, { 32, true }, { 32, false } });

    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    [Theory]
    [MemberData(nameof(Batches))]
    public void TheyGiveLibtorchsFeaturesAndWeightGradients(SimdWidth width, int batch, bool bytePixels)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        (Conv2d conv1, Conv2d conv2) = Layers(batch);
        var generator = new Generator((ulong)batch);
        Tensor pixels = bytePixels
            ? randint(0, 256, [batch, 3, 56, 56], generator: generator).to_type(ScalarType.Byte)
            : rand([batch, 3, 56, 56], generator: generator);
        Tensor outputGradient = randn([batch, 800], generator: generator);
        AssertGivesLibtorchsResults(pixels, outputGradient, conv1, conv2);
    }

    /// <summary>
    /// <see cref="FastConvolutions.Apply"/> on <paramref name="pixels"/> (uint8 or float32 [B, 3, 56, 56]) gives libtorch's
    /// features and, from <paramref name="outputGradient"/> [B, 800], its weight and bias gradients, to float rounding.
    /// </summary>
    internal static void AssertGivesLibtorchsResults(Tensor pixels, Tensor outputGradient, Conv2d conv1, Conv2d conv2)
    {
        Tensor floats = pixels.dtype == ScalarType.Byte ? pixels.to_type(ScalarType.Float32).div_(255f) : pixels;
        (Tensor expected, Tensor[] expectedGradients) = Run(() => F.relu(conv2.call(F.relu(conv1.call(floats)))).flatten(1), outputGradient, conv1, conv2);
        (Tensor actual, Tensor[] actualGradients) = Run(() => FastConvolutions.Apply(pixels, conv1, conv2), outputGradient, conv1, conv2);

        // Some features must be cut by the ReLUs, or the masks in the backward pass are not tested.
        Assert.InRange((expected == 0).to_type(ScalarType.Float32).mean().item<float>(), 0.05f, 0.95f);
        TensorAssert.Close(expected, actual, "features");
        string[] names = ["conv1 weight", "conv1 bias", "conv2 weight", "conv2 bias"];
        for (int i = 0; i < names.Length; i++)
        {
            TensorAssert.Close(expectedGradients[i], actualGradients[i], names[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void PixelsAreWidenedAndDividedBy255ExactlyAsTheDivisionRounds(SimdWidth width)
    {
        byte[] pixels = [.. Enumerable.Range(0, 256).Select(v => (byte)v)];
        var converted = new float[256];
        fixed (byte* source = pixels)
        fixed (float* target = converted)
        {
            for (int first = 0; first < 256; first += (int)width / 32)
            {
                switch (width)
                {
                    case SimdWidth.Bits512:
                        FastConvolutions.DividedBy255(Vec512.LoadBytes(source + first)).Store(target + first);
                        break;
                    case SimdWidth.Bits256:
                        FastConvolutions.DividedBy255(Vec256.LoadBytes(source + first)).Store(target + first);
                        break;
                    default:
                        FastConvolutions.DividedBy255(Vec128.LoadBytes(source + first)).Store(target + first);
                        break;
                }
            }
        }

        for (int v = 0; v < 256; v++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(v / 255f), BitConverter.SingleToInt32Bits(converted[v]));
        }
    }

    /// <summary>
    /// conv1 takes blocks of pixels x two vectors of channels at 256 and 128 bits and rows of 13 pixels x one vector at
    /// 512, each output summed over its 192 inputs in the same order: every width gives the same features to the bit.
    /// The batch covers every block (28 of 6 pixels and the last, overlapping one) of several images.
    /// </summary>
    [Fact]
    public void EveryWidthGivesTheSameFeaturesToTheBit()
    {
        using var scope = NewDisposeScope();
        (Conv2d conv1, Conv2d conv2) = Layers(3);
        Tensor pixels = randint(0, 256, [5, 3, 56, 56], generator: new Generator(3)).to_type(ScalarType.Byte);
        int[]? first = null;
        foreach (SimdWidth width in Simd.Runnable)
        {
            using var _ = Simd.ForceOnThisThread(width);
            Tensor features = FastConvolutions.Apply(pixels, conv1, conv2);
            Assert.InRange((features == 0).to_type(ScalarType.Float32).mean().item<float>(), 0.05f, 0.95f);
            int[] bits = [.. features.data<float>().ToArray().Select(BitConverter.SingleToInt32Bits)];
            first ??= bits;
            Assert.True(first.SequenceEqual(bits), $"the features at {width} differ from those at {Simd.Runnable[0]}");
        }
    }

    /// <summary>
    /// The forward pass reads and writes nothing past its batch: pixels (bytes, or floats read in place), conv1's outputs
    /// and the features each end where a page the process may not touch begins (a read or write there stops the test
    /// run), for batches that end a 12-image chunk part-way and 6-pixel blocks of conv2 part-way, at every width. What it
    /// writes there is libtorch's: every one of conv1's 169 output pixels (its last row and column, which conv2 never
    /// reads, included) and the features.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void TheForwardPassStaysInsideItsBuffersAndWritesEveryPixel(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        const int Hidden = 13 * 13 * 16, Pixels = 3 * 56 * 56;
        (Conv2d conv1, Conv2d conv2) = Layers(5);
        float[] arranged = new float[FastConvolutions.ArrangedWeights];
        float[] w1 = conv1.weight!.data<float>().ToArray(), w2 = conv2.weight!.data<float>().ToArray();
        float[] b1 = conv1.bias!.data<float>().ToArray(), b2 = conv2.bias!.data<float>().ToArray();
        fixed (float* a = arranged, pw1 = w1, pw2 = w2)
        {
            FastConvolutions.ArrangeWeights(pw1, pw2, a);
        }

        var generator = new Generator(5);
        foreach (int batch in new[] { 1, 5, 13, 25 })
        {
            foreach (bool bytes in new[] { true, false })
            {
                Tensor picture = randint(0, 256, [batch, 3, 56, 56], generator: generator).to_type(ScalarType.Byte);
                Tensor floats = picture.to_type(ScalarType.Float32).div_(255f);
                Tensor expectedHidden = F.relu(conv1.call(floats));
                Tensor expectedFeatures = F.relu(conv2.call(expectedHidden)).flatten(1);
                using var pixels = new GuardedBuffer(bytes ? batch * Pixels : batch * Pixels * sizeof(float));
                using var hidden = new GuardedBuffer(batch * Hidden * sizeof(float));
                using var output = new GuardedBuffer(batch * FastConvolutions.Features * sizeof(float));
                if (bytes)
                {
                    picture.data<byte>().CopyTo(new Span<byte>(pixels.Start, batch * Pixels));
                }
                else
                {
                    floats.data<float>().CopyTo(new Span<float>(pixels.Start, batch * Pixels));
                }

                fixed (float* a = arranged, bias1 = b1, bias2 = b2)
                {
                    FastConvolutions.ForwardArranged(pixels.Start, bytes, batch, a, bias1, bias2, (float*)hidden.Start, (float*)output.Start);
                }

                Tensor actualHidden = tensor(new ReadOnlySpan<float>(hidden.Start, batch * Hidden).ToArray()).view(batch, 13, 13, 16).permute(0, 3, 1, 2);
                Tensor actualFeatures = tensor(new ReadOnlySpan<float>(output.Start, batch * FastConvolutions.Features).ToArray()).view(batch, FastConvolutions.Features);
                TensorAssert.Close(expectedHidden, actualHidden, $"conv1's outputs, batch {batch}, {(bytes ? "bytes" : "floats")}");
                TensorAssert.Close(expectedFeatures, actualFeatures, $"the features, batch {batch}, {(bytes ? "bytes" : "floats")}");
            }
        }
    }

    /// <summary>
    /// A run of bytes that ends where an inaccessible page begins (Linux's mmap and mprotect), so that the first access
    /// past the end faults.
    /// </summary>
    private sealed unsafe class GuardedBuffer : IDisposable
    {
        private const int ProtNone = 0, ProtReadWrite = 3, MapPrivateAnonymous = 0x22;
        private readonly nint _mapping;
        private readonly nuint _length;

        public GuardedBuffer(int bytes)
        {
            nuint page = (nuint)System.Environment.SystemPageSize, pages = ((nuint)bytes + page - 1) / page;
            _length = (pages + 1) * page;
            _mapping = mmap(0, _length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            Assert.NotEqual(-1, _mapping);
            Assert.Equal(0, mprotect(_mapping + (nint)(pages * page), page, ProtNone));
            Start = (byte*)(_mapping + (nint)(pages * page)) - bytes;
        }

        /// <summary>The first byte: the buffer's last byte is the last before the inaccessible page.</summary>
        public byte* Start { get; }

        public void Dispose() => munmap(_mapping, _length);

        [DllImport("libc", SetLastError = true)]
        private static extern nint mmap(nint address, nuint length, int protection, int flags, int file, nint offset);

        [DllImport("libc")]
        private static extern int mprotect(nint address, nuint length, int protection);

        [DllImport("libc")]
        private static extern int munmap(nint address, nuint length);
    }

    [Fact]
    public void AnInputThatNeedsAGradientGetsIt()
    {
        using var scope = NewDisposeScope();
        (Conv2d conv1, Conv2d conv2) = Layers(2);
        Tensor pixels = rand([2, 3, 56, 56], generator: new Generator(2)).requires_grad_(true);
        FastConvolutions.Apply(pixels, conv1, conv2).sum().backward();
        Tensor viaKernel = pixels.grad!.clone();
        pixels.grad!.zero_();
        F.relu(conv2.call(F.relu(conv1.call(pixels)))).flatten(1).sum().backward();
        TensorAssert.Close(pixels.grad!, viaKernel, "input gradient");
    }

    private static (Conv2d, Conv2d) Layers(int seed)
    {
        manual_seed(seed);
        return (nn.Conv2d(3, 16, 8, stride: 4), nn.Conv2d(16, 32, 4, stride: 2));
    }

    private static (Tensor Output, Tensor[] Gradients) Run(Func<Tensor> forward, Tensor outputGradient, Conv2d conv1, Conv2d conv2)
    {
        Parameter[] parameters = [.. conv1.parameters(), .. conv2.parameters()];
        foreach (Parameter p in parameters)
        {
            p.grad = null;
        }

        Tensor output = forward();
        output.backward([outputGradient]);
        return (output.detach(), [.. parameters.Select(p => p.grad!.clone())]);
    }
}
