using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using GridTime.Training.Evaluation;

namespace GridTime.Training.Sweeps;

/// <summary>
/// Runs a sweep's cells on this machine: one after another in this process (the default; each cell's output
/// goes both to the terminal and to logs/CELL.log), or, with --parallel N, up to N at once, each as its own
/// <c>gridtime sweep run-cell</c> process writing to logs/CELL.log. A line per cell start and finish says which
/// cell of how many, and when the sweep should end (ETA from the cells finished so far); failed cells are
/// reported by the caller, one line each, once all have run.
/// </summary>
public static partial class LocalBackend
{
    /// <summary>The log of <paramref name="cell"/> run on this machine.</summary>
    public static string LogOf(string folder, SweepCell cell) => Path.Combine(Path.GetFullPath(folder), SlurmBackend.LogFolder, cell.Name + ".log");

    /// <summary>
    /// Runs <paramref name="cells"/> of <paramref name="plan"/> in <paramref name="folder"/>, <paramref name="parallel"/>
    /// at a time; returns false when <paramref name="stop"/> interrupted it (finished cells stay finished, the rest resume
    /// on the next run). A failed cell does not stop the others.
    /// </summary>
    public static bool Run(string folder, SweepPlan plan, IReadOnlyList<SweepCell> cells, int parallel, CancellationToken stop)
    {
        Directory.CreateDirectory(Path.Combine(folder, SlurmBackend.LogFolder));
        var progress = new SweepProgress(cells.Count, parallel);
        return parallel <= 1 ? RunHere(folder, plan, cells, progress, stop) : RunProcesses(folder, plan, cells, parallel, progress, stop);
    }

    private static bool RunHere(string folder, SweepPlan plan, IReadOnlyList<SweepCell> cells, SweepProgress progress, CancellationToken stop)
    {
        foreach (SweepCell cell in cells)
        {
            string log = LogOf(folder, cell);
            Console.WriteLine(progress.Started(cell));
            TextWriter output = Console.Out, error = Console.Error;
            ComparisonCell? result = null;
            string? failure = null;
            using (var file = new StreamWriter(log, append: true, new UTF8Encoding(false)) { AutoFlush = true })
            {
                Console.SetOut(TextWriter.Synchronized(new TeeWriter(output, file)));
                Console.SetError(TextWriter.Synchronized(new TeeWriter(error, file)));
                try
                {
                    result = CellRunner.Run(folder, plan, cell, log, null, stop);
                    if (result is null)
                    {
                        return false;
                    }
                }
                catch (Exception e) when (e is UsageException or InvalidDataException or TrainingFailedException or IOException or UnauthorizedAccessException)
                {
                    // The log ends with why the cell failed; the terminal gets one line per failed cell at the end of the sweep.
                    failure = e.Message.Split('\n')[0];
                    file.WriteLine($"gridtime: {failure}");
                }
                finally
                {
                    Console.SetOut(output);
                    Console.SetError(error);
                }
            }

            Console.WriteLine(progress.Finished(cell, failure is null ? "done" : "failed"));
        }

        return true;
    }

    private static bool RunProcesses(string folder, SweepPlan plan, IReadOnlyList<SweepCell> cells, int parallel, SweepProgress progress, CancellationToken stop)
    {
        var waiting = new Queue<SweepCell>(cells);
        var running = new List<(SweepCell Cell, Process Process)>();
        try
        {
            while (waiting.Count > 0 || running.Count > 0)
            {
                while (running.Count < parallel && waiting.Count > 0 && !stop.IsCancellationRequested)
                {
                    SweepCell cell = waiting.Dequeue();
                    running.Add((cell, Start(folder, plan, cell)));
                    Console.WriteLine(progress.Started(cell));
                }

                if (stop.IsCancellationRequested)
                {
                    // Each cell process stops at its next safe point (train writes a checkpoint) and records itself as interrupted.
                    running.ForEach(r => Terminate(r.Process.Id));
                    running.ForEach(r => r.Process.WaitForExit());
                    return false;
                }

                stop.WaitHandle.WaitOne(200);
                foreach ((SweepCell cell, Process process) in running.Where(r => r.Process.HasExited).ToList())
                {
                    running.Remove((cell, process));
                    CellRecord? record = CellRecord.Read(SweepPlan.CellFolder(folder, cell));
                    bool done = process.ExitCode == 0 && record is { State: CellState.Done };
                    Console.WriteLine(progress.Finished(cell, done ? "done" : "failed"));
                    process.Dispose();
                }
            }

            return true;
        }
        finally
        {
            foreach ((_, Process process) in running)
            {
                process.Dispose();
            }
        }
    }

    // gridtime sweep run-cell in its own process, its output appended to the cell's log by the shell.
    private static Process Start(string folder, SweepPlan plan, SweepCell cell)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (string argument in new[] { "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh", LogOf(folder, cell) }
            .Concat(SweepPlan.ProgramCommand())
            .Concat(["sweep", "run-cell", "--run-dir", Path.GetFullPath(folder), "--cell", cell.Index.ToString(CultureInfo.InvariantCulture), "--log", LogOf(folder, cell)]))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new IOException($"could not start a process for cell {cell.Name}");
    }

    private static void Terminate(int processId) => _ = Kill(processId, 15);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int processId, int signal);

    // Writes everything to both writers: the terminal (or whoever captures it) and the cell's log.
    private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
    {
        public override Encoding Encoding => first.Encoding;

        public override void Write(char value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void Write(string? value)
        {
            first.Write(value);
            second.Write(value);
        }

        public override void WriteLine(string? value)
        {
            first.WriteLine(value);
            second.WriteLine(value);
        }

        public override void Flush()
        {
            first.Flush();
            second.Flush();
        }
    }
}
