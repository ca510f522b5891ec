using System.Text.Json.Nodes;
using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using static TorchSharp.torch;

namespace GridTime.Tests.Training;

/// <summary>The readings of the paper's task as training settings: recorded, refused where they do not apply, and what the core receives.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TaskReadingSettingsTests
{
    [Fact]
    public void EvaluationFeedsTheCoreTOnlyAtTheStartWhenTheRulesSaySo()
    {
        // Replays each evaluated episode by hand, feeding the network T at t = 0 and 0 afterwards: the recorded
        // probabilities must be those, and differ from what T at every step would give.
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Baseline, Hidden = 16, Seed = 3 });
        var rules = new GridWorldOptions { InstructionShown = InstructionShown.FirstStep };
        IReadOnlyList<EvaluationEpisode> episodes = PolicyEvaluator.Run(network, rules, instruction: 9, episodes: 3, seed: 5, greedy: true, record: true);
        FrameCache frames = FrameCache.ForSize(5);
        bool differs = false;
        for (int e = 0; e < episodes.Count; e++)
        {
            var world = new GridWorld(rules with { MinInstruction = 1, MaxInstruction = 9 });
            world.Reset(SeededRandom.Derive(5, (ulong)e), 9);
            using var noGrad = no_grad();
            Tensor masked = network.InitialState(1), always = network.InitialState(1);
            foreach (EpisodeStep step in episodes[e].Record!.Steps)
            {
                using var scope = NewDisposeScope();
                Tensor image = frames.BatchByteTensor([world.FrameKey]);
                AgentOutput m = network.Step(image, tensor(new[] { world.Time == 0 ? 9f : 0f }), masked);
                AgentOutput a = network.Step(image, tensor(new[] { 9f }), always);
                float[] p = nn.functional.softmax(m.Logits, 1).data<float>().ToArray();
                float[] q = nn.functional.softmax(a.Logits, 1).data<float>().ToArray();
                for (int k = 0; k < p.Length; k++)
                {
                    Assert.Equal(p[k], step.Probabilities[k], 5);
                    differs |= Math.Abs(q[k] - p[k]) > 1e-4;
                }

                masked = m.State.MoveToOuterDisposeScope();
                always = a.State.MoveToOuterDisposeScope();
                world.Step(step.Action);
            }
        }

        Assert.True(differs, "T at every step would have given other probabilities");
    }

    [Fact]
    public void TheReadingsAreRecordedInConfigJson()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "nac", "--frames", "400", "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--episode-log-every", "0", "--reward-shape", "unclipped", "--instruction-shown", "first-step",
            "--agent-start", "centre", "--arithmetic-input", "instruction");
        Assert.True(code == 0, error);
        JsonNode config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        string text = config.ToJsonString();
        Assert.Contains("\"rewardShape\":\"unclipped\"", text);
        Assert.Contains("\"instructionShown\":\"first-step\"", text);
        Assert.Contains("\"agentStart\":\"centre\"", text);
        Assert.Contains("\"arithmeticInput\":\"instruction\"", text);
        (int evalCode, _, string evalError) = Gridtime.Run("eval", "--run", run, "--t-to", "6", "--episodes", "2");
        Assert.True(evalCode == 0, evalError);
    }

    [Theory]
    [InlineData("--reward-shape", "squared", "--reward-shape: expected clipped|unclipped, got 'squared'")]
    [InlineData("--agent-start", "corner", "--agent-start: expected random|centre, got 'corner'")]
    [InlineData("--instruction-shown", "never", "--instruction-shown: expected every-step|first-step, got 'never'")]
    public void AnUnknownReadingIsBadInput(string flag, string value, string message)
    {
        (int code, _, string error) = Gridtime.Run("train", flag, value, "--frames", "100");
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void TheArithmeticInputIsRefusedForAnAgentWithoutAnArithmeticUnit()
    {
        (int code, _, string error) = Gridtime.Run("train", "--agent", "baseline", "--arithmetic-input", "instruction", "--frames", "100");
        Assert.Equal(2, code);
        Assert.Contains("--arithmetic-input: the baseline agent has no NAC or NALU whose input could be chosen (only nac and nalu have)", error);
        Assert.Empty(new TrainConfig { Agent = CoreKind.Nalu, ArithmeticInput = ArithmeticInput.Instruction }.Problems());
    }
}
