using System.Diagnostics;
using GridTime.Tests.Training;
using GridTime.Training.Progress;

namespace GridTime.Tests.Terminal;

/// <summary>
/// The live progress display as a terminal shows it: `gridtime train` run in a real pseudo-terminal 80 columns
/// wide (util-linux's <c>script</c>, part of every Debian), its output replayed on <see cref="TerminalScreen"/>.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class LiveDisplayTests
{
    [Fact]
    public async Task TrainInAnEightyColumnTerminalKeepsOneLiveDisplay()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        TerminalScreen screen = await InPseudoTerminal($"train --frames 40000 --workers 1 --envs-per-worker 16 --log-interval 20000 --checkpoint-interval 20000 --episode-log-every 0 --run-dir {run}");
        IReadOnlyList<string> lines = screen.Lines;
        string shown = string.Join("\n", lines);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "gridtime-live-display-80.txt"), shown); // the screen, for a person to look at

        // Many refreshes were drawn, yet the screen holds one bar and one line of figures, nothing wrapped.
        Assert.Single(lines, l => l.Contains("/40,000 frames", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("elapsed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("done: ", StringComparison.Ordinal));
        Assert.True(lines.Count <= 8, $"{lines.Count} lines:\n{shown}");
        Assert.DoesNotContain("NaN", shown, StringComparison.Ordinal);
        Assert.All(lines.Where(l => l.Contains("ETA", StringComparison.Ordinal) || l.Contains("elapsed", StringComparison.Ordinal)), l => Assert.True(l.Length < 80, l));
        Assert.Contains("1 worker x 16 environments", shown, StringComparison.Ordinal);

        // eval of the run: one bar over the T values, then the table.
        screen = await InPseudoTerminal($"eval --run {run} --t-to 30 --episodes 20 --select-last 1");
        lines = screen.Lines;
        shown = string.Join("\n", lines);
        Assert.Single(lines, l => l.Contains("30/30 T values", StringComparison.Ordinal) && l.EndsWith("  done", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("600/600 episodes", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("/30 T values", StringComparison.Ordinal) && !l.Contains("30/30", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("H90 = ", StringComparison.Ordinal));
    }

    // Runs gridtime with `arguments` in a pseudo-terminal 80 columns wide and returns the screen it leaves.
    private static async Task<TerminalScreen> InPseudoTerminal(string arguments)
    {
        string command = $"stty cols 80 rows 24 && exec dotnet {Path.Combine(AppContext.BaseDirectory, "gridtime.dll")} {arguments}";
        var start = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["-q", "-e", "-c", command, "/dev/null"])
        {
            start.ArgumentList.Add(argument);
        }

        // A clean environment: a CI system's variables would (rightly) turn the live display into plain lines.
        start.Environment.Clear();
        foreach ((string name, string? value) in System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().Select(e => ((string)e.Key, (string?)e.Value)))
        {
            if (name is "PATH" or "HOME" or "TMPDIR" || name.StartsWith("DOTNET_", StringComparison.Ordinal))
            {
                start.Environment[name] = value;
            }
        }

        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var bytes = new MemoryStream();
        await process.StandardOutput.BaseStream.CopyToAsync(bytes);
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), $"gridtime {arguments} did not finish");
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await errors}");

        Assert.True(bytes.Length > 2000, $"only {bytes.Length} bytes of output from {arguments}");
        return TerminalScreen.Of(bytes.ToArray(), 80);
    }

    [Fact]
    public void ATaskThatEndsShortOfItsTotalSaysStoppedNotATimeLeft()
    {
        var output = new StringWriter();
        ProgressDisplay.Run(TimeSpan.Zero, display =>
        {
            display.Report(new ProgressState(10, 100, "10/100 frames", []));
            display.Report(new ProgressState(40, 100, "40/100 frames", [])); // then Ctrl+C
            return 0;
        }, output);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("40/100 frames (40%)  stopped", lines[^1]);
        Assert.StartsWith("40/100 frames (40%)  ETA ", lines[^2], StringComparison.Ordinal);

        var finished = new StringWriter();
        ProgressDisplay.Run(TimeSpan.Zero, display =>
        {
            display.Report(new ProgressState(50, 100, "50/100 frames", []));
            display.Report(new ProgressState(100, 100, "100/100 frames", []));
            return 0;
        }, finished);
        // The state at the total, reported while a line is due, is written once at the end, as done (not "ETA 0:00:00").
        string[] finishedLines = finished.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, finishedLines.Length);
        Assert.StartsWith("50/100 frames (50%)  ETA ", finishedLines[0], StringComparison.Ordinal);
        Assert.Equal("100/100 frames (100%)  done", finishedLines[1]);

        // Work that stops by throwing (eval on Ctrl+C) ends the same way.
        var thrown = new StringWriter();
        Assert.Throws<OperationCanceledException>(() => ProgressDisplay.Run<int>(TimeSpan.Zero, display =>
        {
            display.Report(new ProgressState(1, 4, "1/4 T values", []));
            throw new OperationCanceledException();
        }, thrown));
        Assert.Equal("1/4 T values (25%)  stopped", thrown.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
    }

    [Fact]
    public void WithoutATerminalTrainWritesPlainLinesThatSayOnlyWhatIsKnown()
    {
        using var folder = new TemporaryFolder();
        // Lines at every report (--progress-seconds 0.001) and a report at each checkpoint (every 6,000 frames), so that
        // one comes before the first metrics row however fast the machine runs (at 60,000 frames/s the whole run takes
        // 0.4 s: lines 0.2 s apart may all fall after it).
        (int code, string output, string error) = Gridtime.Run("train", "--run-dir", folder["run"], "--frames", "24000", "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "8", "--log-interval", "12000", "--checkpoint-interval", "6000", "--progress-seconds", "0.001", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        string[] lines = [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
        Assert.DoesNotContain("NaN", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', output);
        string[] progress = [.. lines.Where(l => l.Contains("/24,000 frames", StringComparison.Ordinal))];
        Assert.True(progress.Length >= 2, output);

        // Before the first metrics row no reward is claimed; the last line has the run's figures.
        Assert.All(progress.Where(l => !l.Contains("reward", StringComparison.Ordinal)), l => Assert.Contains("first figures at 12,000 frames", l, StringComparison.Ordinal));
        Assert.Matches(@"^24,\d{3}/24,000 frames \(100%\)  [\d,]+ frames/s  reward \d+\.\d% of best  exact \d+\.\d%  elapsed 0:00:\d\d  [\d,]+ episodes  done$", progress[^1]);
        Assert.StartsWith("1 worker x 8 environments", lines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(80)]
    [InlineData(120)]
    [InlineData(300)]
    public void TheLinesFitEveryWidth(int width)
    {
        var state = new ProgressState(3_700_000, 10_000_000, "3,700,000/10,000,000 frames",
            ["21,345 frames/s", "reward 95.1% of best", "exact 80.2%", "elapsed 0:01:30", "12,345 episodes"]);
        (string bar, string details) = ProgressDisplay.Lines(state, "ETA 0:02:41", width);
        Assert.True(bar.Length < width && details.Length < width, $"{bar}\n{details}");
        Assert.EndsWith("ETA 0:02:41", bar, StringComparison.Ordinal);
        Assert.StartsWith("21,345 frames/s", details, StringComparison.Ordinal);
    }

    [Fact]
    public void AtEightyColumnsTheLinesAreAsWorkedOut()
    {
        var state = new ProgressState(3_700_000, 10_000_000, "3,700,000/10,000,000 frames",
            ["21,345 frames/s", "reward 95.1% of best", "exact 80.2%", "elapsed 0:01:30", "12,345 episodes"]);
        (string bar, string details) = ProgressDisplay.Lines(state, "ETA 0:02:41", 80);

        // 79 columns: the tail "  37%  3,700,000/10,000,000 frames  ETA 0:02:41" is 47, the bar 79 - 47 - 2 = 30 wide
        // with round(0.37 * 30) = 11 filled; the details up to "elapsed" are 67 columns, the episodes would make 84.
        Assert.Equal("[" + new string('#', 11) + new string('.', 19) + "]  37%  3,700,000/10,000,000 frames  ETA 0:02:41", bar);
        Assert.Equal("21,345 frames/s  reward 95.1% of best  exact 80.2%  elapsed 0:01:30", details);
    }
}
