using GridTime.Cli;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

[Collection(ConsoleCollection.Name)]
public sealed class WriteFailureTests
{
    [Fact]
    public void AFullDiskIsAClearErrorAndTheCheckpointsStayIntact()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 500)).ExitCode);
        var files = new RunFolder(run);
        byte[] checkpoint = File.ReadAllBytes(files.LatestCheckpoint);

        // /dev/full accepts the open and fails every write with ENOSPC, as a full disk does.
        File.Delete(files.MetricsFile);
        File.CreateSymbolicLink(files.MetricsFile, "/dev/full");
        (int code, string output, string error) = Gridtime.Run("train", "--resume", run, "--frames", "2000");
        Assert.Equal(Program.Failed, code);
        Assert.Contains("cannot write", error);
        Assert.Contains("No space left on device", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(checkpoint, File.ReadAllBytes(files.LatestCheckpoint));
        Assert.False(File.Exists(Path.Combine(run, RunLock.FileName)));
    }

    [Fact]
    public void AFolderThatCannotBeWrittenIsAClearError()
    {
        // /proc refuses new entries even to root, like a read-only file system.
        (int code, _, string error) = Gridtime.Run(ReliabilityRuns.Train("/proc/gridtime-test-run", frames: 500));
        Assert.Equal(Program.Failed, code);
        Assert.StartsWith("gridtime: cannot write", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
