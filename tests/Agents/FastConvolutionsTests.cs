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
        Tensor floats = bytePixels ? pixels.to_type(ScalarType.Float32).div_(255f) : pixels;
        Tensor outputGradient = randn([batch, 800], generator: generator);

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
    /// The batch covers every block (24 of 6 pixels and 5 of 5) of several images.
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
