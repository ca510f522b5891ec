namespace GridTime.Tests.Training;

/// <summary>The time a run took, as train's last line says it.</summary>
public sealed class TrainingTimeTests
{
    [Fact]
    public void AResumedRunSaysItsOwnTimeAndTheRunsInAll()
    {
        Assert.Equal("0:04:51", GridTime.Training.Trainer.Took(291, 0, 0));
        Assert.Equal("0:00:10 in this session (0:00:22 in all, 0:00:12 of them before it continued from 1,000,000 frames)", GridTime.Training.Trainer.Took(22, 1_000_000, 12));
    }
}
