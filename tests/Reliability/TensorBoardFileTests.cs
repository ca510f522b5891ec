using GridTime.Tests.Training;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

[Collection(ConsoleCollection.Name)]
public sealed class TensorBoardFileTests
{
    [Fact]
    public void ATrainingRunsEventsCarryUnixTimesTheSettingsAndTheEpisodeLength()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        double before = TensorBoardFile.UnixSeconds(DateTimeOffset.UtcNow);
        (int code, _, string error) = Gridtime.Run(ReliabilityRuns.Train(run, frames: 1200));
        Assert.True(code == 0, error);
        double after = TensorBoardFile.UnixSeconds(DateTimeOffset.UtcNow);
        var files = new RunFolder(run);

        var events = TensorBoardEvents.Events(files.TensorBoardFolder);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.All(events, e => Assert.InRange(e.WallTime, before - 1, after + 1)); // Unix seconds, not .NET ticks (6.4e17)
        Assert.Equal(events.Select(e => e.WallTime).Order(), events.Select(e => e.WallTime));

        (string tag, string text) = Assert.Single(events.SelectMany(e => e.Texts));
        Assert.Equal("settings", tag);
        Assert.Contains("    \"hidden\": 16,", text, StringComparison.Ordinal);
        Assert.Contains("\"run\"", text, StringComparison.Ordinal);

        // Each row's mean episode length, as in metrics.csv: at least 1 step, at most the longest timeout T + m = 22.
        var lengths = TensorBoardEvents.Read(files.TensorBoardFolder).Where(p => p.Tag == "charts/mean_episode_length").ToList();
        Assert.NotEmpty(lengths);
        Assert.All(lengths, p => Assert.InRange(p.Value, 1f, 22f));
        string[] header = File.ReadLines(files.MetricsFile).First().Split(',');
        int column = Array.IndexOf(header, "charts/mean_episode_length");
        var fromCsv = File.ReadLines(files.MetricsFile).Skip(1).Select(l => l.Split(',')[column]).Where(v => v.Length > 0 && v != "NaN")
            .Select(v => (float)double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(fromCsv.Count, lengths.Count);
        Assert.All(fromCsv.Zip(lengths), pair => Assert.Equal(pair.First, pair.Second.Value, 1e-4f)); // metrics.csv keeps 6 digits

        // A resume rebuilds tb/ from metrics.csv, wall times in Unix seconds too, and adds the new session's settings.
        (code, _, error) = Gridtime.Run("train", "--resume", run, "--frames", "2000");
        Assert.True(code == 0, error);
        events = TensorBoardEvents.Events(files.TensorBoardFolder);
        Assert.All(events, e => Assert.InRange(e.WallTime, before - 3600, TensorBoardFile.UnixSeconds(DateTimeOffset.UtcNow) + 1));
        Assert.Contains(events.SelectMany(e => e.Texts), t => t.Text.Contains("\"frames\": 2000", StringComparison.Ordinal));
    }

    [Fact]
    public void TheRecordChecksumIsTheMaskedCastagnoliCrc()
    {
        // CRC-32C of "123456789" is 0xE3069283 (its check value); masked: rotated right by 15, plus 0xa282ead8.
        Assert.Equal(0xC78AB0E5u, TensorBoardFile.MaskedCrc("123456789"u8));
    }
}
