using GridTime.Agents;
using GridTime.Environment;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>The world's bytes and floats become the networks' input tensors value for value, in the world's frame order.</summary>
public sealed class ObservationTensorsTests
{
    [Fact]
    public void FramesBecomeABatchInTheOrderGiven()
    {
        var worlds = new VectorGridWorld(new GridWorldOptions(), 3);
        worlds.Reset(4);
        var bytes = new byte[3 * FrameRenderer.FrameLength];
        var planes = new float[3 * FrameRenderer.FrameLength];
        worlds.CopyObservations(bytes);
        worlds.CopyObservationPlanes(planes);
        using Tensor fromBytes = ObservationTensors.Frames(bytes), fromPlanes = ObservationTensors.Frames(planes);
        Assert.Equal([3L, 3, 56, 56], fromBytes.shape);
        Assert.Equal(ScalarType.Byte, fromBytes.dtype);
        Assert.Equal([3L, 3, 56, 56], fromPlanes.shape);
        Assert.Equal(ScalarType.Float32, fromPlanes.dtype);
        for (int i = 0; i < 3; i++)
        {
            Frame frame = worlds[i].Observation.Image;
            using Tensor row = fromBytes[i], planeRow = fromPlanes[i];
            Assert.Equal(frame.PlaneBytes.ToArray(), row.contiguous().data<byte>().ToArray());
            Assert.Equal(frame.Planes.ToArray(), planeRow.contiguous().data<float>().ToArray());
            Assert.Equal(frame.PixelAt(9, 30).G, row[1, 30, 9].item<byte>()); // channel-major: [channel, y, x]
        }
    }

    [Fact]
    public void InstructionsBecomeAFloatVector()
    {
        using Tensor t = ObservationTensors.Instructions([5f, 12f, 0f]);
        Assert.Equal([3L], t.shape);
        Assert.Equal([5f, 12f, 0f], t.data<float>().ToArray());
    }

    [Fact]
    public void APartOfAFrameIsRefused()
    {
        Assert.Throws<ArgumentException>(() => ObservationTensors.Frames(new byte[FrameRenderer.FrameLength + 1]));
        Assert.Throws<ArgumentException>(() => ObservationTensors.Frames(ReadOnlySpan<float>.Empty));
    }
}
