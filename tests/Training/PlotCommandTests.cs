using System.Globalization;
using GridTime.Agents;
using GridTime.Rendering.Plots;
using GridTime.Training.Config;
using GridTime.Training.Runs;
using SkiaSharp;

namespace GridTime.Tests.Training;

/// <summary><c>gridtime plot</c>: training curves of runs from metrics.csv, naming each run in the PNG and the output.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class PlotCommandTests
{
    // A run folder with config.json (agent, id) and a metrics.csv of one row per 10,000 frames.
    private static RunFolder Run(TemporaryFolder folder, string name, CoreKind agent, string id, int rows, string tail = "")
    {
        var run = new RunFolder(folder[name]);
        run.Create();
        run.WriteConfig(new TrainConfig { Agent = agent, Hidden = 16 }, new RunRecord(id, []));
        var text = new System.Text.StringBuilder(MetricsLog.Header + "\n");
        for (int r = 1; r <= rows; r++)
        {
            double[] values = [r * 10_000, r, 100, 2, 0.1 * r, 0.05 * r, 12, 20_000, 300, 0.5, 1.5, 1.6, 3, 0, double.NaN, double.NaN, double.NaN, double.NaN];
            Assert.Equal(MetricsLog.Header.Split(',').Length, values.Length);
            text.Append(string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture)))).Append('\n');
        }

        File.WriteAllText(run.MetricsFile, text + tail);
        return run;
    }

    [Fact]
    public void RunsWhoseFoldersShareANameAreNamedByTheirPaths()
    {
        using var folder = new TemporaryFolder();
        Directory.CreateDirectory(folder["other"]);
        RunFolder a = Run(folder, "a", CoreKind.Nac, "id-a", 3), b = Run(folder, Path.Combine("other", "a"), CoreKind.Baseline, "id-b", 2);
        (int code, string output, string error) = Gridtime.Run("plot", "--run", a.Path, "--run", b.Path, "--out", folder["curves.png"]);
        Assert.True(code == 0, error);
        Assert.Contains($"  {a.Path} (nac, id id-a, 30,000 frames, 3 rows)\n", output);
        Assert.Contains($"  {b.Path} (baseline, id id-b, 20,000 frames, 2 rows)\n", output);
        Assert.StartsWith($"{a.Path} (nac, id id-a", CurvePlot.ReadText(File.ReadAllBytes(folder["curves.png"]), CurvePlot.SubtitleKeyword));
    }

    [Fact]
    public void ThePlotNamesEveryRunItsIdAgentAndFrames()
    {
        using var folder = new TemporaryFolder();
        RunFolder a = Run(folder, "a", CoreKind.Nac, "id-a", 3), b = Run(folder, "b", CoreKind.Baseline, "id-b", 2);
        (int code, string output, string error) = Gridtime.Run("plot", "--run", a.Path, "--run", b.Path, "--out", folder["curves.png"]);
        Assert.True(code == 0, error);
        Assert.Contains("  a (nac, id id-a, 30,000 frames, 3 rows)\n", output);
        Assert.Contains("  b (baseline, id id-b, 20,000 frames, 2 rows)\n", output);

        byte[] png = File.ReadAllBytes(folder["curves.png"]);
        Assert.StartsWith("a (nac, id id-a, 30,000 frames, 3 rows); b (baseline, id id-b, 20,000 frames, 2 rows); GridTime ", CurvePlot.ReadText(png, CurvePlot.SubtitleKeyword));
        Assert.Equal(
            "Fraction of the best achievable reward\nExact arrivals (share of episodes arriving at T)\nLosses (mean per update)\nTraining speed",
            CurvePlot.ReadText(png, PanelGrid.PanelsKeyword));
        using SKBitmap bitmap = SKBitmap.Decode(png);
        Assert.Equal(2 * 820, bitmap.Width);
        Assert.True(bitmap.Height > 2 * 440, $"two rows of panels under a header, got {bitmap.Height}");
    }

    [Fact]
    public void AHorizonNotReachedIsNoPointNotABadLine()
    {
        using var folder = new TemporaryFolder();
        string noneRow = "30000,3,100,2,0.3,0.15,12,20000,300,0.5,1.5,1.6,3,0,NaN,NaN,none,none\n";
        RunFolder a = Run(folder, "a", CoreKind.Nac, "id-a", 2, tail: noneRow);
        (int code, string output, string error) = Gridtime.Run("plot", "--run", a.Path, "--out", folder["curves.png"]);
        Assert.True(code == 0, error);
        Assert.Contains("a (nac, id id-a, 30,000 frames, 3 rows)", output);
    }

    [Fact]
    public void ARowOfAHandfulOfEpisodesIsNamedAndNotDrawn()
    {
        using var folder = new TemporaryFolder();
        // The last row covers 160 frames after the row at 30,000 (a Ctrl+C): 5 episodes beside the others' 100.
        string shortRow = "30160,3.1,5,0.2,0,0.15,12,20000,300,0.5,1.5,1.6,3,0,NaN,NaN,NaN,NaN\n";
        RunFolder a = Run(folder, "a", CoreKind.Nac, "id-a", 3, tail: shortRow);
        Assert.Equal([3], MetricsTable.Read(a.MetricsFile).ShortRows());
        (int code, string output, string error) = Gridtime.Run("plot", "--run", a.Path, "--out", folder["curves.png"]);
        Assert.True(code == 0, error);
        Assert.Contains($"{a.MetricsFile}: the row at 30,160 frames rests on 5 episodes, fewer than a quarter of a typical row's; not drawn", output);
        Assert.Contains("a (nac, id id-a, 30,160 frames, 4 rows)", output); // the run is still named by all it holds
    }

    [Fact]
    public void RowsOfSimilarSizeAreAllDrawn()
    {
        using var folder = new TemporaryFolder();
        RunFolder a = Run(folder, "a", CoreKind.Nac, "id-a", 3, tail: "40000,4,30,2,0.4,0.2,12,20000,300,0.5,1.5,1.6,3,0,NaN,NaN,NaN,NaN\n");
        Assert.Empty(MetricsTable.Read(a.MetricsFile).ShortRows()); // 30 episodes beside 100: not fewer than a quarter
    }

    [Fact]
    public void AnIncompleteLastLineIsLeftOutWithAWarning()
    {
        using var folder = new TemporaryFolder();
        RunFolder a = Run(folder, "a", CoreKind.Counter, "id-a", 2, tail: "30000,3,10");
        (int code, string output, string error) = Gridtime.Run("plot", "--run", a.Path, "--out", folder["curves.png"]);
        Assert.True(code == 0, error);
        Assert.Contains("a (counter, id id-a, 20,000 frames, 2 rows)", output);
        Assert.Contains("last line is incomplete", error);
    }

    [Fact]
    public void InputsAreNeverOverwrittenAndBadMetricsAreOneLine()
    {
        using var folder = new TemporaryFolder();
        RunFolder a = Run(folder, "a", CoreKind.Nac, "id-a", 2);
        byte[] before = File.ReadAllBytes(a.MetricsFile);
        (int code, _, string error) = Gridtime.Run("plot", "--run", a.Path, "--out", a.MetricsFile);
        Assert.Equal(2, code);
        Assert.Contains("metrics.csv", error);
        Assert.Equal(before, File.ReadAllBytes(a.MetricsFile));
        Assert.Equal(2, Gridtime.Run("plot", "--run", a.Path, "--out", a.ConfigFile).ExitCode);

        File.AppendAllText(a.MetricsFile, "30000,x,1\n");
        (code, _, error) = Gridtime.Run("plot", "--run", a.Path, "--out", folder["curves.png"]);
        Assert.Equal(2, code);
        Assert.Contains($"line 4 is not {MetricsLog.Header.Split(',').Length} numbers", error);
        Assert.Single(error.Trim().Split('\n'));

        (code, _, error) = Gridtime.Run("plot", "--run", folder["missing"], "--out", folder["curves.png"]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        Assert.False(File.Exists(folder["curves.png"]));
    }
}
