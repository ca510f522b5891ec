using GridTime.Agents;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

/// <summary><c>gridtime inspect</c> names the agent as the command line does and labels every NAC's inputs and outputs.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class InspectCommandTests
{
    private static string Checkpoint(TemporaryFolder folder, CoreKind agent)
    {
        var run = new RunFolder(folder[agent.Name()]);
        run.Create();
        var config = new TrainConfig { Agent = agent, Hidden = 16, ArithmeticWidth = 3, Workers = 1 };
        using var network = new ActorCritic(config.Network);
        var shared = new SharedTraining(config, network, new SharedAdam(network.parameters(), 0.9, 0.999, 1e-8), 500, run.Name) { RunId = "inspect-test" };
        GridTime.Training.Runs.Checkpoint.Save(shared, 0, run.LatestCheckpoint);
        return run.LatestCheckpoint;
    }

    private static string[] Lines(string output) => [.. output.Split('\n').Select(l => l.TrimEnd())];

    [Fact]
    public void TheCounterAgentsNacsAreLabelledOneAAndTR()
    {
        using var folder = new TemporaryFolder();
        (int code, string output, string error) = Gridtime.Run("inspect", "--checkpoint", Checkpoint(folder, CoreKind.CounterWithT));
        Assert.True(code == 0, error);
        string[] lines = Lines(output);
        Assert.EndsWith(": agent counter-with-t, 500 frames", lines[0]);
        Assert.StartsWith("step NAC", lines[1]);
        Assert.Equal("  W [1 inputs x 3 outputs]", lines[2][..26]);
        Assert.Equal("  in \\ out     a1     a2     a3", lines[4]);
        Assert.StartsWith("  1        ", lines[5]);
        Assert.StartsWith("readout NAC", lines[6]);
        Assert.Equal("  in \\ out     r1     r2     r3", lines[9]);
        Assert.Equal(["T", "a1", "a2", "a3"], lines[10..14].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
    }

    [Fact]
    public void TheNacAgentsNacReadsTAndHAndSaysWhatIsLeftOut()
    {
        using var folder = new TemporaryFolder();
        (int code, string output, string error) = Gridtime.Run("inspect", "--checkpoint", Checkpoint(folder, CoreKind.Nac));
        Assert.True(code == 0, error);
        string[] lines = Lines(output);
        Assert.EndsWith(": agent nac, 500 frames", lines[0]);
        Assert.Equal("  in \\ out     n1     n2     n3", lines[4]);
        Assert.Equal(["T", .. Enumerable.Range(1, 11).Select(i => $"h{i}")], lines[5..17].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        Assert.Equal("  ... 5 more input rows (h12..h16)", lines[17]);

        (code, output, _) = Gridtime.Run("inspect", "--checkpoint", Checkpoint(folder, CoreKind.Baseline));
        Assert.Equal(0, code);
        Assert.Contains("agent baseline", output);
        Assert.Contains("this agent has no NAC", output);
    }

    [Fact]
    public void TheTimersNausShowTheirWeightsThemselves()
    {
        using var folder = new TemporaryFolder();
        (int code, string output, string error) = Gridtime.Run("inspect", "--checkpoint", Checkpoint(folder, CoreKind.Timer));
        Assert.True(code == 0, error);
        string[] lines = Lines(output);
        Assert.EndsWith(": agent timer, 500 frames", lines[0]);
        Assert.StartsWith("read NAU", lines[1]);
        Assert.StartsWith("  farthest weight from the nearest of -1, 0, 1: ", lines[3]);
        Assert.Equal("  in \\ out      r", lines[4]);
        Assert.Equal(["T", "a"], lines[5..7].Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        Assert.StartsWith("step NAU", lines[7]);
        Assert.Equal("  in \\ out      a", lines[10]);
        Assert.StartsWith("  1        ", lines[11]);
        Assert.Matches("^provenance: .*latest.ckpt sha256 [0-9a-f]{64}, run id inspect-test; GridTime ", lines[12]);
    }

    [Fact]
    public void TheDistanceFromExactWeightsIsShownBeyondThreeDecimals()
    {
        Assert.Equal("0", GridTime.Cli.Commands.InspectCommand.FarthestFromExact([1f, -1f, 0f]));
        Assert.Equal("6.0e-04", GridTime.Cli.Commands.InspectCommand.FarthestFromExact([1f, 0.9994f, -1f])); // shown as +0.999 in the table
        Assert.Equal("3.0e-01", GridTime.Cli.Commands.InspectCommand.FarthestFromExact([0.2f, -0.7f])); // −0.7 is 0.3 from −1, 0.2 is 0.2 from 0
    }

    [Fact]
    public void ANacReadingTAloneHasOneInputRow()
    {
        using var folder = new TemporaryFolder();
        var run = new RunFolder(folder["nac-t"]);
        run.Create();
        var config = new TrainConfig { Agent = CoreKind.Nac, Hidden = 16, ArithmeticWidth = 3, Workers = 1, ArithmeticInput = ArithmeticInput.Instruction };
        using var network = new ActorCritic(config.Network);
        var shared = new SharedTraining(config, network, new SharedAdam(network.parameters(), 0.9, 0.999, 1e-8), 500, run.Name) { RunId = "inspect-test" };
        GridTime.Training.Runs.Checkpoint.Save(shared, 0, run.LatestCheckpoint);
        (int code, string output, string error) = Gridtime.Run("inspect", "--checkpoint", run.LatestCheckpoint);
        Assert.True(code == 0, error);
        string[] lines = Lines(output);
        Assert.StartsWith("NAC reading [T];", lines[1]);
        Assert.Equal("  W [1 inputs x 3 outputs]", lines[2][..26]);
        Assert.StartsWith("  T ", lines[5]);
        Assert.StartsWith("provenance: ", lines[6]);
    }
}
