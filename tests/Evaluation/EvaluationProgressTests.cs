using GridTime.Environment;
using GridTime.Training.Evaluation;
using GridTime.Training.Progress;

namespace GridTime.Tests.Evaluation;

/// <summary>Eval's progress counts the T values evaluated (not the range between them) and moves while one long T is played.</summary>
public sealed class EvaluationProgressTests
{
    [Fact]
    public void AListOfTCountsOnlyItsOwnTAndItsOwnEpisodes()
    {
        var lines = new StringWriter();
        var rules = new GridWorldOptions();
        ProgressDisplay.Run(TimeSpan.Zero, display =>
        {
            var progress = new EvaluationProgress(display, rules, [200, 500, 1000, 10_000], 100);
            progress.Finished(200);
            return 0;
        }, lines);

        // T = 200, 500, 1000, 10,000 with 100 episodes each: 4 T values and 400 episodes (not 9,801 T values between
        // them); T = 200 done is (200 + m) / Σ (T + m) of the work.
        double share = (200.0 + rules.MaxReward) / (200 + 500 + 1000 + 10_000 + (4.0 * rules.MaxReward));
        string[] written = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"1/4 T values, T 200 done ({share * 100:F0}%)  100/400 episodes  ETA ", written[^2]);
        Assert.EndsWith("100/400 episodes  stopped", written[^1], StringComparison.Ordinal); // ended with 3 T unplayed
    }

    [Fact]
    public void StepsOfOneLongTMoveTheBarBeforeItIsDone()
    {
        var lines = new StringWriter();
        var rules = new GridWorldOptions();
        ProgressDisplay.Run(TimeSpan.Zero, display =>
        {
            var progress = new EvaluationProgress(display, rules, [10_000], 10);
            progress.Stepped(10_000, 2_500);
            return 0;
        }, lines);

        // 2,500 of the 10,000 + m steps of the one T: a quarter of the work, though no T is finished yet.
        double share = 2_500.0 / (10_000 + rules.MaxReward);
        string[] written = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"0/1 T values ({share * 100:F0}%)  0/10 episodes  ETA ", written[^2]);
    }
}
