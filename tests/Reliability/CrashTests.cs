using System.Diagnostics;
using System.Text.Json.Nodes;
using GridTime.Environment.Episodes;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

/// <summary>
/// kill -9 at seeded moments of a real training process (one of them halfway through writing a
/// checkpoint), resuming after each: the run must go on from its last complete checkpoint with the same
/// config, and every file must stay readable.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CrashTests
{
    private const long Budget = 100_000_000;

    [Fact]
    public async Task SigkillAtSeededMomentsThenResumeLosesNothingButTheLastInterval()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        var files = new RunFolder(run);
        var random = new Random(20261123);
        string[] newRun = ReliabilityRuns.Train(run, Budget);
        string[] resume = ["train", "--resume", run];

        // 1. A new run, killed at a random moment after its first checkpoint.
        await KillAfter(newRun, files, random.Next(200, 1500), pauseAt: null);
        JsonObject config = ConfigWithoutVersions(files);
        long resumedFrom = CheckEverythingReads(files, previous: 0, config);

        // 2.-4. Resumes killed at random moments, one of them while it writes a checkpoint.
        foreach (string? pause in (string?[])[null, FaultInjection.CheckpointWrite, null])
        {
            await KillAfter(resume, files, random.Next(200, 1500), pause);
            resumedFrom = CheckEverythingReads(files, resumedFrom, config);
        }

        // 5. A resume that runs to a (raised) end: the frames continue from the last checkpoint.
        long target = resumedFrom + 2000;
        (int code, string output, string error) = await RunToEnd([.. resume, "--frames", target.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(code == 0, error);
        Assert.True(Checkpoint.Verify(files.LatestCheckpoint).Frames >= target, output);
        Assert.Empty(Directory.GetFiles(files.CheckpointFolder, "*.tmp"));
        CheckEverythingReads(files, resumedFrom, config);

        // The rows of stretches redone after a kill were replaced, not repeated: frames only go up.
        long[] frames = [.. File.ReadAllLines(files.MetricsFile).Skip(1).Select(line => long.Parse(line.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.Equal(frames.Order().Distinct(), frames);
        Assert.True(frames[^1] >= target);
    }

    // Starts gridtime as a child process, waits for a checkpoint (or the fault-injection pause), lets it
    // run for `milliseconds` more, and kills it with SIGKILL.
    private static async Task KillAfter(string[] arguments, RunFolder files, int milliseconds, string? pauseAt)
    {
        DateTime before = File.Exists(files.LatestCheckpoint) ? File.GetLastWriteTimeUtc(files.LatestCheckpoint) : DateTime.MinValue;
        using Process process = Start(arguments, pauseAt);
        var paused = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("fault-injection: paused", StringComparison.Ordinal) == true)
            {
                paused.TrySetResult();
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        if (pauseAt is null)
        {
            while (!(File.Exists(files.LatestCheckpoint) && File.GetLastWriteTimeUtc(files.LatestCheckpoint) > before) && clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
            {
                await Task.Delay(20);
            }

            await Task.Delay(milliseconds);
        }
        else
        {
            await paused.Task.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEmpty(Directory.GetFiles(files.CheckpointFolder, "*.tmp"));
        }

        Assert.False(process.HasExited, "the training process ended before it was killed");
        process.Kill(); // SIGKILL
        await process.WaitForExitAsync();
    }

    private static async Task<(int Code, string Output, string Error)> RunToEnd(string[] arguments)
    {
        using Process process = Start(arguments, pauseAt: null);
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static Process Start(string[] arguments, string? pauseAt)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtime.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[FaultInjection.Variable] = pauseAt ?? "";
        return Process.Start(start)!;
    }

    private static JsonObject ConfigWithoutVersions(RunFolder files)
    {
        JsonObject config = JsonNode.Parse(File.ReadAllText(files.ConfigFile))!.AsObject();
        config.Remove(RunFolder.VersionsKey);
        config.Remove(RunFolder.RunKey);
        config.Remove("frames");
        return config;
    }

    // Every artifact reads back; returns the frames the run would resume from (never fewer than before).
    private static long CheckEverythingReads(RunFolder files, long previous, JsonObject config)
    {
        Assert.True(JsonNode.DeepEquals(config, ConfigWithoutVersions(files)), "config.json changed");
        ResumePoint point = ResumePoint.Find(files)!;
        Assert.Empty(point.Skipped);
        Assert.True(point.Header.Frames >= previous, $"resume point went back from {previous} to {point.Header.Frames}");
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder, "*.ckpt"))
        {
            Checkpoint.Verify(checkpoint);
        }

        foreach (string log in Directory.GetFiles(files.EpisodeFolder))
        {
            EpisodeLog episodes = EpisodeLogReader.Read(log);
            Assert.All(episodes.Records, r => Assert.True(r.Steps.Count > 0));
        }

        string[] lines = File.ReadAllText(files.MetricsFile).Split('\n');
        Assert.Equal(MetricsLog.Header, lines[0]);
        long[] frames = [.. lines.Skip(1).SkipLast(1).Select(line => long.Parse(line.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.True(frames.Length > 0);
        return point.Header.Frames;
    }
}
