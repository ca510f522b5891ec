using System.Diagnostics;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class SignalTests
{
    [TheoryNeedingSigint]
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
        string printed = await output;
        Assert.Contains("interrupted at", printed);
        long frames = Checkpoint.Verify(new RunFolder(run).LatestCheckpoint).Frames;
        Assert.True(frames > 0);

        // The command it prints works as printed, with the repository's tools/ on PATH as README says.
        string hint = printed.Split('\n').Single(l => l.Contains("resume with: ", StringComparison.Ordinal));
        string resume = hint[(hint.IndexOf("resume with: ", StringComparison.Ordinal) + "resume with: ".Length)..].Trim();
        Assert.StartsWith("gridtime train --resume ", resume, StringComparison.Ordinal);
        (int code, string resumed) = await InShell($"{resume} --frames {frames + 200}");
        Assert.True(code == 0, resumed);
        Assert.True(Checkpoint.Verify(new RunFolder(run).LatestCheckpoint).Frames >= frames + 200);
    }

    // Runs `command` in sh with the repository's tools/ folder first on PATH; returns the exit code and all output.
    private static async Task<(int Code, string Output)> InShell(string command)
    {
        string repository = Repository.Root;
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        start.Environment["PATH"] = $"{Path.Combine(repository, "tools")}:{System.Environment.GetEnvironmentVariable("PATH")}";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }
}
