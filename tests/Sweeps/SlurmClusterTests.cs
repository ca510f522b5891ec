using System.Diagnostics;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.Runs;
using GridTime.Training.Sweeps;

namespace GridTime.Tests.Sweeps;

/// <summary>A [Fact] reported as skipped, with the reason, where tests/Slurm/one-node-cluster.sh cannot start a cluster.</summary>
public sealed class FactNeedingSlurmClusterAttribute : FactAttribute
{
    public FactNeedingSlurmClusterAttribute() => Skip = OneNodeCluster.SkipReason;
}

/// <summary>The one-node Slurm cluster of tests/Slurm/one-node-cluster.sh, started in a temporary folder and stopped on dispose.</summary>
public sealed class OneNodeCluster : IDisposable
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Slurm", "one-node-cluster.sh");
    private readonly string? _previousConf = System.Environment.GetEnvironmentVariable("SLURM_CONF");

    public OneNodeCluster()
    {
        Folder = Directory.CreateTempSubdirectory("gridtime-slurm-").FullName;
        try
        {
            (int code, string output) = Run("start");
            Assert.True(code == 0, output);
            System.Environment.SetEnvironmentVariable("SLURM_CONF", Path.Combine(Folder, "slurm.conf"));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Null when the cluster can be started here (root, with Slurm installed or apt-get to install it); otherwise why not.</summary>
    public static string? SkipReason =>
        !OperatingSystem.IsLinux() ? "needs Linux to start a one-node Slurm cluster"
        : System.Environment.UserName != "root" ? "needs root to start a one-node Slurm cluster (tests/Slurm/one-node-cluster.sh); CI runs as root"
        : !File.Exists("/usr/sbin/slurmctld") && !File.Exists("/usr/bin/apt-get") ? "needs Debian's slurm-wlm or apt-get to install it"
        : null;

    public string Folder { get; }

    public void Dispose()
    {
        // Stops exactly the daemons the script started (their pid files in Folder), also when the test failed.
        Run("stop");
        System.Environment.SetEnvironmentVariable("SLURM_CONF", _previousConf);
        Directory.Delete(Folder, recursive: true);
    }

    private (int Code, string Output) Run(string action)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(action);
        start.ArgumentList.Add(Folder);
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }
}

[Collection(ConsoleCollection.Name)]
public sealed class SlurmClusterTests
{
    [FactNeedingSlurmCluster]
    public void ASweepRunsThroughARealSlurmArrayAndAFailedCellIsResubmittedAlone()
    {
        using var cluster = new OneNodeCluster();
        using var folder = new TemporaryFolder();
        string root = folder["sweep"];
        string[] sweep = ["sweep", "--backend", "slurm", "--wait", "--run-dir", root, "--agents", "baseline,nac", "--seeds", "2", "--cpus-per-task", "1", "--mem", "1G",
            "--time", "10", "--frames", "3000", "--hidden", "32", "--envs-per-worker", "4", "--steps", "5", "--t-to", "8", "--episodes", "4", "--select-last", "1", "--episode-log-every", "0"];

        // nac-s2 is made to fail in its Slurm task (the variable goes to the tasks only, through sbatch --export).
        (int code, string output, string error) = Gridtime.Run([.. sweep, $"--sbatch-arg=--export=ALL,{FaultInjection.FailCellVariable}=nac-s2"]);
        Assert.True(code == 1, error + output);
        string job = Assert.Single(SlurmBackend.Jobs(root)).Job;
        Assert.Contains($"submitted 4 of 4 cells as Slurm array job {job}", output);
        Assert.Contains($"gridtime: cell 3 nac-s2 failed: fault-injection: cell nac-s2 made to fail ({FaultInjection.FailCellVariable}) (Slurm task {job}_3 FAILED, exit code 1:0); log: {root}/logs/{job}_3.log", error);
        Assert.Contains("fault-injection: cell nac-s2 made to fail", File.ReadAllText(Path.Combine(root, "logs", $"{job}_3.log")));

        (code, output, _) = Gridtime.Run("sweep", "status", "--run-dir", root);
        Assert.Equal(0, code);
        Assert.Contains("0 pending, 0 running, 3 done, 1 failed (of 4)", output);
        string[] finished = ["baseline-s1", "baseline-s2", "nac-s1"];
        DateTime[] trained = [.. finished.Select(cell => File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, cell)).LatestCheckpoint))];

        // The same command again submits only the failed cell, and collects all four.
        (code, output, error) = Gridtime.Run(sweep);
        Assert.True(code == 0, error + output);
        Assert.Contains("submitted 1 of 4 cells", output);
        Assert.Equal("3", string.Join(',', SlurmBackend.Jobs(root)[^1].Cells));
        Assert.Equal(trained, finished.Select(cell => File.GetLastWriteTimeUtc(new RunFolder(Path.Combine(root, cell)).LatestCheckpoint)));

        string summary = File.ReadAllText(Path.Combine(root, "summary.md"));
        Assert.Contains("| baseline | 1, 2 | 3,000 |", summary);
        Assert.Contains("| nac | 1, 2 | 3,000 |", summary);
        Assert.DoesNotContain("Not collected", summary);
        Assert.Equal(1 + (4 * 8), File.ReadAllLines(Path.Combine(root, "comparison.csv")).Length);
    }
}
