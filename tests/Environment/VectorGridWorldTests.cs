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
    public void ObservationsComeAsOneBatchTensor()
    {
        var vector = new VectorGridWorld(new GridWorldOptions(), 4);
        vector.Reset(3);
        using Tensor observations = vector.ObservationTensor();
        using Tensor instructions = vector.InstructionTensor();
        Assert.Equal([4L, 3, 56, 56], observations.shape);
        Assert.Equal([4L], instructions.shape);
        for (int i = 0; i < 4; i++)
        {
            using Tensor single = vector[i].Observation.Image.ToTensor();
            using Tensor row = observations[i];
            Assert.True(row.allclose(single, rtol: 0, atol: 0));
            using Tensor instruction = instructions[i];
            Assert.Equal(vector[i].Instruction, instruction.item<float>());
        }
    }

    [Fact]
    public void ByteObservationsHoldTheSamePixels()
    {
        var vector = new VectorGridWorld(new GridWorldOptions(), 5);
        vector.Reset(8);
        using Tensor floats = vector.ObservationTensor();
        using Tensor bytes = vector.ObservationByteTensor();
        Assert.Equal(ScalarType.Byte, bytes.dtype);
        Assert.Equal(floats.shape, bytes.shape);
        using Tensor scaled = bytes.to_type(ScalarType.Float32) / 255f;
        Assert.True(scaled.allclose(floats, rtol: 0, atol: 1e-7));
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
