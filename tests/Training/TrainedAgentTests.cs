using GridTime.Agents;
using GridTime.Environment;
using GridTime.Training.Api;
using static TorchSharp.torch;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class TrainedAgentTests
{
    [Theory]
    [InlineData("", null, "no run folder given (an empty name): give a run folder such as runs/NAME")]
    [InlineData("  ", null, "no run folder given (an empty name): give a run folder such as runs/NAME")]
    [InlineData("runs/x", "", "no checkpoint given (an empty name): give a .ckpt file such as runs/NAME/checkpoints/latest.ckpt")]
    public void AnEmptyNameIsAUsageErrorNamingWhatIsMissing(string run, string? checkpoint, string message)
    {
        var error = Assert.Throws<GridTime.Training.UsageException>(() => TrainedAgent.Load(run, checkpoint));
        Assert.Equal(message, error.Message);
        Assert.Equal(
            "no checkpoint given (an empty name): give a .ckpt file such as runs/NAME/checkpoints/latest.ckpt",
            Assert.Throws<GridTime.Training.UsageException>(() => TrainedAgent.LoadCheckpoint("")).Message);
    }

    [Fact]
    public void EveryCommandThatLoadsARunFallsBackToItsNewestPeriodicCheckpointThatVerifies()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "nac", "--frames", "1200", "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--checkpoint-interval", "400", "--log-interval", "400", "--episode-log-every", "0");
        Assert.True(code == 0, error + output);
        var files = new GridTime.Training.Runs.RunFolder(run);
        string[] periodic = [.. Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal)];
        Assert.True(periodic.Length >= 2);

        // latest.ckpt damaged, the newest periodic one too: the one before it is loaded, and both are named.
        byte[] bytes = File.ReadAllBytes(files.LatestCheckpoint);
        bytes[^10] ^= 0xFF;
        File.WriteAllBytes(files.LatestCheckpoint, bytes);
        byte[] newest = File.ReadAllBytes(periodic[^1]);
        newest[^10] ^= 0xFF;
        File.WriteAllBytes(periodic[^1], newest);
        using (TrainedAgent agent = TrainedAgent.Load(run))
        {
            Assert.Equal(periodic[^2], agent.Checkpoint);
            Assert.Contains($"using {periodic[^2]}, the newest checkpoint of run that verifies (passed over: ", agent.Warning);
        }

        (code, _, error) = Gridtime.Run("export", "--run", run, "--onnx", folder["agent.onnx"]);
        Assert.True(code == 0, error);
        Assert.Contains($"gridtime: warning: ", error);
        Assert.Contains($"using {periodic[^2]}", error);
        (code, _, error) = Gridtime.Run("inspect", "--run", run);
        Assert.True(code == 0, error);
        Assert.Contains($"using {periodic[^2]}", error);

        // latest.ckpt missing: the same rule, and resume says so too, naming the checkpoint it resumes from.
        File.Delete(files.LatestCheckpoint);
        string copy = folder["copy"];
        CopyFolder(run, copy);
        (code, _, error) = Gridtime.Run("train", "--resume", copy, "--frames", "1400");
        Assert.True(code == 0, error);
        Assert.Contains($"{new GridTime.Training.Runs.RunFolder(copy).LatestCheckpoint} is missing; resuming from the previous checkpoint, {Path.Combine(copy, "checkpoints", Path.GetFileName(periodic[^2]))}", error);
        using (TrainedAgent agent = TrainedAgent.Load(run))
        {
            Assert.Equal(periodic[^2], agent.Checkpoint);
            Assert.StartsWith($"{files.LatestCheckpoint} is missing; using {periodic[^2]}", agent.Warning);
        }

        // Nothing verifies: one line, exit 2.
        foreach (string file in periodic)
        {
            File.WriteAllText(file, "not a checkpoint");
        }

        (code, _, error) = Gridtime.Run("export", "--run", run, "--onnx", folder["again.onnx"]);
        Assert.Equal(2, code);
        Assert.StartsWith($"gridtime: {files.LatestCheckpoint} is missing, and no periodic checkpoint of run verifies: ", error);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void TheAgentKnowsTheWorldItWasTrainedIn()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "baseline", "--frames", "400", "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--episode-log-every", "0", "--max-t", "9", "--instruction-shown", "first-step", "--agent-start", "centre", "--reward-shape", "unclipped");
        Assert.True(code == 0, error + output);
        using TrainedAgent agent = TrainedAgent.Load(run);
        Assert.Equal((9, InstructionShown.FirstStep, StartCell.Centre, EpisodeRules.Unclipped), (agent.World.MaxInstruction, agent.World.InstructionShown, agent.World.AgentStart, agent.World.Rules));
    }

    [Fact]
    public void TheAgentCarriesItsStateThroughAnEpisodeAsTheNetworkDoesAndResetsIt()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "nac", "--frames", "1000", "--hidden", "16",
            "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--checkpoint-interval", "1000", "--log-interval", "1000", "--episode-log-every", "1");
        Assert.True(code == 0, error + output);

        using TrainedAgent agent = TrainedAgent.Load(run);
        Assert.Equal(CoreKind.Nac, agent.Core);
        Assert.Equal(1000, agent.Frames);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var world = new GridWorld();
        for (int episode = 0; episode < 2; episode++)
        {
            (Observation observation, _) = world.Reset(seed: 4);
            agent.BeginEpisode();
            Assert.All(agent.State, x => Assert.Equal(0f, x));
            Tensor state = agent.Network.InitialState(1);
            for (int t = 0; t < 6; t++)
            {
                AgentDecision decision = agent.Act(observation, greedy: true);
                AgentOutput expected = agent.Network.Step(observation.Image.ToTensor().unsqueeze(0), tensor(new float[] { observation.Instruction }), state);
                float[] probabilities = expected.Logits.softmax(1).data<float>().ToArray();
                Assert.Equal(probabilities.Length, decision.Probabilities.Count);
                Assert.All(probabilities.Zip(decision.Probabilities), p => Assert.Equal(p.First, p.Second, 1e-5f));
                Assert.Equal(expected.Values.item<float>(), decision.Value, 1e-5f);
                Assert.Equal(Array.IndexOf(probabilities, probabilities.Max()), decision.Action);
                Assert.All(expected.State.data<float>().ToArray().Zip(agent.State), x => Assert.Equal(x.First, x.Second, 1e-5f));
                state = expected.State;
                observation = world.Step(decision.Action).Observation;
            }
        }

        Assert.NotEmpty(RunResults.ReadEpisodes(Path.Combine(run, "episodes", "worker-0.msgpack")).Records);
    }
}
