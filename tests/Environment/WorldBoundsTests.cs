using GridTime.Environment;

namespace GridTime.Tests.Environment;

public sealed class WorldBoundsTests
{
    [Theory]
    [InlineData(0, 0, 4, 4, 1, 0)] // d = 8, T = 1: 7 steps late at best, more than m = 2: 0, not 2 - 7 = -5
    [InlineData(0, 0, 1, 2, 1, 0)] // d = 3, T = 1: 2 steps late, 2 - 2 = 0
    [InlineData(0, 0, 1, 1, 1, 1)] // d = 2, T = 1: 1 step late, 2 - 1 = 1
    [InlineData(0, 0, 0, 1, 3, 2)] // d = 1, T = 3: on time, m = 2
    public void BestAchievableRewardIsNeverNegative(int ar, int ac, int tr, int tc, int instruction, int best)
    {
        var world = new GridWorld(new GridWorldOptions { Size = 5, MinInstruction = 1, MaxInstruction = 3, MaxReward = 2 });
        (_, StepInfo info) = world.ResetTo(new Cell(ar, ac), new Cell(tr, tc), instruction);
        Assert.Equal(best, info.BestAchievableReward);
        Assert.Equal(best, world.BestAchievableReward);
        Assert.Equal(best, EpisodeRules.Paper.BestAchievable(2, new Cell(ar, ac).ManhattanDistance(new Cell(tr, tc)), instruction));
    }

    [Theory]
    [InlineData(1, 1_000_001, 10, null, "largest instruction T must be 1..1000000")]
    [InlineData(1_000_001, 1_000_002, 10, null, "smallest instruction T must be 1..1000000")]
    [InlineData(1, 12, int.MaxValue, null, "arrival reward m must be 1..1000000")]
    [InlineData(1, 12, 1_000_001, null, "arrival reward m must be 1..1000000")]
    [InlineData(1, 12, 10, int.MaxValue, "timeout L must exceed every T")]
    public void TAndMAreBoundedSoLNeverOverflows(int min, int max, int m, int? timeout, string reason)
    {
        var options = new GridWorldOptions { MinInstruction = min, MaxInstruction = max, MaxReward = m, Timeout = timeout };
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => new GridWorld(options)).Message);
    }

    [Fact]
    public void TheLargestTAndMStillGiveLongEpisodes()
    {
        var options = new GridWorldOptions { MinInstruction = 1, MaxInstruction = GridWorldOptions.MaximumInstruction, MaxReward = GridWorldOptions.MaximumReward };
        var world = new GridWorld(options);
        (_, StepInfo info) = world.Reset(1, instruction: 1_000_000);
        Assert.Equal(2_000_000, info.Timeout);
        Assert.False(world.Step(GridAction.Stay).Truncated);
        Assert.Contains("1..1000000", Assert.Throws<ArgumentException>(() => world.Reset(1, instruction: 1_000_001)).Message);
        Assert.Throws<ArgumentException>(() => world.ResetTo(new Cell(0, 0), new Cell(1, 1), int.MaxValue));
    }
}
