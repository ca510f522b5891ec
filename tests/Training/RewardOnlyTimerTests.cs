using GridTime.Agents;
using GridTime.Tests.Reliability;
using GridTime.Training;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

/// <summary>
/// The reward-only timer (difference readout, no time-left loss, every loss training the readout) learns from nothing
/// the trainer computes about time: with every time-left target replaced by garbage
/// (<see cref="FaultInjection.GarbageTimeLeftVariable"/>) it trains bit for bit the same weights, where the supervised
/// timer, which reads them, does not.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class RewardOnlyTimerTests
{
    private static readonly string[] RewardOnly = ["--time-left-readout", "difference", "--time-left-loss", "0", "--time-left-gradient", "all"];

    [Fact]
    public async Task GarbageTimeLeftTargetsChangeNothingInTheRewardOnlyTimerAndEverythingInTheSupervisedOne()
    {
        using var folder = new TemporaryFolder();
        float[][] plain = await Train(folder["reward-only"], garbage: false, RewardOnly);
        float[][] garbled = await Train(folder["reward-only-garbage"], garbage: true, RewardOnly);
        Assert.Equal(plain.Length, garbled.Length);
        for (int p = 0; p < plain.Length; p++)
        {
            Assert.Equal(plain[p], garbled[p]); // bit for bit
        }

        // The same garbage reaches the supervised timer's weights (the test can fail).
        float[][] supervised = await Train(folder["supervised"], garbage: false);
        float[][] misled = await Train(folder["supervised-garbage"], garbage: true);
        Assert.Contains(Enumerable.Range(0, supervised.Length), p => !supervised[p].SequenceEqual(misled[p]));
    }

    // One worker (so the run is repeatable), a small timer, 50 updates; gives the final weights per parameter.
    private static async Task<float[][]> Train(string run, bool garbage, params string[] settings)
    {
        string[] arguments = ["train", "--agent", "timer", "--run-dir", run, "--frames", "1000", "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", .. settings];
        (int code, string output, string error) = await GridtimeProcess.Run(arguments, new Dictionary<string, string> { [FaultInjection.GarbageTimeLeftVariable] = garbage ? "1" : "0" });
        Assert.True(code == 0, $"exit code {code}\n{output}\n{error}");
        (_, ActorCritic network, _) = Checkpoint.Load(new RunFolder(run).LatestCheckpoint);
        using (network)
        {
            return [.. network.parameters().Select(p => p.data<float>().ToArray())];
        }
    }
}
