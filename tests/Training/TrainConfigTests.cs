using System.CommandLine;
using GridTime.Agents;
using GridTime.Cli;
using GridTime.Cli.Commands;
using GridTime.Training.Config;

namespace GridTime.Tests.Training;

public sealed class TrainConfigTests
{
    private static ParseResult Parse(ConfigBinding<TrainConfig> binding, params string[] args)
    {
        var command = new RootCommand();
        foreach (Option option in binding.Options)
        {
            command.Options.Add(option);
        }

        return command.Parse(args);
    }

    [Fact]
    public void DefaultsThenFileThenFlags()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder["c.json"], """{ "learningRate": 0.002, "workers": 3, "agent": "baseline", "frames": 1000 }""");
        TrainConfig fromFile = Settings<TrainConfig>.ReadFile(folder["c.json"]);
        var binding = new ConfigBinding<TrainConfig>();
        ParseResult parsed = Parse(binding, "--learning-rate", "0.01", "--frames", "2e6", "--agent", "nalu");
        TrainConfig merged = binding.ApplyFlags(fromFile, parsed);

        Assert.Equal(0.01, merged.LearningRate); // flag over file
        Assert.Equal(3, merged.Workers); // file over default
        Assert.Equal(2_000_000, merged.Frames);
        Assert.Equal(CoreKind.Nalu, merged.Agent);
        Assert.Equal(new TrainConfig().Gamma, merged.Gamma); // default
        Assert.Equal(0.002, fromFile.LearningRate); // the file's record is not changed
    }

    [Fact]
    public void EverySettingHasADocumentedFlag()
    {
        var binding = new ConfigBinding<TrainConfig>();
        var names = binding.Options.Select(o => o.Name).ToList();
        Assert.Contains("--learning-rate", names);
        Assert.Contains("--agent", names);
        Assert.Contains("--workers", names);
        Assert.Contains("--frames", names);
        Assert.Contains("--seed", names);
        Assert.Contains("--envs-per-worker", names);
        Assert.All(binding.Options, o => Assert.Contains("[default: ", o.Description));
        Option rate = binding.Options.Single(o => o.Name == "--learning-rate");
        Assert.StartsWith("Learning rate of the shared Adam optimizer.", rate.Description);
    }

    [Fact]
    public void UnknownKeysAndBadValuesInAFileAreRejected()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder["a.json"], """{ "learningRat": 0.002 }""");
        File.WriteAllText(folder["b.json"], """{ "workers": "many" }""");
        File.WriteAllText(folder["c.json"], "not json");
        File.WriteAllText(folder["d.json"], """{ "rewardShape": 1 }""");
        File.WriteAllText(folder["e.json"], """{ "nauLearningRateDecay": "1" }""");
        Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["d.json"])); // numbers for names: refused, as on the command line
        Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["e.json"]));
        Assert.Contains("learningRat", Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["a.json"])).Message);
        Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["b.json"]));
        Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["c.json"]));
        Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["missing.json"]));
    }

    [Fact]
    public void ASyntaxErrorIsPlacedAsAnEditorCountsLinesFromOne()
    {
        // The stray comma is on the third line, the 17th byte of it; .NET's message counts both from 0 ("LineNumber: 2 |
        // BytePositionInLine: 16"), which sent readers to the line above.
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder["c.json"], "{\n  \"agent\": \"nac\",\n  \"frames\": 1e6,,\n}\n");
        string message = Assert.Throws<GridTime.Training.UsageException>(() => Settings<TrainConfig>.ReadFile(folder["c.json"])).Message;
        Assert.EndsWith("is not valid: ',' is an invalid start of a property name. Expected a '\"'. (line 3, byte 17)", message);
        Assert.DoesNotContain("LineNumber", message);
    }

    [Fact]
    public void AFaultFoundInAParsedObjectIsPlacedByItsPathAlone()
    {
        // Read from a node, the reader's positions are those of the node written out again ("LineNumber: 0"), not the file's.
        var e = Assert.ThrowsAny<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(System.Text.Json.Nodes.JsonNode.Parse("{\n  \"a\": \"x\"\n}")));
        string described = JsonErrors.Describe(e, fromText: false);
        Assert.EndsWith("(at $.a)", described);
        Assert.DoesNotContain("line", described, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ProblemsNameTheFlag()
    {
        Assert.Empty(new TrainConfig().Problems());
        Assert.Contains("--workers", Assert.Single(new TrainConfig { Workers = 0 }.Problems()));
        Assert.Contains("--max-t", Assert.Single(new TrainConfig { MinT = 9, MaxT = 8 }.Problems()));
        Assert.Contains("--min-t", Assert.Single(new TrainConfig { MinT = 0 }.Problems()));
        Assert.Equal(TrainCommand.Interrupted, 130);
    }

    [Fact]
    public void LinearScheduleDecaysTheLearningRateToZeroAtTheBudget()
    {
        var binding = new ConfigBinding<TrainConfig>();
        TrainConfig linear = binding.ApplyFlags(new TrainConfig(), Parse(binding, "--learning-rate-schedule", "linear", "--frames", "4e6", "--learning-rate", "0.001"));
        Assert.Equal(LearningRateSchedule.Linear, linear.LearningRateSchedule);
        Assert.Equal(0.001, linear.LearningRateAt(0));
        Assert.Equal(0.00075, linear.LearningRateAt(1_000_000), 12); // 0.001 × (1 − 1/4)
        Assert.Equal(0.0001, linear.LearningRateAt(3_600_000), 12); // 0.001 × (1 − 0.9)
        Assert.Equal(0, linear.LearningRateAt(4_000_640)); // past the budget (the last update's frames): 0, never negative
        Assert.Equal(0.001, (linear with { LearningRateSchedule = LearningRateSchedule.Constant }).LearningRateAt(3_600_000));
        Assert.Contains("--learning-rate-schedule", Assert.Single(new TrainConfig { LearningRateSchedule = (LearningRateSchedule)7 }.Problems()));
    }

    [Fact]
    public void NauLearningRateDecaysFromTheRegularisersFullWeightToZeroAtTheBudget()
    {
        var timer = new TrainConfig { Agent = CoreKind.Timer, Frames = 4_000_000, NauSparsityFrom = 1_500_000, NauSparsityTo = 2_500_000 };
        Assert.Equal(NauLearningRateDecay.Linear, timer.NauLearningRateDecay); // the default
        Assert.Equal(1, timer.NauLearningRateFactorAt(1_000_000));
        Assert.Equal(1, timer.NauLearningRateFactorAt(2_500_000));
        Assert.Equal(0.5, timer.NauLearningRateFactorAt(3_250_000), 12); // halfway from 2.5M to 4M
        Assert.Equal(0, timer.NauLearningRateFactorAt(4_000_640));
        Assert.Equal(1, (timer with { NauLearningRateDecay = NauLearningRateDecay.None }).NauLearningRateFactorAt(3_900_000));
        Assert.Equal(1, (timer with { Frames = 2_000_000 }).NauLearningRateFactorAt(1_999_000)); // the budget ends before the full weight: no decay
        Assert.Empty(timer.Problems());
        Assert.Contains("--nau-learning-rate-decay", Assert.Single(new TrainConfig { Agent = CoreKind.Nac, NauLearningRateDecay = NauLearningRateDecay.None }.Problems()));
    }
}
