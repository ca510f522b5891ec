namespace GridTime.Tests.Sweeps;

/// <summary>
/// Fake Slurm client commands in a temporary folder, for the slurm backend's fast tests: sbatch keeps each script it
/// is given and prints the next job id (or fails like sbatch with the controller down); squeue and scontrol print
/// what the test has put in squeue.out and scontrol.out.
/// </summary>
public sealed class FakeSlurm : IDisposable
{
    public FakeSlurm(bool controllerDown = false)
    {
        Folder = Directory.CreateTempSubdirectory("gridtime-fake-slurm-").FullName;
        string sbatch = controllerDown
            ? "#!/bin/sh\necho 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)' >&2\nexit 1\n"
            : "#!/bin/sh\nd=$(dirname \"$0\")\nn=$(cat \"$d/next-job\" 2>/dev/null || echo 4242)\necho \"$@\" > \"$d/sbatch-args-$n\"\nfor a; do last=$a; done\ncp \"$last\" \"$d/submitted-$n.sbatch\"\necho $((n + 1)) > \"$d/next-job\"\necho \"$n\"\n";
        Write("sbatch", sbatch);
        string down = "#!/bin/sh\necho \"$(basename \"$0\"): error: Unable to contact slurm controller (connect failure)\" >&2\nexit 1\n";
        Write("squeue", controllerDown ? down : "#!/bin/sh\ncat \"$(dirname \"$0\")/squeue.out\" 2>/dev/null\nexit 0\n");
        Write("scontrol", controllerDown ? down : "#!/bin/sh\ncat \"$(dirname \"$0\")/scontrol.out\" 2>/dev/null\nexit 0\n");
    }

    public string Folder { get; }

    /// <summary>What squeue -h -r -o "%K %T" prints (array index, state per line).</summary>
    public string Queue { set => File.WriteAllText(Path.Combine(Folder, "squeue.out"), value); }

    /// <summary>What scontrol -o show job prints (one line per task).</summary>
    public string Jobs { set => File.WriteAllText(Path.Combine(Folder, "scontrol.out"), value); }

    /// <summary>The script sbatch was given for job <paramref name="job"/>.</summary>
    public string Submitted(int job) => File.ReadAllText(Path.Combine(Folder, $"submitted-{job}.sbatch"));

    /// <summary>The arguments sbatch was given for job <paramref name="job"/>.</summary>
    public string Arguments(int job) => File.ReadAllText(Path.Combine(Folder, $"sbatch-args-{job}")).Trim();

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private void Write(string name, string script)
    {
        string path = Path.Combine(Folder, name);
        File.WriteAllText(path, script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
