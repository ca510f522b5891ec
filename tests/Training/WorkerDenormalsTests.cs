using GridTime.Agents;
using GridTime.Agents.Kernels;
using GridTime.Training.A3C;
using GridTime.Training.Config;

namespace GridTime.Tests.Training;

/// <summary>A training worker flushes denormals while it trains (where the platform can) and leaves its thread as it found it.</summary>
public sealed class WorkerDenormalsTests
{
    [Fact]
    public void AWorkerTrainsWithDenormalsFlushedAndRestoresItsThread()
    {
        var config = new TrainConfig { Agent = CoreKind.Baseline, Hidden = 16, Workers = 1, EnvsPerWorker = 4, Steps = 5, Frames = 40, EpisodeLogEvery = 0, Seed = 3 };
        bool flushed = false, before = true, after = true;
        var thread = new Thread(() =>
        {
            using var network = new ActorCritic(config.Network);
            using var optimizer = SharedAdam.For(network, config);
            var shared = new SharedTraining(config, network, optimizer, 0, "denormals");
            var worker = new A3CWorker(shared, 0, environmentSeed: 5, null);
            before = Denormals.FlushedOnThisThread;
            worker.Run(CancellationToken.None);
            flushed = worker.FlushedDenormals;
            after = Denormals.FlushedOnThisThread;
        });
        thread.Start();
        thread.Join();
        Assert.False(before);
        Assert.Equal(Denormals.CanFlush, flushed);
        Assert.False(after);
    }
}
