using System.Globalization;
using System.Text.RegularExpressions;
using GridTime.Agents;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

/// <summary>
/// A libtorch error in a training worker (the Scalar use-after-free threw "Expected false to be true" from
/// toFloat) ends the program with one line naming the agent, the frame count and the checkpoint, exit code 1, and
/// the run resumes from that checkpoint: injected with <see cref="FaultInjection.NativeErrorVariable"/> in a real
/// process, since the real error is a race.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class NativeErrorTests
{
    [Fact]
    public async Task ALibtorchErrorInAWorkerIsOneLineWithExitCodeOneAndTheRunResumes()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        var files = new RunFolder(run);
        (int code, string output, string error) = await Run(ReliabilityRuns.Train(run, 6000), faultAt: 1500);

        Assert.True(code == 1, $"exit code {code}\n{output}\n{error}");
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, error);
        string agent = new TrainConfig().Agent.Name();
        Match line = Regex.Match(lines[0],
            $@"^gridtime: {agent} stopped at frame (?<frames>[\d,]+) by a libtorch error: Expected false to be true, but got false\.[^;]*; last checkpoint: (?<checkpoint>.+) \((?<at>[\d,]+) frames\); continue with: gridtime train --resume (?<run>.+)$");
        Assert.True(line.Success, lines[0]);
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal); // no .NET stack trace
        long stoppedAt = long.Parse(line.Groups["frames"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        long checkpointAt = long.Parse(line.Groups["at"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        Assert.InRange(stoppedAt, 1500, 6000 - 1);
        Assert.InRange(checkpointAt, 400, stoppedAt);
        Assert.Equal(checkpointAt, Checkpoint.Verify(line.Groups["checkpoint"].Value).Frames);

        // The command the line gives continues the run to its end.
        Assert.Equal(GridTime.Training.Files.CommandLine.Quote(run), line.Groups["run"].Value);
        (code, output, error) = await Run(["train", "--resume", run], faultAt: null);
        Assert.True(code == 0, $"exit code {code}\n{output}\n{error}");
        Assert.True(Checkpoint.Verify(files.LatestCheckpoint).Frames >= 6000, output);
    }

    private static Task<(int Code, string Output, string Error)> Run(string[] arguments, long? faultAt) =>
        GridtimeProcess.Run(arguments, new Dictionary<string, string> { [FaultInjection.NativeErrorVariable] = faultAt?.ToString(CultureInfo.InvariantCulture) ?? "" });
}
