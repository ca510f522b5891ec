using GridTime.Training.A3C;
using static TorchSharp.torch;

namespace GridTime.Tests.Training;

/// <summary>Actions are drawn from the softmax of the logits, reproducibly from the seed.</summary>
public sealed class ActionSamplerTests
{
    [Fact]
    public void ActionsFollowTheSoftmaxOfTheLogits()
    {
        using var scope = NewDisposeScope();
        // Two environments: probabilities 0.1, 0.2, 0.3, 0.4, 0 (one action impossible), and all mass on action 2.
        float[] first = [MathF.Log(0.1f), MathF.Log(0.2f), MathF.Log(0.3f), MathF.Log(0.4f), -1e30f];
        float[] logits = [.. first, 0, 0, 50, 0, 0];
        var sampler = new ActionSampler(7);
        var counts = new int[5];
        var actions = new int[2];
        var probabilities = new float[10];
        const int Draws = 40_000;
        for (int i = 0; i < Draws; i++)
        {
            sampler.Sample(logits, actions, probabilities);
            counts[actions[0]]++;
            Assert.Equal(2, actions[1]);
        }

        float[] expected = [0.1f, 0.2f, 0.3f, 0.4f, 0f];
        for (int a = 0; a < 5; a++)
        {
            Assert.Equal(expected[a], probabilities[a], 1e-5f);
            // Four standard deviations of a binomial count.
            double sd = Math.Sqrt(Draws * expected[a] * (1 - expected[a]));
            Assert.InRange(counts[a], (Draws * expected[a]) - (4 * sd), (Draws * expected[a]) + (4 * sd));
        }

        Assert.Equal(0, counts[4]);
    }

    [Fact]
    public void TheSameSeedDrawsTheSameActions()
    {
        using var scope = NewDisposeScope();
        float[] logits = randn([32 * 5], generator: new Generator(3)).data<float>().ToArray();
        int[] Draw(ulong seed)
        {
            var sampler = new ActionSampler(seed);
            var all = new List<int>();
            var actions = new int[32];
            for (int i = 0; i < 10; i++)
            {
                sampler.Sample(logits, actions, new float[160]);
                all.AddRange(actions);
            }

            return [.. all];
        }

        Assert.Equal(Draw(5), Draw(5));
        Assert.NotEqual(Draw(5), Draw(6));
    }
}
