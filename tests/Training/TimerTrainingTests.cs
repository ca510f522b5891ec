using GridTime.Tests.Training;

namespace GridTime.Tests.Agents;

/// <summary>The timer's training settings from the command line.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TimerTrainingTests
{
    [Fact]
    public void TrainingTheTimerLogsItsTimeLeftLossAndSparsity()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, _, string error) = Gridtime.Run("train", "--agent", "timer", "--run-dir", run, "--frames", "2000", "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--log-interval", "1000", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        string[] lines = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        string[] header = lines[0].Split(',');
        string[] row = lines[1].Split(',');
        double timeLeft = double.Parse(row[Array.IndexOf(header, "losses/time_left")], System.Globalization.CultureInfo.InvariantCulture);
        double sparsity = double.Parse(row[Array.IndexOf(header, "losses/nau_sparsity")], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(timeLeft > 0, $"time-left loss {timeLeft}");
        Assert.InRange(sparsity, 0, 0.5);
    }

    [Fact]
    public void TheCapIsTheFarthestDistanceAtMostMaxTUnlessSet()
    {
        // 5x5: 2·4 = 8; 9x9: 16, cut to max-t 12; max-t 6: 6.
        Assert.Equal(8, new GridTime.Training.Config.TrainConfig { Agent = GridTime.Agents.CoreKind.Timer }.Network.TimeLeftCap);
        Assert.Equal(12, new GridTime.Training.Config.TrainConfig { Agent = GridTime.Agents.CoreKind.Timer, GridSize = 9 }.Network.TimeLeftCap);
        Assert.Equal(6, new GridTime.Training.Config.TrainConfig { Agent = GridTime.Agents.CoreKind.Timer, MaxT = 6 }.Network.TimeLeftCap);
        Assert.Equal(8, new GridTime.Training.Config.TrainConfig { Agent = GridTime.Agents.CoreKind.Timer, TimeLeftCap = 8 }.Network.TimeLeftCap);
        Assert.Contains("--time-left-cap must be 0 (the farthest the target can be, at most max-t) or 1..max-t (12), got 13", new GridTime.Training.Config.TrainConfig { Agent = GridTime.Agents.CoreKind.Timer, TimeLeftCap = 13 }.Problems());
    }

    [Theory]
    [InlineData("--time-left-cap", "8", "--time-left-cap: the baseline agent has no time-left readout to cut")]
    [InlineData("--time-left-loss", "2", "--time-left-loss: the baseline agent has no time-left estimate to train")]
    [InlineData("--nau-sparsity", "0.5", "--nau-sparsity: the baseline agent has no NAU to regularise")]
    [InlineData("--nac-learning-rate-scale", "10", "--nac-learning-rate-scale: the baseline agent has no NAC, NALU or NAU whose learning rate it could scale")]
    [InlineData("--arithmetic-width", "4", "--arithmetic-width: the baseline agent has no arithmetic unit whose width it could set")]
    public void TheTimersSettingsAreRefusedForAgentsWithoutItsParts(string flag, string value, string message)
    {
        (int code, _, string error) = Gridtime.Run("train", "--agent", "baseline", flag, value, "--frames", "100");
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }
}
