using System.Diagnostics;
using GridTime.Cli;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

[Collection(ConsoleCollection.Name)]
public sealed class RunLockTests
{
    [Fact]
    public void ALiveSecondWriterIsRefusedWithTheOwnersProcessId()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 1000)).ExitCode);
        byte[] checkpoint = File.ReadAllBytes(new RunFolder(run).LatestCheckpoint);

        using (RunLock.Acquire(run))
        {
            (int code, string output, string error) = Gridtime.Run("train", "--resume", run, "--frames", "3000");
            Assert.Equal(Program.BadInput, code);
            Assert.Contains($"is in use by process {System.Environment.ProcessId}", error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.Equal(checkpoint, File.ReadAllBytes(new RunFolder(run).LatestCheckpoint));
            Assert.Throws<UsageException>(() => RunLock.Acquire(run));
        }

        // Released: the resume now goes through, and the lock is gone afterwards.
        Assert.Equal(0, Gridtime.Run("train", "--resume", run, "--frames", "2000").ExitCode);
        Assert.False(File.Exists(Path.Combine(run, RunLock.FileName)));
    }

    [Fact]
    public void AStaleLockOfAFinishedProcessIsTakenOver()
    {
        using var folder = new TemporaryFolder();
        using Process finished = Process.Start("true")!;
        finished.WaitForExit();
        File.WriteAllText(Path.Combine(folder.Path, RunLock.FileName), $"pid={finished.Id}\nstart=12345\nhost={System.Environment.MachineName}\n");

        using RunLock taken = RunLock.Acquire(folder.Path);
        Assert.Equal($"process {finished.Id} on {System.Environment.MachineName}", taken.TakenOver);
        Assert.Contains($"pid={System.Environment.ProcessId}", File.ReadAllText(Path.Combine(folder.Path, RunLock.FileName)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("pid=")]
    [InlineData("\u0001\u0002garbage")]
    public void ALockTornOrDamagedByACrashIsTakenOver(string content)
    {
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, RunLock.FileName);
        File.WriteAllText(path, content);

        // Unreadable and just written: another process may be writing its id, so it is waited for.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(-4));
        using RunLock taken = RunLock.Acquire(folder.Path);
        Assert.NotNull(taken.TakenOver);
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(0.5), "a lock being written was taken over at once");
    }

    [Fact]
    public void AProcessIdReusedByAnotherProcessDoesNotHoldTheLock()
    {
        using var folder = new TemporaryFolder();

        // Our own id, but a start time that is not ours: a recycled id after a crash.
        File.WriteAllText(Path.Combine(folder.Path, RunLock.FileName), $"pid={System.Environment.ProcessId}\nstart=1\nhost={System.Environment.MachineName}\n");
        using RunLock taken = RunLock.Acquire(folder.Path);
        Assert.NotNull(taken.TakenOver);
    }
}
