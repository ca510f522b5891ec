namespace GridTime.Agents.Kernels;

/// <summary>
/// Per-thread working memory of the kernels, kept between calls (a worker makes thousands of calls a
/// second; allocating each time cost more than some of the work it served). Each caller owns its slots,
/// so that buffers in use at the same time are never the same one.
/// </summary>
internal static unsafe class Scratch
{
    /// <summary>Slots 0-3: the layers' transposed operands and summed biases (<see cref="FastLinear"/>, <see cref="FastLstmCell"/>).</summary>
    public const int LayerSlots = 4;

    /// <summary>The zero-padded last columns of B in <see cref="Sgemm"/>, in use while the layers' slots are.</summary>
    public const int TailPanel = LayerSlots;

    /// <summary>Slots 5-10: <see cref="FastConvolutions"/>' re-laid weights, channels-last gradients (slot 6 also the forward pass's pixel-major conv2 output), weight gradients and one image as floats.</summary>
    public const int ConvolutionSlots = TailPanel + 1;

    /// <summary>Slots 11-19: <see cref="FastLstmCoreStep"/>'s transposed operands, NAC weights and gradients.</summary>
    public const int CoreSlots = ConvolutionSlots + 6;

    /// <summary>Slot 20: B packed by <see cref="Sgemm.Multiply"/> for a product with more than one cache block of A's rows and more than one panel of columns.</summary>
    public const int PackedB = CoreSlots + 9;

    private const int Slots = PackedB + 1;

    [ThreadStatic]
    private static NativeBuffer[]? buffers;

    /// <summary>This thread's buffer <paramref name="slot"/>, at least <paramref name="floats"/> long (its contents are not kept when it grows).</summary>
    public static float* Get(int slot, long floats)
    {
        buffers ??= [.. Enumerable.Range(0, Slots).Select(_ => new NativeBuffer())];
        return buffers[slot].AtLeast(floats);
    }
}
