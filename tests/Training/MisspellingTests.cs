using GridTime.Training.Config;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class MisspellingTests
{
    [Theory]
    [InlineData(new[] { "train", "--lerning-rate", "1" }, "unknown option --lerning-rate for gridtime train (did you mean --learning-rate?) (see gridtime train --help)")]
    [InlineData(new[] { "train", "--learning_rate=1" }, "unknown option --learning_rate for gridtime train (did you mean --learning-rate?)")]
    [InlineData(new[] { "eval", "--episods", "3" }, "unknown option --episods for gridtime eval (did you mean --episodes?)")]
    [InlineData(new[] { "evl" }, "unknown command 'evl' (did you mean eval?)")]
    public void AMisspelledFlagOrCommandNamesTheClosest(string[] args, string expected)
    {
        (int code, string output, string error) = Gridtime.Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("gridtime: " + expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("lerningRate", "\"lerningRate\" (did you mean learningRate?)")]
    [InlineData("learning_rate", "\"learning_rate\" (did you mean learningRate?)")]
    [InlineData("framez", "\"framez\" (did you mean frames?)")]
    [InlineData("seeds", "\"seeds\" (did you mean seed or steps?)")]
    [InlineData("zzzzzzzz", "\"zzzzzzzz\"")]
    public void AMisspelledConfigKeyNamesTheClosest(string key, string expected)
    {
        using var folder = new TemporaryFolder();
        string file = folder["settings.json"];
        File.WriteAllText(file, $"{{ \"hidden\": 16, \"{key}\": 1 }}");
        (int code, _, string error) = Gridtime.Run("train", "--config", file, "--run-dir", folder["run"]);
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: config file {file}: unknown key {expected}\n", error);
        Assert.False(Directory.Exists(folder["run"]));
    }

    [Fact]
    public void DistancesAreLevenshteinsAfterCaseAndSeparators()
    {
        Assert.Equal(3, ClosestNames.Distance("kitten", "sitting"));
        Assert.Equal(0, ClosestNames.Distance("", ""));
        Assert.Equal(4, ClosestNames.Distance("", "abcd"));
        Assert.Equal(["learningRate"], ClosestNames.Of("LEARNING-RATE", ["learningRate", "gamma"]));
        Assert.Equal(["minT"], ClosestNames.Of("mint", ["maxT", "minT", "frames"])); // equal but for case: that one alone
        Assert.Equal(["minT", "maxT"], ClosestNames.Of("mnT", ["maxT", "minT", "frames"]));
        Assert.Equal(["learningRate"], ClosestNames.Of("learning_rate", ["learningRateSchedule", "learningRate"]));
        Assert.Empty(ClosestNames.Of("workers", ["gamma", "seed"]));
    }

    [Theory]
    [InlineData("a - b", "subtract,multiply")]
    [InlineData("a - b", "subtract", "multiply")]
    [InlineData("a * b", "Multiply, subtract")]
    public void ArithRunsTheOperationsListedInTheirOrder(string first, params string[] operations)
    {
        (int code, string output, string error) = Gridtime.Run(["arith", "--steps", "3", "--operation", .. operations]);
        Assert.True(code == 0, error);
        string[] rows = [.. output.Split('\n').Where(l => l.EndsWith(" yes", StringComparison.Ordinal) || l.EndsWith(" no", StringComparison.Ordinal)).Select(l => l[..9].Trim())];
        string second = first == "a - b" ? "a * b" : "a - b";
        Assert.Equal([.. Enumerable.Repeat(first, 5), .. Enumerable.Repeat(second, 5)], rows); // five models each: MLP, NAC, NALU, NAU, NMU
    }

    [Fact]
    public void AMisspelledArithOperationNamesTheClosest()
    {
        (int code, _, string error) = Gridtime.Run("arith", "--operation", "subtract,multipy");
        Assert.Equal(2, code);
        Assert.StartsWith("gridtime: --operation: unknown operation 'multipy' (did you mean multiply?)", error, StringComparison.Ordinal);
    }
}
