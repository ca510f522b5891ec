using System.Diagnostics;
using System.Globalization;

namespace GridTime.Training.Sweeps;

/// <summary>A Slurm client command could not be run or failed: one line for the user (exit code 1).</summary>
public sealed class SlurmException(string message) : Exception(message);

/// <summary>
/// Runs Slurm's client commands (sbatch, squeue, scontrol) as found on PATH, and reads their answers about
/// array jobs. Only the scheduler's own commands are used: GridTime never schedules anything itself.
/// </summary>
public static class SlurmClient
{
    /// <summary>
    /// The folders searched for the commands, as in PATH; null (the default) reads the PATH environment variable.
    /// Tests set it to a folder of fake commands without changing the process's PATH.
    /// </summary>
    public static string? SearchPath { get; set; }

    /// <summary>How long one client command may take before it is given up (sbatch waits ~9 s for a controller that is down).</summary>
    public static TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The full path of <paramref name="command"/> on the search path, or null.</summary>
    public static string? Find(string command) =>
        (SearchPath ?? System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, command))
            .FirstOrDefault(File.Exists);

    /// <summary>The full path of <paramref name="command"/>; a <see cref="SlurmException"/> when it is not on the search path.</summary>
    public static string Require(string command) =>
        Find(command) ?? throw new SlurmException($"{command} is not on PATH: the slurm backend needs Slurm's client commands (Debian: apt-get install slurm-client) and a slurm.conf naming the cluster");

    /// <summary>
    /// Runs <paramref name="command"/> with <paramref name="arguments"/>; returns its exit code and output.
    /// Throws a <see cref="SlurmException"/> when the command is not on the search path or does not finish in time.
    /// </summary>
    public static (int Code, string Output, string Error) Run(string command, params string[] arguments)
    {
        string path = Require(command);
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new SlurmException($"could not start {path}");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new SlurmException($"{command} did not answer within {Timeout.TotalSeconds:F0} s");
        }

        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The first line of a command's error output, for a one-line message.</summary>
    public static string FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(no message)";

    /// <summary>
    /// The states of the tasks of array job <paramref name="job"/> that Slurm still queues or runs (array index →
    /// state such as PENDING or RUNNING), from <c>squeue -h -r -j JOB -o "%K %T"</c>; empty once the array has left
    /// the queue. A pending range shown as "2-5%2" counts for each of its indices.
    /// </summary>
    /// <exception cref="SlurmException">squeue is missing or fails (the controller is down).</exception>
    public static IReadOnlyDictionary<int, string> QueuedTasks(string job)
    {
        (int code, string output, string error) = Run("squeue", "-h", "-r", "-j", job, "-o", "%K %T");
        if (code != 0)
        {
            // A job Slurm has forgotten is not an error: it has left the queue.
            if (error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
            {
                return new Dictionary<int, string>();
            }

            throw new SlurmException($"squeue failed (exit {code}): {FirstLine(error)}");
        }

        var states = new Dictionary<int, string>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 2)
            {
                foreach (int index in Indices(fields[0]))
                {
                    states[index] = fields[1];
                }
            }
        }

        return states;
    }

    /// <summary>
    /// The final states of the tasks of array job <paramref name="job"/> that Slurm still remembers (array index →
    /// (state, exit code) such as (FAILED, "1:0")), from <c>scontrol -o show job JOB</c>; empty when it has forgotten
    /// the job (after MinJobAge) or cannot be asked.
    /// </summary>
    public static IReadOnlyDictionary<int, (string State, string ExitCode)> TaskOutcomes(string job)
    {
        var outcomes = new Dictionary<int, (string, string)>();
        (int code, string output, _) = Run("scontrol", "-o", "show", "job", job);
        if (code != 0)
        {
            return outcomes;
        }

        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Dictionary<string, string> fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(f => f.Split('=', 2)).Where(f => f.Length == 2).GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[1]);
            if (fields.TryGetValue("ArrayTaskId", out string? ids) && fields.TryGetValue("JobState", out string? state))
            {
                foreach (int index in Indices(ids))
                {
                    outcomes[index] = (state, fields.GetValueOrDefault("ExitCode", "?"));
                }
            }
        }

        return outcomes;
    }

    /// <summary>The indices of an array range as Slurm prints it: "3", "0-5", "0-5%2", "1,4,7-9" (with or without brackets).</summary>
    public static IEnumerable<int> Indices(string range)
    {
        string plain = range.Trim('[', ']');
        int percent = plain.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0)
        {
            plain = plain[..percent];
        }

        foreach (string part in plain.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] ends = part.Split('-');
            if (ends.Length == 1 && int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int single))
            {
                yield return single;
            }
            else if (ends.Length == 2 && int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first)
                && int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out int last))
            {
                for (int i = first; i <= last; i++)
                {
                    yield return i;
                }
            }
        }
    }

    /// <summary>
    /// "0-3" for 0, 1, 2, 3 and "1,4,6-7" for 1, 4, 6, 7: the shortest --array list of <paramref name="indices"/> (sorted).
    /// </summary>
    public static string ArrayList(IEnumerable<int> indices)
    {
        var parts = new List<string>();
        int[] sorted = [.. indices.Order()];
        for (int i = 0; i < sorted.Length;)
        {
            int j = i;
            while (j + 1 < sorted.Length && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            parts.Add(j > i ? string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}-{sorted[j]}") : sorted[i].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }

        return string.Join(',', parts);
    }
}
