namespace GridTime.Tests.Training;

/// <summary>The time a run took, as train's last line says it.</summary>
public sealed class TrainingTimeTests
{
    [Fact]
    public void AResumedRunSaysItsOwnTimeAndTheRunsInAll()
    {
        Assert.Equal("0:04:51", GridTime.Training.Trainer.Took(291, 0, 0));
        Assert.Equal("0:00:10 in this session (0:00:22 in all, 0:00:12 of them before it continued from 1,000,000 frames)", GridTime.Training.Trainer.Took(22, 1_000_000, 12));
        // The parts add up: 2.6 s before and 3.6 s in this session are 6 s in all, 3 before, so 3 in this session (each cut
        // to whole seconds alone they read 2 + 3 = 6).
        Assert.Equal("0:00:03 in this session (0:00:06 in all, 0:00:03 of them before it continued from 10 frames)", GridTime.Training.Trainer.Took(6.2, 10, 2.6));
    }
}
