using System.Globalization;
using System.Text;
using System.Text.Json;
using GridTime.Training.Config;
using GridTime.Training.Files;

namespace GridTime.Training.Sweeps;

/// <summary>The resources each array task asks Slurm for.</summary>
/// <param name="Partition">The partition, or null for the cluster's default.</param>
/// <param name="Time">The time limit of one task, in a form sbatch reads (minutes, "HH:MM:SS", "D-HH").</param>
/// <param name="CpusPerTask">CPUs of one task (the cell trains with this many workers unless --workers is given).</param>
/// <param name="Memory">Memory of one task, as sbatch reads it ("2G").</param>
/// <param name="MaxParallel">At most this many tasks at once (the array's %K), or 0 for no limit.</param>
/// <param name="Extra">Further sbatch options, each written as its own #SBATCH line.</param>
public sealed record SlurmResources(string? Partition, string Time, int CpusPerTask, string Memory, int MaxParallel, IReadOnlyList<string> Extra);

/// <summary>One submitted array: its Slurm job id and the plan's cells its tasks run (task id = cell index).</summary>
/// <param name="Job">The array's job id as sbatch --parsable printed it.</param>
/// <param name="Cells">The cells it runs.</param>
/// <param name="Submitted">When it was submitted (UTC).</param>
public sealed record SubmittedArray(string Job, IReadOnlyList<int> Cells, DateTime Submitted);

/// <summary>
/// Runs a sweep's cells as one Slurm job array on a shared file system: writes <see cref="ScriptName"/> (one
/// array task per cell; each task runs <c>gridtime sweep run-cell</c> for the cell named by SLURM_ARRAY_TASK_ID,
/// which trains, then evaluates, and resumes if the task is requeued), submits it with <c>sbatch --parsable</c>
/// and records the job in <see cref="JobsName"/>.
/// </summary>
public static class SlurmBackend
{
    /// <summary>The batch script of the latest submission, in the sweep folder.</summary>
    public const string ScriptName = "sweep.sbatch";

    /// <summary>Every submitted array of the sweep (JSON), in the sweep folder.</summary>
    public const string JobsName = "slurm-jobs.json";

    /// <summary>The folder of the tasks' logs in the sweep folder: JOB_INDEX.log (Slurm's %A_%a).</summary>
    public const string LogFolder = "logs";

    /// <summary>The log of array task <paramref name="index"/> of <paramref name="job"/> in the sweep folder <paramref name="folder"/>.</summary>
    public static string LogOf(string folder, string job, int index) =>
        Path.Combine(Path.GetFullPath(folder), LogFolder, string.Create(CultureInfo.InvariantCulture, $"{job}_{index}.log"));

    /// <summary>The batch script that runs <paramref name="cells"/> of <paramref name="plan"/> in the sweep folder <paramref name="folder"/>.</summary>
    public static string Script(string folder, SweepPlan plan, IReadOnlyList<int> cells, SlurmResources resources)
    {
        string absolute = Path.GetFullPath(folder);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("#!/bin/bash");
        text.AppendLine(c, $"# GridTime sweep {absolute}: {cells.Count} of its {SweepCell.Count(plan.Cells.Count)}, one array task per cell (task id = cell index in {SweepPlan.FileName}).");
        text.AppendLine("#SBATCH --job-name=gridtime-sweep");
        text.AppendLine(c, $"#SBATCH --array={SlurmClient.ArrayList(cells)}{(resources.MaxParallel > 0 ? $"%{resources.MaxParallel}" : "")}");
        text.AppendLine(c, $"#SBATCH --output={Path.Combine(absolute, LogFolder, "%A_%a.log")}");
        text.AppendLine("#SBATCH --open-mode=append");
        text.AppendLine("#SBATCH --requeue");
        text.AppendLine("#SBATCH --ntasks=1");
        text.AppendLine(c, $"#SBATCH --cpus-per-task={resources.CpusPerTask}");
        text.AppendLine(c, $"#SBATCH --mem={resources.Memory}");
        text.AppendLine(c, $"#SBATCH --time={resources.Time}");
        if (resources.Partition is not null)
        {
            text.AppendLine(c, $"#SBATCH --partition={resources.Partition}");
        }

        foreach (string extra in resources.Extra)
        {
            text.AppendLine(c, $"#SBATCH {extra}");
        }

        text.AppendLine("set -eu");
        text.AppendLine(c, $"exec {string.Join(' ', plan.Program.Select(CommandLine.Quote))} sweep run-cell --run-dir {CommandLine.Quote(absolute)} --cell \"$SLURM_ARRAY_TASK_ID\"");
        return text.ToString();
    }

    /// <summary>
    /// Writes the script for <paramref name="cells"/>, submits it and records the job; returns the job id.
    /// </summary>
    /// <exception cref="SlurmException">sbatch is not on PATH, or refused the job (the controller is down, a bad resource): nothing was submitted.</exception>
    public static string Submit(string folder, SweepPlan plan, IReadOnlyList<int> cells, SlurmResources resources)
    {
        Directory.CreateDirectory(Path.Combine(folder, LogFolder));
        string script = Path.Combine(folder, ScriptName);
        SlurmClient.Require("sbatch");
        OutputFile.WriteAllText(script, Script(folder, plan, cells, resources));
        (int code, string output, string error) = SlurmClient.Run("sbatch", "--parsable", Path.GetFullPath(script));
        string job = output.Trim().Split(';')[0];
        if (code != 0 || job.Length == 0 || !job.All(char.IsAsciiDigit))
        {
            throw new SlurmException($"sbatch failed (exit {code}): {SlurmClient.FirstLine(error.Length > 0 ? error : output)}; nothing was submitted (run the same command again when Slurm answers)");
        }

        var jobs = new List<SubmittedArray>(Jobs(folder)) { new(job, cells, DateTime.UtcNow) };
        OutputFile.WriteAllText(Path.Combine(folder, JobsName), JsonSerializer.Serialize(jobs, Settings<TrainConfig>.Json));
        return job;
    }

    /// <summary>The arrays submitted for the sweep in <paramref name="folder"/>, oldest first (none when it was never submitted).</summary>
    public static IReadOnlyList<SubmittedArray> Jobs(string folder)
    {
        string path = Path.Combine(folder, JobsName);
        if (!File.Exists(path))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<SubmittedArray>>(InputFile.ReadAllText(path, 16 << 20, "Slurm job list"), Settings<TrainConfig>.Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new UsageException($"Slurm job list {path} is not valid: {JsonErrors.Describe(e)}", e);
        }
    }

    /// <summary>
    /// Waits until array <paramref name="job"/> has left Slurm's queue, polling squeue every <paramref name="poll"/>
    /// (sacct needs accounting, which a cluster may not have; sbatch --wait polls too slowly for short tasks).
    /// </summary>
    public static void Wait(string job, TimeSpan poll, CancellationToken stop)
    {
        while (SlurmClient.QueuedTasks(job).Count > 0)
        {
            stop.WaitHandle.WaitOne(poll);
            stop.ThrowIfCancellationRequested();
        }
    }
}
