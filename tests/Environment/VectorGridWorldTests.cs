using GridTime.Environment;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Environment;

public sealed class VectorGridWorldTests
{
    [Fact]
    public void MatchesBSingleWorldsIncludingAutomaticResets()
    {
        const int count = 6;
        const ulong seed = 123;
        var options = new GridWorldOptions { MinInstruction = 1, MaxInstruction = 4 };
        var vector = new VectorGridWorld(options, count);
        vector.Reset(seed);
        var singles = new GridWorld[count];
        for (int i = 0; i < count; i++)
        {
            singles[i] = new GridWorld(options);
            singles[i].Reset(SeededRandom.Derive(seed, (ulong)i));
        }

        var random = new SeededRandom(9);
        var actions = new int[count];
        int finished = 0;
        for (int step = 0; step < 300; step++)
        {
            for (int i = 0; i < count; i++)
            {
                actions[i] = random.NextInt(GridActions.Count);
            }

            vector.Step(actions);
            for (int i = 0; i < count; i++)
            {
                StepResult single = singles[i].Step(actions[i]);
                Assert.Equal(single.Reward, vector.Rewards[i]);
                Assert.Equal(single.Terminated, vector.Terminated[i]);
                Assert.Equal(single.Truncated, vector.Truncated[i]);
                if (single.Terminated || single.Truncated)
                {
                    FinishedEpisode episode = vector.Finished.Single(f => f.EnvironmentIndex == i);
                    Assert.Equal(single.Info, episode.Final);
                    singles[i].Reset();
                    finished++;
                }

                Assert.Equal(singles[i].Info, vector[i].Info);
            }
        }

        Assert.True(finished > 50);
    }

    [Fact]
    public void ObservationsComeAsOneBatchFrameAfterFrame()
    {
        var vector = new VectorGridWorld(new GridWorldOptions(), 4);
        vector.Reset(3);
        var planes = new float[4 * FrameRenderer.FrameLength];
        var instructions = new float[4];
        vector.CopyObservationPlanes(planes);
        vector.CopyInstructions(instructions);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(vector[i].Observation.Image.Planes.ToArray(), planes[(i * FrameRenderer.FrameLength)..((i + 1) * FrameRenderer.FrameLength)]);
            Assert.Equal(vector[i].Instruction, instructions[i]);
        }

        Assert.Throws<ArgumentException>(() => vector.CopyObservationPlanes(new float[3 * FrameRenderer.FrameLength]));
        Assert.Throws<ArgumentException>(() => vector.CopyObservations(new byte[(4 * FrameRenderer.FrameLength) + 1]));
        Assert.Throws<ArgumentException>(() => vector.CopyInstructions(new float[5]));
        Assert.Throws<ArgumentException>(() => vector.CopyTimeLeft(new float[3]));
        Assert.Throws<ArgumentException>(() => vector.CopyFrameKeys(new int[3]));
        FrameCache frames = FrameCache.ForSize(5);
        Assert.Throws<ArgumentException>(() => frames.CopyPlaneBytes([0, 1], new byte[FrameRenderer.FrameLength]));
        Assert.Throws<ArgumentOutOfRangeException>(() => frames.CopyPlaneBytes([625], new byte[FrameRenderer.FrameLength]));
        Assert.Throws<ArgumentOutOfRangeException>(() => frames.CopyPlaneBytes([-1], new byte[FrameRenderer.FrameLength]));
        Assert.Throws<ArgumentOutOfRangeException>(() => frames.Get(-1));
    }

    [Fact]
    public void ByteObservationsHoldTheSamePixels()
    {
        var vector = new VectorGridWorld(new GridWorldOptions(), 5);
        vector.Reset(8);
        var floats = new float[5 * FrameRenderer.FrameLength];
        var bytes = new byte[5 * FrameRenderer.FrameLength];
        vector.CopyObservationPlanes(floats);
        vector.CopyObservations(bytes);
        Assert.All(Enumerable.Range(0, bytes.Length), i => Assert.Equal(floats[i], bytes[i] / 255f, 1e-7f));
    }

    [Fact]
    public void ObservationsAreTheFramesOfTheirKeys()
    {
        // Each frame's bytes are the picture of the key CopyFrameKeys gives for it.
        var vector = new VectorGridWorld(new GridWorldOptions(), 5);
        vector.Reset(8);
        var bytes = new byte[5 * FrameRenderer.FrameLength];
        int[] keys = new int[5];
        vector.CopyObservations(bytes);
        vector.CopyFrameKeys(keys);
        FrameCache frames = FrameCache.ForSize(5);
        Assert.All(Enumerable.Range(0, 5), b => Assert.Equal(frames.Get(keys[b]).PlaneBytes.ToArray(), bytes[(b * FrameRenderer.FrameLength)..((b + 1) * FrameRenderer.FrameLength)]));

        // Read by key, in place: the same bytes; a key past this grid size's refused.
        Assert.All(Enumerable.Range(0, 5), b => Assert.Equal(bytes[(b * FrameRenderer.FrameLength)..((b + 1) * FrameRenderer.FrameLength)], vector.PlaneBytesOf(keys[b]).ToArray()));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.PlaneBytesOf(625));
        Assert.Throws<ArgumentOutOfRangeException>(() => vector.PlaneBytesOf(-1));
    }

    [Fact]
    public void CopiedPlaneBytesAreTheFramesWhetherDrawnBeforeOrByTheCopy()
    {
        // A grid size no other test draws: key 40 is first drawn by the copy itself, key 3 by Get before it.
        FrameCache frames = FrameCache.ForSize(6);
        Frame first = frames.Get(3);
        var copied = new byte[3 * FrameRenderer.FrameLength];
        frames.CopyPlaneBytes([40, 3, 40], copied);
        Assert.Equal(frames.Get(40).PlaneBytes.ToArray(), copied[..FrameRenderer.FrameLength]);
        Assert.Equal(first.PlaneBytes.ToArray(), copied[FrameRenderer.FrameLength..(2 * FrameRenderer.FrameLength)]);
        Assert.Equal(frames.Get(40).PlaneBytes.ToArray(), copied[(2 * FrameRenderer.FrameLength)..]);
    }

    [Fact]
    public void RejectsAWrongNumberOfActionsOrWorlds()
    {
        var vector = new VectorGridWorld(new GridWorldOptions(), 3);
        vector.Reset(1);
        Assert.Throws<ArgumentException>(() => vector.Step(new int[2]));
        Assert.Throws<ArgumentException>(() => vector.Step([0, 1, 7]));
        Assert.Throws<ArgumentException>(() => new VectorGridWorld(new GridWorldOptions(), 0));
    }
}
