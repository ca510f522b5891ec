using GridTime.Training.Progress;

namespace GridTime.Tests.Terminal;

public sealed class RateEstimateTests
{
    [Fact]
    public void StartUpTimeDoesNotCountAndNoGuessIsMadeEarly()
    {
        var estimate = new RateEstimate(10_100);
        estimate.Add(0, 0);
        estimate.Add(4, 0); // loading, compiling, threads starting
        estimate.Add(5, 100); // the first progress: the origin
        estimate.Add(6, 1_100);
        Assert.Null(estimate.Rate); // one second of progress is too little to tell
        Assert.Null(estimate.Remaining);
        estimate.Add(7, 2_100);

        // 2,000 units in 2 s: 1,000 per second (counting from t = 0 would say 300); 8,000 left: 8 s.
        Assert.Equal(1_000, estimate.Rate);
        Assert.Equal(TimeSpan.FromSeconds(8), estimate.Remaining);
    }

    [Fact]
    public void TheRateFollowsTheRecentWindow()
    {
        var estimate = new RateEstimate(1_000_000);
        estimate.Add(0, 0);
        estimate.Add(1, 1_000);
        estimate.Add(11, 101_000); // 10,000 per second for 10 s
        estimate.Add(41, 131_000); // then 1,000 per second for 30 s
        estimate.Add(51, 141_000);

        // The window is the last 30 s: samples at 41 and 51 (the one at 11 is 40 s old): 10,000 in 10 s.
        Assert.Equal(1_000, estimate.Rate);
        Assert.Equal(TimeSpan.FromSeconds(859), estimate.Remaining);
    }

    [Fact]
    public void AResumedTaskIsTimedFromWhereItResumed()
    {
        var estimate = new RateEstimate(1_000);
        estimate.Add(0, 600);
        estimate.Add(1, 650);
        estimate.Add(3, 750);
        Assert.Equal(50, estimate.Rate);
        Assert.Equal(TimeSpan.FromSeconds(5), estimate.Remaining);
    }

    [Fact]
    public void NothingIsLeftWhenAllIsDoneHoweverQuickly()
    {
        var estimate = new RateEstimate(30);
        estimate.Add(0, 0);
        estimate.Add(0.5, 10);
        estimate.Add(0.9, 30);
        Assert.Null(estimate.Rate);
        Assert.Equal(TimeSpan.Zero, estimate.Remaining);
    }
}
