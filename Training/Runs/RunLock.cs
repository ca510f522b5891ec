using System.Globalization;

namespace GridTime.Training.Runs;

/// <summary>
/// One writer of a kind per run folder: a lock file (<c>train.lock</c> for training, <c>eval.lock</c> for an
/// evaluation, which writes the run's eval.* files) holding the process id, the process's start time
/// (so a recycled process id is not mistaken for the owner) and the host. Creating it is atomic
/// (<see cref="FileMode.CreateNew"/>). A lock whose process is gone (a crash, <c>kill -9</c>, a power
/// cut) or whose content is unreadable (killed while writing it) is stale and taken over.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>Name of the training lock file inside the run folder (the default).</summary>
    public const string FileName = "train.lock";

    /// <summary>Name of the evaluation lock file inside the run folder: one eval (or reproduce's evaluation of a cell) per run.</summary>
    public const string EvalFileName = "eval.lock";

    /// <summary>Name of the lock file a <c>sweep</c> (or <c>reproduce</c>) holds in its sweep folder while it runs or submits cells.</summary>
    public const string SweepFileName = "sweep.lock";

    /// <summary>Name of the lock file the process running one cell of a sweep holds in the cell's run folder.</summary>
    public const string CellFileName = "cell.lock";

    private readonly string _path;
    private bool _released;

    private RunLock(string path, string? takenOver)
    {
        _path = path;
        TakenOver = takenOver;
    }

    /// <summary>When a stale lock was taken over: who held it; otherwise null.</summary>
    public string? TakenOver { get; }

    /// <summary>
    /// Takes the lock <paramref name="fileName"/> (<see cref="FileName"/> for training, <see cref="EvalFileName"/>
    /// for evaluation) of <paramref name="runFolder"/> (creating the folder if needed). A live owner gives a
    /// <see cref="UsageException"/> naming it; a stale lock is replaced, with a warning on <paramref name="warnings"/>
    /// (standard error by default).
    /// </summary>
    public static RunLock Acquire(string runFolder, string fileName = FileName, TextWriter? warnings = null)
    {
        Directory.CreateDirectory(runFolder);
        string path = Path.Combine(runFolder, fileName);
        string? takenOver = null;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(Describe(System.Environment.ProcessId, ProcessStartTicks(System.Environment.ProcessId), System.Environment.MachineName));
                }

                if (takenOver is not null)
                {
                    (warnings ?? Console.Error).WriteLine($"gridtime: warning: took over {fileName} of {Path.GetFileName(Path.GetFullPath(runFolder).TrimEnd('/'))} from {takenOver}, which is no longer running");
                }

                return new RunLock(path, takenOver);
            }
            catch (IOException) when (File.Exists(path))
            {
                Owner owner = ReadOwner(path);
                bool beingWritten = owner.ProcessId == 0 && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < TimeSpan.FromSeconds(5);
                if (beingWritten)
                {
                    // Another process has just created it and is writing its id: give it a moment.
                    Thread.Sleep(200);
                    continue;
                }

                if (owner.IsAlive)
                {
                    throw new UsageException(fileName switch
                    {
                        FileName => $"run folder {runFolder} is in use by {owner} (one training process per run; stop it first)",
                        SweepFileName => $"sweep folder {runFolder} is in use by {owner} (one sweep or reproduce per folder at a time)",
                        CellFileName => $"sweep cell {runFolder} is being run by {owner} (one process per cell)",
                        _ => $"run folder {runFolder} is being evaluated by {owner} ({fileName}; one evaluation per run at a time)",
                    });
                }

                takenOver = owner.ToString();
                File.Delete(path);
            }
        }

        throw new UsageException($"could not take the lock {path}: other processes keep taking it");
    }

    /// <summary>Removes the lock (only if it is still this process's).</summary>
    public void Dispose()
    {
        if (_released)
        {
            return;
        }

        _released = true;
        try
        {
            if (ReadOwner(_path).ProcessId == System.Environment.ProcessId)
            {
                File.Delete(_path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A lock we cannot remove is stale once we exit; the next run takes it over.
        }
    }

    /// <summary>This process as a lock records it: its id, its start time in clock ticks since boot, and the host.</summary>
    public static (int ProcessId, long StartTicks, string Host) Self =>
        (System.Environment.ProcessId, ProcessStartTicks(System.Environment.ProcessId), System.Environment.MachineName);

    /// <summary>
    /// Whether the process recorded as (<paramref name="processId"/>, <paramref name="startTicks"/>, <paramref name="host"/>)
    /// may still run: always true for another host (it cannot be checked from here), otherwise whether that very process lives.
    /// </summary>
    public static bool IsAlive(int processId, long startTicks, string host) => new Owner(processId, startTicks, host).IsAlive;

    private static string Describe(int processId, long startTicks, string host) =>
        string.Create(CultureInfo.InvariantCulture, $"pid={processId}\nstart={startTicks}\nhost={host}\n");

    private static Owner ReadOwner(string path)
    {
        try
        {
            var fields = File.ReadAllLines(path)
                .Select(line => line.Split('=', 2))
                .Where(parts => parts.Length == 2)
                .GroupBy(parts => parts[0])
                .ToDictionary(g => g.Key, g => g.First()[1]);
            if (fields.TryGetValue("pid", out string? pid) && int.TryParse(pid, CultureInfo.InvariantCulture, out int processId)
                && fields.TryGetValue("start", out string? start) && long.TryParse(start, CultureInfo.InvariantCulture, out long startTicks))
            {
                return new Owner(processId, startTicks, fields.GetValueOrDefault("host") ?? "");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable: treated as stale below.
        }

        return new Owner(0, 0, "");
    }

    /// <summary>
    /// The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or 0 where
    /// /proc is missing. Together with the id it names one process for the machine's uptime.
    /// </summary>
    private static long ProcessStartTicks(int processId)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{processId}/stat");

            // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return 0;
        }
    }

    private static bool Exists(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private readonly record struct Owner(int ProcessId, long StartTicks, string Host)
    {
        // Another host's process cannot be checked from here: it counts as alive (shared file systems).
        public bool IsAlive => ProcessId > 0 && (Host != System.Environment.MachineName || (StartTicks != 0 ? ProcessStartTicks(ProcessId) == StartTicks : Exists(ProcessId)));

        public override string ToString() => $"process {ProcessId} on {Host}";
    }
}
