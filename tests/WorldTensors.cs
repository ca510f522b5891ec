using GridTime.Agents;
using GridTime.Environment;
using static TorchSharp.torch;

namespace GridTime.Tests;

/// <summary>
/// The environment's observations as the networks' input tensors, for tests that feed a network by hand
/// (the environment hands out bytes and floats; <see cref="ObservationTensors"/> makes the tensors).
/// </summary>
internal static class WorldTensors
{
    /// <summary>The current observations as a new uint8 tensor [B, 3, 56, 56].</summary>
    public static Tensor ObservationByteTensor(this VectorGridWorld worlds)
    {
        var bytes = new byte[worlds.Count * FrameRenderer.FrameLength];
        worlds.CopyObservations(bytes);
        return ObservationTensors.Frames(bytes);
    }

    /// <summary>The current observations as a new float32 tensor [B, 3, 56, 56] in [0, 1].</summary>
    public static Tensor ObservationTensor(this VectorGridWorld worlds)
    {
        var planes = new float[worlds.Count * FrameRenderer.FrameLength];
        worlds.CopyObservationPlanes(planes);
        return ObservationTensors.Frames(planes);
    }

    /// <summary>The instructions the agents observe now as a new float32 tensor [B].</summary>
    public static Tensor InstructionTensor(this VectorGridWorld worlds)
    {
        var instructions = new float[worlds.Count];
        worlds.CopyInstructions(instructions);
        return ObservationTensors.Instructions(instructions);
    }

    /// <summary>The frame as a new float32 tensor [3, 56, 56] in [0, 1].</summary>
    public static Tensor ToTensor(this Frame frame) => ObservationTensors.Frames(frame.Planes.Span).squeeze(0);

    /// <summary>The frames with keys <paramref name="keys"/> as a new uint8 tensor [B, 3, 56, 56].</summary>
    public static Tensor BatchByteTensor(this FrameCache frames, int[] keys)
    {
        var bytes = new byte[keys.Length * FrameRenderer.FrameLength];
        frames.CopyPlaneBytes(keys, bytes);
        return ObservationTensors.Frames(bytes);
    }
}
