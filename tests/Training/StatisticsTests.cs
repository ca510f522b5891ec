using GridTime.Training;

namespace GridTime.Tests.Training;

public sealed class StatisticsTests
{
    [Fact]
    public void MedianIsTheMiddleValueOrTheMeanOfTheTwoMiddleOnes()
    {
        Assert.Equal(3, Statistics.Median([1, 3, 5]));
        Assert.Equal(207.975, Statistics.Median([205.47, 207.10, 208.85, 213.17]), 12); // not 208.85, the upper middle
        Assert.Equal(7, Statistics.Median([7]));
        Assert.Throws<ArgumentException>(() => Statistics.Median([]));
    }

    [Fact]
    public void AMiddleValueOfMinusInfinityMakesTheMedianMinusInfinityEvenBesidePlusInfinity()
    {
        Assert.Equal(double.NegativeInfinity, Statistics.Median([double.NegativeInfinity, double.PositiveInfinity]));
        Assert.Equal(double.NegativeInfinity, Statistics.Median([double.NegativeInfinity, double.NegativeInfinity, 4]));
        Assert.Equal(4, Statistics.Median([double.NegativeInfinity, 4, 6]));
    }
}
