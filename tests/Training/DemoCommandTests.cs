using GridTime.Cli.Commands;

namespace GridTime.Tests.Training;

/// <summary><c>gridtime demo --show</c> explains its pictures.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class DemoCommandTests
{
    [Fact]
    public void ThePicturesComeWithALegendAndUseOnlyItsSymbols()
    {
        (int code, string output, string error) = Gridtime.Run("demo", "--episodes", "1", "--show");
        Assert.True(code == 0, error);
        string[] lines = output.Split('\n');
        Assert.Equal(DemoCommand.Legend, lines[1]);
        string[] pictureRows = [.. lines.Where(l => l.Length == 5 && l.All(ch => "AX@.".Contains(ch)))];
        Assert.True(pictureRows.Length >= 5 * 5, $"at least five pictures of 5 rows, got {pictureRows.Length} rows");
        Assert.Equal(1, pictureRows.Count(r => r.Contains('@'))); // the timed agent ends on the target, once
        Assert.DoesNotContain(DemoCommand.Legend, Gridtime.Run("demo", "--episodes", "1").Output);
    }
}
