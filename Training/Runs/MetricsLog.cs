using System.Globalization;
using GridTime.Training.A3C;

namespace GridTime.Training.Runs;

/// <summary>
/// Writes one row per logging interval to metrics.csv and the same scalars, under the same names, to
/// TensorBoard event files in tb/. Names are namespaced as in CleanRL: charts/… for what the agent
/// achieves, losses/… for the optimisation.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>
    /// Every metric, once: its name and how its value is computed from an interval's <see cref="MetricInputs"/>,
    /// in column order after frames and wall_seconds. metrics.csv and TensorBoard are both written from this list.
    /// </summary>
    public static readonly IReadOnlyList<Metric> Metrics =
    [
        new("charts/episodes", i => i.Totals.Episodes),
        new("charts/mean_reward", i => i.Totals.MeanReward),
        new("charts/fraction_of_best", i => i.Totals.FractionOfBest),
        new("charts/exact_arrival_rate", i => i.Totals.ExactArrivalRate),
        new("charts/mean_episode_length", i => i.Totals.MeanLength),
        new("charts/frames_per_second", i => i.FramesPerSecond),
        new("charts/resident_memory_mb", i => i.ResidentMegabytes),
        new("losses/policy_loss", i => i.Totals.PerUpdate(i.Totals.PolicyLoss)),
        new("losses/value_loss", i => i.Totals.PerUpdate(i.Totals.ValueLoss)),
        new("losses/entropy", i => i.Totals.PerUpdate(i.Totals.Entropy)),
        new("losses/grad_norm", i => i.Totals.PerUpdate(i.Totals.GradientNorm)),
        new("losses/skipped_updates", i => i.Totals.SkippedUpdates),
        new("losses/time_left", i => i.Totals.MeanTimeLeftLoss),
        new("losses/nau_sparsity", i => i.Totals.MeanNauSparsity),
        new("eval/h90", i => Horizon(i.Monitor, m => m.H90)),
        new("eval/hexact", i => Horizon(i.Monitor, m => m.HExact)),
    ];

    /// <summary>
    /// The value of a horizon that is not reached (<see cref="MonitorHorizons"/>): written "none" to metrics.csv and no
    /// point to TensorBoard, never a number (a horizon of "T" it does not have).
    /// </summary>
    public const double NoHorizon = double.NegativeInfinity;

    // NaN on a row without a monitoring evaluation, NoHorizon when it found none.
    private static double Horizon(MonitorHorizons? monitor, Func<MonitorHorizons, int?> horizon) =>
        monitor is null ? double.NaN : horizon(monitor) ?? NoHorizon;

    /// <summary>The metric names (<see cref="Metrics"/>), in column order after frames and wall_seconds.</summary>
    public static readonly string[] Names = [.. Metrics.Select(m => m.Name)];

    private readonly StreamWriter _csv;
    private readonly TensorBoardFile _tensorBoard;

    /// <summary>Opens metrics.csv for appending (writing the header if new) and a new TensorBoard event file.</summary>
    public MetricsLog(string csvPath, string tensorBoardFolder)
    {
        bool exists = File.Exists(csvPath) && new FileInfo(csvPath).Length > 0;
        _csv = new StreamWriter(csvPath, append: true) { NewLine = "\n" };
        if (!exists)
        {
            _csv.WriteLine(Header);
            _csv.Flush();
        }

        _tensorBoard = new TensorBoardFile(tensorBoardFolder);
    }

    /// <summary>The header line of metrics.csv.</summary>
    public static string Header => string.Join(',', ["frames", "wall_seconds", .. Names]);

    /// <summary>
    /// Makes metrics.csv fit a run resumed at <paramref name="resumeFrames"/>: a torn last line (the process
    /// died mid-write) is cut, and rows logged after that checkpoint are dropped, because that stretch of
    /// training is about to be done again and would otherwise appear twice. A file with another header
    /// (an older GridTime) is kept as metrics.csv.previous and a new one started. Every earlier row stays.
    /// Returns one line per change made.
    /// </summary>
    public static IReadOnlyList<string> Repair(string csvPath, long resumeFrames)
    {
        // Length of what a link points at: a device (or anything but a regular file with rows) has nothing to repair.
        if (!File.Exists(csvPath) || (File.ResolveLinkTarget(csvPath, returnFinalTarget: true) as FileInfo ?? new FileInfo(csvPath)).Length == 0)
        {
            return [];
        }

        string text = File.ReadAllText(csvPath);
        var changes = new List<string>();
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }
        else
        {
            changes.Add($"{csvPath}: cut the torn last line \"{lines[^1]}\" (the previous process stopped while writing it)");
            lines.RemoveAt(lines.Count - 1);
        }

        if (lines.Count > 0 && lines[0] != Header)
        {
            File.Move(csvPath, csvPath + ".previous", overwrite: true);
            return [.. changes, $"{csvPath} has other columns (an older GridTime): kept as {csvPath}.previous, starting a new one"];
        }

        int kept = lines.Count > 0 ? 1 + lines.Skip(1).TakeWhile(line => RowFrames(line) is long f && f <= resumeFrames).Count() : 0;
        if (kept < lines.Count)
        {
            changes.Add($"{csvPath}: dropped {lines.Count - kept} row{(lines.Count - kept == 1 ? "" : "s")} logged after {(resumeFrames == 0 ? "frame 0" : $"the checkpoint at {resumeFrames:N0} frames")} (that training is redone)");
        }

        if (changes.Count > 0)
        {
            Files.OutputFile.WriteAllText(csvPath, string.Concat(lines.Take(kept).Select(line => line + "\n")));
        }

        return changes;
    }

    private static long? RowFrames(string line) =>
        long.TryParse(line.AsSpan(0, Math.Max(0, line.IndexOf(','))), NumberStyles.None, CultureInfo.InvariantCulture, out long frames) ? frames : null;

    /// <summary>
    /// Writes one interval's row: <paramref name="frames"/> (all workers together), <paramref name="wallSeconds"/>
    /// of training so far, and every metric of <see cref="Metrics"/> computed from <paramref name="totals"/>,
    /// <paramref name="framesPerSecond"/>, the resident memory now and <paramref name="monitor"/>, the horizons of a
    /// monitoring evaluation at this row (null: none ran).
    /// </summary>
    public void Write(long frames, double wallSeconds, IntervalTotals totals, double framesPerSecond, MonitorHorizons? monitor = null)
    {
        var inputs = new MetricInputs(totals, framesPerSecond, ResidentMegabytes(), monitor);
        double[] values = [.. Metrics.Select(m => m.Value(inputs))];
        var fields = new List<string> { frames.ToString(CultureInfo.InvariantCulture), wallSeconds.ToString("F1", CultureInfo.InvariantCulture) };
        fields.AddRange(values.Select(v => v == NoHorizon ? "none" : v.ToString("G6", CultureInfo.InvariantCulture)));
        _csv.WriteLine(string.Join(',', fields));
        _csv.Flush();
        _tensorBoard.Scalars(frames, TensorBoardFile.UnixSeconds(DateTimeOffset.UtcNow), Names.Zip(values));
    }

    /// <summary>
    /// Writes the session's settings to TensorBoard's text tab at <paramref name="frames"/> (where the session
    /// starts): <paramref name="configJson"/>, the run's config.json, shown as a code block.
    /// </summary>
    public void WriteSettings(long frames, string configJson)
    {
        string block = string.Join('\n', configJson.Split('\n').Select(line => "    " + line.TrimEnd('\r')));
        _tensorBoard.Text("settings", $"config.json of the session from {frames:N0} frames:\n\n{block}", frames, TensorBoardFile.UnixSeconds(DateTimeOffset.UtcNow));
    }

    /// <summary>
    /// Makes tb/ hold exactly the rows of metrics.csv, one point per metric and step, by writing them into a new
    /// event file in a folder beside it and swapping the folders. Done on every resume after
    /// <see cref="Repair"/>: the previous session may have logged steps to TensorBoard that metrics.csv dropped
    /// because training redoes them, and TensorBoard would otherwise show two values at those steps.
    /// </summary>
    public static void RebuildTensorBoard(string csvPath, string tensorBoardFolder)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(tensorBoardFolder))!;
        string name = Path.GetFileName(tensorBoardFolder);
        foreach (string leftover in Directory.GetDirectories(parent, name + ".rebuild-*").Concat(Directory.GetDirectories(parent, name + ".old-*")))
        {
            Directory.Delete(leftover, recursive: true);
        }

        string rebuilt = $"{tensorBoardFolder}.rebuild-{System.Environment.ProcessId}";
        try
        {
            Rebuild(csvPath, tensorBoardFolder, rebuilt);
        }
        catch
        {
            // Not left behind for TensorBoard to show as a run of its own.
            if (Directory.Exists(rebuilt))
            {
                Directory.Delete(rebuilt, recursive: true);
            }

            throw;
        }

        if (Directory.Exists(tensorBoardFolder))
        {
            string old = $"{tensorBoardFolder}.old-{System.Environment.ProcessId}";
            Directory.Move(tensorBoardFolder, old);
            Directory.Move(rebuilt, tensorBoardFolder);
            Directory.Delete(old, recursive: true);
        }
        else
        {
            Directory.Move(rebuilt, tensorBoardFolder);
        }
    }

    // Writes the rows of metrics.csv into a new event file in `rebuilt`, each at the wall time its step was first
    // written with (read from tb/), or, for rows tb/ does not hold, placed back from now by the training time between them.
    private static void Rebuild(string csvPath, string tensorBoardFolder, string rebuilt)
    {
        Directory.CreateDirectory(rebuilt);
        IReadOnlyDictionary<long, double> original = TensorBoardFile.ScalarWallTimes(tensorBoardFolder);
        // Only a regular file has rows (metrics.csv may be a link to a device, as in the write-failure tests).
        bool hasRows = Files.FileStatus.Of(csvPath) is { Kind: Files.FileKind.Regular };
        var rows = new List<(long Frames, double Seconds, double[] Values)>();
        foreach (string line in hasRows ? File.ReadLines(csvPath).Skip(1) : [])
        {
            string[] fields = line.Split(',');
            if (fields.Length != Names.Length + 2 || RowFrames(line) is not long frames)
            {
                continue;
            }

            double[] numbers = [.. fields.Skip(1).Select(f => double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN)];
            rows.Add((frames, numbers[0], numbers[1..]));
        }

        // A row tb/ does not hold (its event file lost, say): metrics.csv keeps training seconds, not dates, so it
        // is placed so that the last row is now and the time between rows is the training time between them.
        double now = TensorBoardFile.UnixSeconds(DateTimeOffset.UtcNow);
        double last = rows.Count > 0 && double.IsFinite(rows[^1].Seconds) ? rows[^1].Seconds : 0;
        using var writer = new TensorBoardFile(rebuilt);
        foreach ((long frames, double seconds, double[] values) in rows)
        {
            double wallTime = original.TryGetValue(Math.Min(frames, int.MaxValue), out double written) ? written
                : double.IsFinite(seconds) ? now - (last - seconds) : now;
            writer.Scalars(frames, wallTime, Names.Zip(values));
        }
    }

    /// <summary>
    /// The process's resident memory now, in MiB (/proc's VmRSS: managed heap, libtorch's native tensors and
    /// the native libraries' pages), logged so a leak shows as a rising column.
    /// </summary>
    private static double ResidentMegabytes()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64 / (1024.0 * 1024.0);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _csv.Dispose();
        _tensorBoard.Dispose();
    }
}

/// <summary>One metric of metrics.csv and TensorBoard: its name (CleanRL style, charts/… or losses/…) and its value.</summary>
/// <param name="Name">Column name in metrics.csv and scalar tag in TensorBoard.</param>
/// <param name="Value">Its value for one logging interval (NaN when undefined, e.g. a mean over no episodes: empty in TensorBoard).</param>
public sealed record Metric(string Name, Func<MetricInputs, double> Value);

/// <summary>What the metrics of one logging interval are computed from.</summary>
/// <param name="Totals">The interval's totals from all workers.</param>
/// <param name="FramesPerSecond">Frames per second of wall time over the interval.</param>
/// <param name="ResidentMegabytes">The process's resident memory at the end of the interval, in MiB.</param>
/// <param name="Monitor">The horizons of the monitoring evaluation at the end of the interval, or null when none ran.</param>
public readonly record struct MetricInputs(IntervalTotals Totals, double FramesPerSecond, double ResidentMegabytes, MonitorHorizons? Monitor = null);

/// <summary>What a monitoring evaluation during training found (the trainer's <c>TrainingMonitor</c>).</summary>
/// <param name="H90">H90 from the run's smallest training T, or null when not reached.</param>
/// <param name="HExact">Hexact from the same T, or null when not reached.</param>
public sealed record MonitorHorizons(int? H90, int? HExact);
