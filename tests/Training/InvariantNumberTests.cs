using System.Globalization;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Tests.Rendering;
using GridTime.Tests.Reliability;

namespace GridTime.Tests.Training;

/// <summary>Numbers on the command line mean the same under any culture (issue 17: de-DE read 0.01 as 1 and 2.5 as 25).</summary>
[Collection(ConsoleCollection.Name)]
public sealed class InvariantNumberTests
{
    [Fact]
    public void ReplayFpsIsReadInvariantlyUnderGerman()
    {
        using var folder = new TemporaryFolder();
        string log = folder["log.msgpack"];
        using (var writer = new EpisodeLogWriter(log))
        {
            writer.Append(GridTime.Tests.Rendering.ReplayTests.Episode(4, 9));
        }

        (int code, _, string error) = BadInputTests.RunWithin(TimeSpan.FromSeconds(60), null, "de-DE", "replay", log, "--out", folder["a.gif"], "--fps", "2.5");
        Assert.True(code == 0, error);
        int[] durations = GifDecoding.Decode(File.ReadAllBytes(folder["a.gif"])).Durations;
        Assert.Equal(400, durations[0]); // 1 / 2.5 fps = 400 ms; 2.5 read as 25 gave 40 ms
    }

    [Fact]
    public void ArithLearningRateIsReadInvariantlyUnderGerman()
    {
        (int code, string output, string error) = BadInputTests.RunWithin(TimeSpan.FromSeconds(60), null, "de-DE", "arith", "--lr", "0.01", "--steps", "1", "--operation", "add");
        Assert.True(code == 0, error);
        Assert.Contains("(lr 0.01, batch", output.Split('\n')[0]);
    }

    [Fact]
    public void TrainingLogsNoNegativeBestRewardAndResumeSurvivesADuplicateKeyConfig()
    {
        // The example of issue 17: m = 2 with T in 1..3 on a 5x5 grid, where d − T often exceeds m.
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "baseline", "--hidden", "16", "--workers", "1", "--envs-per-worker", "8",
            "--frames", "1000", "--max-reward", "2", "--min-t", "1", "--max-t", "3", "--episode-log-every", "1", "--checkpoint-interval", "500", "--log-interval", "500");
        Assert.True(code == 0, error);
        IReadOnlyList<EpisodeRecord> records = EpisodeLogReader.Read(Path.Combine(run, "episodes", "worker-0.msgpack")).Records;
        Assert.NotEmpty(records);
        int hopeless = 0;
        foreach (EpisodeRecord r in records)
        {
            int late = Math.Max(0, r.AgentStart.ManhattanDistance(r.Target) - r.Instruction);
            Assert.Equal(Math.Max(0, 2 - late), r.BestAchievableReward);
            hopeless += late > 2 ? 1 : 0;
        }

        Assert.True(hopeless > 0, "some episodes cannot earn anything (their best was negative before)");

        // A run's config.json with a duplicate key is damaged: kept aside and rewritten on resume, not a crash.
        File.WriteAllText(Path.Combine(run, "config.json"), """{"hidden":32,"hidden":64}""");
        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "1500");
        Assert.True(code == 0, error);
        Assert.Contains("Duplicate property 'hidden'", error);
        Assert.True(File.Exists(Path.Combine(run, "config.json.damaged")));
    }
}
