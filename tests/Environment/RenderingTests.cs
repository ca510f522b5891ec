using GridTime.Environment;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Environment;

public sealed class RenderingTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(2)]
    [InlineData(7)]
    public void AgentAndTargetColourTheCentreOfEveryCell(int size)
    {
        FrameCache frames = FrameCache.ForSize(size);
        for (int a = 0; a < size * size; a++)
        {
            for (int t = 0; t < size * size; t++)
            {
                if (a == t)
                {
                    continue;
                }

                Cell agent = Cell.FromIndex(a, size), target = Cell.FromIndex(t, size);
                Frame frame = frames.Get(agent, target);
                Assert.Equal(FrameRenderer.FrameLength, frame.Rgb.Length);
                Assert.Equal((0, 255, 0), ((int, int, int))frame.PixelAt(Centre(agent.Column, size), Centre(agent.Row, size)));
                Assert.Equal((255, 0, 0), ((int, int, int))frame.PixelAt(Centre(target.Column, size), Centre(target.Row, size)));
                var other = Cell.FromIndex((Math.Max(a, t) + 1) % (size * size), size);
                if (other != agent && other != target)
                {
                    Assert.Equal((0, 0, 0), ((int, int, int))frame.PixelAt(Centre(other.Column, size), Centre(other.Row, size)));
                }
            }
        }
    }

    [Fact]
    public void CellsTileTheImageAsEvenlyAsPossible()
    {
        int[] starts = Enumerable.Range(0, 6).Select(c => FrameRenderer.CellStart(c, 5)).ToArray();
        Assert.Equal([0, 11, 22, 33, 44, 56], starts);
        Frame frame = FrameCache.ForSize(5).Get(new Cell(0, 0), new Cell(4, 4));
        int green = 0, red = 0;
        for (int y = 0; y < 56; y++)
        {
            for (int x = 0; x < 56; x++)
            {
                var (r, g, b) = frame.PixelAt(x, y);
                Assert.Equal(0, b);
                green += g == 255 ? 1 : 0;
                red += r == 255 ? 1 : 0;
            }
        }

        Assert.Equal(11 * 11, green);
        Assert.Equal(12 * 12, red);
    }

    [Fact]
    public void TheSameStateAtDifferentTimesGivesTheSameImage()
    {
        var world = new GridWorld();
        world.ResetTo(new Cell(1, 1), new Cell(3, 3), 9);
        Frame first = world.Observation.Image;
        world.Step(GridAction.Stay);
        world.Step(GridAction.Stay);
        Frame later = world.Observation.Image;
        Assert.Equal(first.Rgb.ToArray(), later.Rgb.ToArray());

        var other = new GridWorld();
        other.ResetTo(new Cell(1, 1), new Cell(3, 3), 4);
        Assert.Equal(first.Rgb.ToArray(), other.Observation.Image.Rgb.ToArray());
    }

    [Fact]
    public void ThePlanesAreChannelMajorInZeroToOne()
    {
        Frame frame = FrameCache.ForSize(5).Get(new Cell(0, 0), new Cell(4, 4));
        using Tensor tensor = frame.ToTensor(); // [3, 56, 56] over Planes (tests/WorldTensors.cs)
        Assert.Equal([3L, 56, 56], tensor.shape);
        Assert.Equal(1f, tensor[1, 5, 5].item<float>()); // green channel inside the agent
        Assert.Equal(0f, tensor[0, 5, 5].item<float>());
        Assert.Equal(1f, tensor[0, 50, 50].item<float>()); // red channel inside the target
        Assert.Equal(0f, tensor.min().item<float>());
        Assert.Equal(1f, tensor.max().item<float>());
        Assert.Equal(121f + 144f, tensor.sum().item<float>());
    }

    [Fact]
    public void DrawingFromScratchEqualsTheCachedFrame()
    {
        byte[] drawn = FrameRenderer.DrawRgb(5, new Cell(2, 3), new Cell(0, 1));
        Assert.Equal(drawn, FrameCache.ForSize(5).Get(new Cell(2, 3), new Cell(0, 1)).Rgb.ToArray());
    }

    private static int Centre(int cell, int size) => (FrameRenderer.CellStart(cell, size) + FrameRenderer.CellEnd(cell, size) - 1) / 2;
}
