using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace GridTime.Agents;

/// <summary>
/// The networks' input tensors made from observations as the environment delivers them (GridTime.Environment
/// hands out bytes and floats, never tensors): frames as [B, 3, 56, 56], instructions as float32 [B].
/// </summary>
public static class ObservationTensors
{
    /// <summary>
    /// A new uint8 tensor [B, 3, 56, 56] holding <paramref name="frames"/>: B frames of <see cref="ConvEncoder.InputLength"/>
    /// bytes 0..255 each, channel-major (what <c>VectorGridWorld.CopyObservations</c> writes).
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of a frame's.</exception>
    public static Tensor Frames(ReadOnlySpan<byte> frames)
    {
        Tensor batch = empty([BatchOf(frames.Length), ConvEncoder.InputChannels, ConvEncoder.InputSide, ConvEncoder.InputSide], ScalarType.Byte);
        frames.CopyTo(batch.bytes);
        return batch;
    }

    /// <summary>A new float32 tensor [B, 3, 56, 56] holding <paramref name="planes"/>: B frames of values in [0, 1], channel-major.</summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of a frame's.</exception>
    public static Tensor Frames(ReadOnlySpan<float> planes)
    {
        Tensor batch = empty([BatchOf(planes.Length), ConvEncoder.InputChannels, ConvEncoder.InputSide, ConvEncoder.InputSide], ScalarType.Float32);
        planes.CopyTo(MemoryMarshal.Cast<byte, float>(batch.bytes));
        return batch;
    }

    /// <summary>A new float32 tensor [B] of the instructions T the agents observe (any B, 0 included).</summary>
    public static Tensor Instructions(ReadOnlySpan<float> instructions)
    {
        Tensor batch = empty([instructions.Length], ScalarType.Float32);
        instructions.CopyTo(MemoryMarshal.Cast<byte, float>(batch.bytes));
        return batch;
    }

    private static long BatchOf(int length) =>
        length > 0 && length % ConvEncoder.InputLength == 0
            ? length / ConvEncoder.InputLength
            : throw new ArgumentException($"expected whole frames of {ConvEncoder.InputLength} values (3x56x56), got {length} values");
}
