using GridTime.Environment;

namespace GridTime.Tests.Environment;

public sealed class GridWorldTests
{
    private static GridWorld World(int size = 5) => new(new GridWorldOptions { Size = size });

    [Fact]
    public void MovesIntoWallsLeaveTheAgentInPlace()
    {
        var world = World();
        world.ResetTo(new Cell(0, 0), new Cell(4, 4), 8);
        Assert.Equal(new Cell(0, 0), world.Step(GridAction.Up).Info.Agent);
        Assert.Equal(new Cell(0, 0), world.Step(GridAction.Left).Info.Agent);
        world.ResetTo(new Cell(4, 4), new Cell(0, 0), 8);
        Assert.Equal(new Cell(4, 4), world.Step(GridAction.Down).Info.Agent);
        Assert.Equal(new Cell(4, 4), world.Step(GridAction.Right).Info.Agent);
        Assert.Equal(new Cell(3, 4), world.Step(GridAction.Up).Info.Agent);
        Assert.Equal(new Cell(3, 3), world.Step(GridAction.Left).Info.Agent);
    }

    [Fact]
    public void StayKeepsTheCellAndTimeAdvances()
    {
        var world = World();
        world.ResetTo(new Cell(2, 2), new Cell(0, 0), 8);
        StepResult step = world.Step(GridAction.Stay);
        Assert.Equal(new Cell(2, 2), step.Info.Agent);
        Assert.Equal(1, step.Info.Time);
        Assert.Equal(0f, step.Reward);
        Assert.False(step.Terminated || step.Truncated);
    }

    [Theory]
    [InlineData(4, 10f)] // exactly at T
    [InlineData(1, 7f)] // 3 steps early
    [InlineData(9, 5f)] // 5 steps late
    [InlineData(17, 0f)] // 13 steps late: nothing left, but still an arrival
    public void ArrivalRewardIsMMinusTheDistanceInTime(int waitSteps, float expected)
    {
        var world = new GridWorld(new GridWorldOptions { Timeout = 40, MaxInstruction = 12 });
        world.ResetTo(new Cell(0, 0), new Cell(0, 2), 6);
        for (int i = 0; i < waitSteps; i++)
        {
            Assert.False(world.Step(GridAction.Stay).Terminated);
        }

        world.Step(GridAction.Right);
        StepResult arrival = world.Step(GridAction.Right);
        Assert.True(arrival.Terminated);
        Assert.False(arrival.Truncated);
        Assert.Equal(expected, arrival.Reward);
        Assert.Equal(waitSteps + 2, arrival.Info.ArrivalTime);
        Assert.True(world.IsDone);
    }

    [Fact]
    public void TheEpisodeIsTruncatedAtTheTimeoutL()
    {
        var world = World();
        world.ResetTo(new Cell(0, 0), new Cell(4, 4), 5);
        Assert.Equal(15, world.Timeout); // L = T + m
        for (int t = 1; t < 15; t++)
        {
            StepResult step = world.Step(GridAction.Stay);
            Assert.False(step.Terminated || step.Truncated);
        }

        StepResult last = world.Step(GridAction.Stay);
        Assert.True(last.Truncated);
        Assert.False(last.Terminated);
        Assert.Equal(0f, last.Reward);
        Assert.Null(last.Info.ArrivalTime);
        Assert.Throws<InvalidOperationException>(() => world.Step(GridAction.Stay));
    }

    [Fact]
    public void AFixedTimeoutIsUsedAndMustExceedT()
    {
        var world = new GridWorld(new GridWorldOptions { Timeout = 30 });
        world.Reset(1);
        Assert.Equal(30, world.Timeout);
        Assert.Throws<ArgumentException>(() => world.Reset(1, instruction: 30));
        Assert.Throws<ArgumentException>(() => new GridWorld(new GridWorldOptions { Timeout = 12 }));
    }

    [Theory]
    [InlineData(0, 0, 4, 4, 8, 10)] // d = 8 = T
    [InlineData(0, 0, 4, 4, 5, 7)] // d = 8 > T = 5: 3 steps late at best
    [InlineData(0, 0, 4, 4, 1, 3)]
    [InlineData(2, 2, 2, 3, 1, 10)]
    public void BestAchievableRewardIsMMinusTheUnavoidableLateness(int ar, int ac, int tr, int tc, int instruction, int best)
    {
        var world = World();
        (_, StepInfo info) = world.ResetTo(new Cell(ar, ac), new Cell(tr, tc), instruction);
        Assert.Equal(best, info.BestAchievableReward);
    }

    [Fact]
    public void ThePerfectPolicyEarnsExactlyTheBestAchievable()
    {
        var world = World();
        for (ulong seed = 0; seed < 200; seed++)
        {
            world.Reset(seed, instruction: (int)(seed % 15) + 1);
            StepResult step;
            do
            {
                GridAction action = ScriptedPolicies.PerfectlyTimed(world);
                step = world.Step(action);
            }
            while (!step.Terminated && !step.Truncated);
            Assert.Equal(step.Info.BestAchievableReward, step.Reward);
        }
    }

    [Fact]
    public void StartCellsAreDistinctAndCoverTheGrid()
    {
        var world = World(3);
        var agents = new HashSet<Cell>();
        var targets = new HashSet<Cell>();
        var instructions = new HashSet<int>();
        world.Reset(42);
        for (int i = 0; i < 2000; i++)
        {
            (_, StepInfo info) = world.Reset();
            Assert.NotEqual(info.Agent, info.Target);
            Assert.InRange(info.Instruction, 5, 12);
            agents.Add(info.Agent);
            targets.Add(info.Target);
            instructions.Add(info.Instruction);
        }

        Assert.Equal(9, agents.Count);
        Assert.Equal(9, targets.Count);
        Assert.Equal(8, instructions.Count);
    }

    [Fact]
    public void TheSameSeedGivesTheSameEpisodes()
    {
        static List<StepInfo> Play(ulong seed)
        {
            var world = World();
            var infos = new List<StepInfo> { world.Reset(seed).Info };
            for (int i = 0; i < 20; i++)
            {
                infos.Add(world.Reset().Info);
            }

            return infos;
        }

        Assert.Equal(Play(7), Play(7));
        Assert.NotEqual(Play(7), Play(8));
    }

    [Fact]
    public void AFixedInstructionDoesNotChangeTheStartCells()
    {
        var world = World();
        (_, StepInfo a) = world.Reset(5, instruction: 3);
        (_, StepInfo b) = world.Reset(5, instruction: 27);
        Assert.Equal((a.Agent, a.Target), (b.Agent, b.Target));
        Assert.Equal(27, b.Instruction);
        Assert.Equal(37, b.Timeout);
    }

    [Theory]
    [InlineData(1, 5, 12, 10, null, "grid size")]
    [InlineData(5, 0, 12, 10, null, "smallest instruction")]
    [InlineData(5, 8, 7, 10, null, "T range 8..7 is empty")]
    [InlineData(5, 5, 12, 0, null, "arrival reward")]
    [InlineData(5, 5, 12, 10, 12, "timeout L must exceed")]
    public void BadOptionsAreRejectedWithTheReason(int size, int min, int max, int m, int? timeout, string reason)
    {
        var options = new GridWorldOptions { Size = size, MinInstruction = min, MaxInstruction = max, MaxReward = m, Timeout = timeout };
        var error = Assert.Throws<ArgumentException>(() => new GridWorld(options));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void InvalidActionsAndStartsAreRejected()
    {
        var world = World();
        world.Reset(1);
        Assert.Contains("action must be 0..4", Assert.Throws<ArgumentException>(() => world.Step(5)).Message);
        Assert.Throws<ArgumentException>(() => world.Step((GridAction)(-1)));
        Assert.Throws<ArgumentException>(() => world.ResetTo(new Cell(1, 1), new Cell(1, 1), 5));
        Assert.Throws<ArgumentException>(() => world.ResetTo(new Cell(5, 0), new Cell(1, 1), 5));
        Assert.Throws<ArgumentException>(() => world.Reset(1, instruction: 0));
        Assert.Throws<InvalidOperationException>(() => new GridWorld().Step(GridAction.Stay));
    }
}
