using GridTime.Environment;

namespace GridTime.Tests.Environment;

/// <summary>The readings of the paper's task that its text leaves open (reward shape, when T is shown, the agent's start), each worked by hand.</summary>
public sealed class TaskReadingsTests
{
    [Fact]
    public void AnUnclippedRewardGoesNegativeWhereTheClippedOneStopsAtZero()
    {
        // m = 10, T = 30, the target 1 step away: arriving at t = 12 is 18 steps early: 10 − 18 = −8, clipped 0.
        foreach ((RewardShape shape, float expected) in new[] { (RewardShape.Clipped, 0f), (RewardShape.Unclipped, -8f) })
        {
            var world = new GridWorld(new GridWorldOptions { MaxInstruction = 30, Rules = EpisodeRules.For(shape) });
            world.ResetTo(new Cell(0, 0), new Cell(0, 1), 30);
            for (int t = 1; t < 12; t++)
            {
                Assert.Equal(0f, world.Step(GridAction.Stay).Reward);
            }

            StepResult arrival = world.Step(GridAction.Right);
            Assert.True(arrival.Terminated);
            Assert.Equal(expected, arrival.Reward);
            Assert.Equal(expected, arrival.Info.EpisodeReturn);
        }
    }

    [Fact]
    public void BothShapesAgreeWithinMStepsOfT()
    {
        // m = 10, T = 8, arriving at t = 5: 10 − 3 = 7 under both shapes.
        foreach (RewardShape shape in Enum.GetValues<RewardShape>())
        {
            var world = new GridWorld(new GridWorldOptions { Rules = EpisodeRules.For(shape) });
            world.ResetTo(new Cell(0, 0), new Cell(0, 1), 8);
            for (int t = 1; t < 5; t++)
            {
                world.Step(GridAction.Stay);
            }

            Assert.Equal(7f, world.Step(GridAction.Right).Reward);
        }
    }

    [Fact]
    public void TheUnclippedBestAchievableIsNegativeWhenEvenAPerfectAgentIsMoreThanMLate()
    {
        // m = 2, d = 8, T = 1: a perfect agent arrives at t = 8, 7 steps late: 2 − 7 = −5 unclipped, 0 clipped.
        Assert.Equal(-5, EpisodeRules.Unclipped.BestAchievable(2, 8, 1));
        Assert.Equal(0, EpisodeRules.Paper.BestAchievable(2, 8, 1));
        var world = new GridWorld(new GridWorldOptions { MinInstruction = 1, MaxReward = 2, Rules = EpisodeRules.Unclipped });
        world.ResetTo(new Cell(0, 0), new Cell(4, 4), 1);
        Assert.Equal(-5, world.BestAchievableReward);
    }

    [Fact]
    public void TShownOnlyAtTheStartIsZeroInEveryLaterObservation()
    {
        var world = new GridWorld(new GridWorldOptions { InstructionShown = InstructionShown.FirstStep });
        (Observation first, StepInfo info) = world.ResetTo(new Cell(0, 0), new Cell(4, 4), 9);
        Assert.Equal(9, first.Instruction);
        for (int t = 1; t <= 3; t++)
        {
            StepResult step = world.Step(GridAction.Stay);
            Assert.Equal(0, step.Observation.Instruction);
            Assert.Equal(9, step.Info.Instruction); // the rules still pay against T
        }

        Assert.Equal(9, info.Instruction);
        var always = new GridWorld();
        always.ResetTo(new Cell(0, 0), new Cell(4, 4), 9);
        Assert.Equal(9, always.Step(GridAction.Stay).Observation.Instruction);
    }

    [Fact]
    public void TheVectorizedWorldShowsTAgainAfterAnAutomaticReset()
    {
        // One world, T = 1 only, the target one step away or more: the episode of T = 1 ends by t = 11 at the latest (L = T + m).
        var worlds = new VectorGridWorld(new GridWorldOptions { MinInstruction = 1, MaxInstruction = 1, InstructionShown = InstructionShown.FirstStep }, 1);
        worlds.Reset(3);
        var instructions = new float[1];
        worlds.CopyInstructions(instructions);
        Assert.Equal(1f, instructions[0]);
        bool sawReset = false;
        for (int step = 0; step < 11 && !sawReset; step++)
        {
            worlds.Step([0]);
            worlds.CopyInstructions(instructions);
            sawReset = worlds.Finished.Count == 1;
            Assert.Equal(sawReset ? 1f : 0f, instructions[0]);
        }

        Assert.True(sawReset, "staying put must time out at L = 11");
    }

    [Fact]
    public void TheCentreStartPutsTheAgentInTheMiddleAndTheTargetAnywhereElse()
    {
        var world = new GridWorld(new GridWorldOptions { AgentStart = StartCell.Centre });
        var targets = new HashSet<Cell>();
        for (ulong seed = 0; seed < 2000; seed++)
        {
            (_, StepInfo info) = world.Reset(seed);
            Assert.Equal(new Cell(2, 2), info.Agent);
            Assert.NotEqual(info.Agent, info.Target);
            Assert.InRange(info.Agent.ManhattanDistance(info.Target), 1, 4);
            targets.Add(info.Target);
        }

        Assert.Equal(24, targets.Count);
    }
}
