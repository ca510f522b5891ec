using System.Diagnostics;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class SignalTests
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task ASignalStopsTrainingWithACheckpointAndExitCode130(string signal)
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "gridtime.dll"), "train", "--run-dir", run, "--frames", "100000000",
            "--hidden", "32", "--workers", "2", "--envs-per-worker", "4", "--steps", "5", "--checkpoint-interval", "100000000", "--log-interval", "2000"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        var metrics = new RunFolder(run).MetricsFile;
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length > 1) && clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
        {
            await Task.Delay(100);
        }

        Assert.False(process.HasExited, process.HasExited ? await errors : "");
        Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("interrupted at", await output);
        Assert.True(Checkpoint.Verify(new RunFolder(run).LatestCheckpoint).Frames > 0);
    }
}
