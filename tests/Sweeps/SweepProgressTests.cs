using GridTime.Training.Config;
using GridTime.Training.Sweeps;

namespace GridTime.Tests.Sweeps;

/// <summary>The start and finish lines of a sweep run here, and when they say it should end.</summary>
public sealed class SweepProgressTests
{
    private static SweepCell Cell(int index) => new(index, $"cell-{index}", [], new TrainConfig());

    [Fact]
    public void TheEstimateIsCellsLeftTimesTheMeanOfCellsDoneOverCellsAtOnce()
    {
        double now = 0;
        var progress = new SweepProgress(total: 4, parallel: 1, () => now);
        Assert.Equal("[1/4] cell-0: started", progress.Started(Cell(0)));
        now = 600;
        // 3 cells left x 600 s / 1 at once = 30 min.
        Assert.Equal("[1/4] cell-0: done in 10.0 min; 3 cells left, about 30.0 min more", progress.Finished(Cell(0), "done"));
        Assert.Equal("[2/4] cell-1: started; 3 cells left, about 30.0 min more", progress.Started(Cell(1)));
    }

    [Fact]
    public void AFailedOrStoppedCellsTimeIsNotAveraged()
    {
        double now = 0;
        var progress = new SweepProgress(total: 4, parallel: 2, () => now);
        progress.Started(Cell(0));
        progress.Started(Cell(1));
        now = 5; // cell 1 killed after 5 s
        Assert.Equal("[2/4] cell-1: failed in 5 s", progress.Finished(Cell(1), "failed")); // nothing done yet: no estimate
        now = 1200;
        // Only cell 0's 20 min counts: 2 cells left x 1200 s / 2 at once = 20 min (with the killed cell averaged in: 10 min).
        Assert.Equal("[1/4] cell-0: done in 20.0 min; 2 cells left, about 20.0 min more", progress.Finished(Cell(0), "done"));
    }
}
