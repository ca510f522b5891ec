using GridTime.Agents;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Tests.Reliability;

public sealed class NonFiniteUpdateTests
{
    private static SharedTraining Shared(out ActorCritic network)
    {
        var config = new TrainConfig { Hidden = 8, ArithmeticWidth = 2, Workers = 1 };
        network = new ActorCritic(config.Network);
        return new SharedTraining(config, network, SharedAdam.For(network, config), 0, "test");
    }

    // Gradients of a real backward pass through a worker's copy, with one NaN written into one of them,
    // and the norm the worker computes from them (clip_grad_norm_).
    private static (Tensor[] Gradients, double Norm, double Loss) GradientsWithANaN(TrainConfig config)
    {
        using var local = new ActorCritic(config.Network);
        Parameter[] parameters = [.. local.parameters()];
        Tensor loss = local.Rollout(zeros(new long[] { 1, 2, 3, 56, 56 }, ScalarType.Byte), full(new long[] { 1, 2 }, 7f), local.InitialState(2), zeros(1, 2)).Values.sum();
        loss.backward();
        using (no_grad())
        {
            using Tensor grad = parameters[3].grad!;
            grad.view(-1)[0] = float.NaN;
        }

        double norm = nn.utils.clip_grad_norm_(parameters, 40);
        return ([.. parameters.Select(p => p.grad?.clone() ?? zeros_like(p))], norm, loss.item<float>());
    }

    [Fact]
    public void AnUpdateThatCrossesAnIntervalIsInTheStatisticsWhenTheIntervalIsSignalled()
    {
        // The trainer writes a metrics row when an update's frames cross the log interval; the update's losses must
        // be counted by then, or the row they land in depends on the timing of two threads.
        var config = new TrainConfig { Hidden = 8, ArithmeticWidth = 2, Workers = 1, LogInterval = 40 };
        using var network = new ActorCritic(config.Network);
        var shared = new SharedTraining(config, network, SharedAdam.For(network, config), 0, "test") { HoldAtIntervals = true };
        Tensor[] zero = [.. network.parameters().Select(p => zeros_like(p))];
        Assert.True(shared.TryApply(zero, 1.5, 2.0, 40, new UpdateFigures(0.25, 0.5, 1.25, TimeLeftLoss: 3.0)));
        Assert.True(shared.IntervalReached.WaitOne(0));
        IntervalTotals row = shared.Statistics.Drain();
        Assert.Equal((1L, 0.25, 0.5, 1.25, 2.0, 3.0, 1L, 0L), (row.Updates, row.PolicyLoss, row.ValueLoss, row.Entropy, row.GradientNorm, row.TimeLeftLoss, row.TimeLeftUpdates, row.NauUpdates));

        // A skipped update's figures are not counted.
        Assert.False(shared.TryApply(zero, double.NaN, 2.0, 40, new UpdateFigures(9, 9, 9)));
        IntervalTotals skipped = shared.Statistics.Drain();
        Assert.Equal((0L, 1L), (skipped.Updates, skipped.SkippedUpdates));
    }

    [Fact]
    public void ANaNInAGradientIsSkippedCountedAndNeverApplied()
    {
        SharedTraining shared = Shared(out ActorCritic network);
        using (network)
        {
            float[][] before = [.. network.parameters().Select(p => p.data<float>().ToArray())];
            (Tensor[] gradients, double norm, double loss) = GradientsWithANaN(shared.Config);
            Assert.True(double.IsNaN(norm));

            Assert.False(shared.TryApply(gradients, loss, norm, 40));
            Assert.Equal(1, shared.SkippedUpdates);
            Assert.Equal(0, shared.Frames);
            Assert.Equal(0, shared.Optimizer.StepCount);
            Assert.Equal(1, shared.Statistics.Drain().SkippedUpdates);
            Assert.Equal(before, network.parameters().Select(p => p.data<float>().ToArray()));

            // A finite update after it is applied as usual.
            Tensor[] finite = [.. gradients.Select(g => nan_to_num(g, 0))];
            Assert.True(shared.TryApply(finite, loss, 1.0, 40));
            Assert.Equal(40, shared.Frames);
            Assert.All(network.parameters(), p => Assert.True(isfinite(p).all().item<bool>()));
        }
    }

    [Fact]
    public void AnInfiniteLossIsSkippedToo()
    {
        SharedTraining shared = Shared(out ActorCritic network);
        using (network)
        {
            Tensor[] gradients = [.. network.parameters().Select(p => zeros_like(p))];
            Assert.False(shared.TryApply(gradients, double.PositiveInfinity, 0.0, 40));
            Assert.Equal(1, shared.SkippedUpdates);
        }
    }

    [Fact]
    public void UpdatesThatKeepBeingNaNStopTheRunWithAClearMessage()
    {
        SharedTraining shared = Shared(out ActorCritic network);
        using (network)
        {
            Tensor[] gradients = [.. network.parameters().Select(p => zeros_like(p))];
            for (int i = 1; i < SharedTraining.MaximumSkippedInARow; i++)
            {
                Assert.False(shared.TryApply(gradients, double.NaN, double.NaN, 40));
            }

            var stop = Assert.Throws<TrainingDivergedException>(() => shared.TryApply(gradients, double.NaN, double.NaN, 40));
            Assert.Contains($"{SharedTraining.MaximumSkippedInARow} updates in a row", stop.Message);
            Assert.Equal(SharedTraining.MaximumSkippedInARow, shared.SkippedUpdates);
        }
    }
}
