using GridTime.Agents;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Training.Sweeps;

/// <summary>
/// Collects a sweep: merges its finished cells into comparison.csv, comparison.png, comparison-reward.png,
/// comparison-outcomes.png and summary.md in the sweep folder (one table per setting combination), written as a set.
/// </summary>
public static class SweepResults
{
    /// <summary>The files a sweep's collection writes into its folder.</summary>
    public static readonly string[] OutputNames = ["comparison.csv", "comparison.png", "comparison-reward.png", "comparison-outcomes.png", "summary.md"];

    /// <summary>"wrote FOLDER/comparison.csv, comparison.png, ...": the line that names what a collection wrote.</summary>
    public static string WroteLine(string folder) => $"wrote {folder}/{string.Join(", ", OutputNames)}";

    /// <summary>Refuses (<see cref="UsageException"/>) a sweep folder where a collection could not write its files.</summary>
    public static void CheckOutputs(string folder)
    {
        foreach (string name in OutputNames)
        {
            OutputFile.Check(Path.Combine(folder, name), "comparison output", OutputFormats.ForName(name));
        }
    }

    /// <summary>
    /// The result of a done cell: its eval.csv, which must still carry the provenance the cell's record names
    /// (an eval run by hand since then is refused, naming the cell).
    /// </summary>
    public static ComparisonCell Read(string folder, CellStatus status)
    {
        RunFolder run = SweepPlan.CellFolder(folder, status.Cell);
        EvalProvenance provenance = status.Record!.Provenance!;
        string path = Path.Combine(run.Path, RunFolder.EvalCsvName);
        string csv = InputFile.ReadAllText(path, 64 << 20, "evaluation table");
        if (!HasProvenance(csv, provenance))
        {
            throw new UsageException($"{path} is not the evaluation the sweep made of {status.Cell.Name} ({provenance.Checkpoint} sha256 {provenance.Sha256}): rerun the sweep to evaluate it again");
        }

        EvaluationTable table = EvaluationTable.FromCsv(csv, path);
        if (provenance.Mismatch(table) is { } mismatch)
        {
            throw new UsageException($"{path} is not the whole evaluation the sweep made of {status.Cell.Name}: {mismatch}; rerun the sweep to evaluate it again");
        }

        return new ComparisonCell(status.Cell.Config.Agent, status.Cell.Config.Seed, provenance.Frames, status.Record.TrainingSeconds, table, provenance, status.Cell.SettingsLabel);
    }

    /// <summary>
    /// Whether <paramref name="run"/>'s eval.csv exists, every row carries <paramref name="provenance"/> and it holds
    /// every row that provenance claims (it is the whole evaluation a sweep's record names).
    /// </summary>
    public static bool IsSweepsEvaluation(RunFolder run, EvalProvenance provenance)
    {
        string path = Path.Combine(run.Path, RunFolder.EvalCsvName);
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            string csv = InputFile.ReadAllText(path, 64 << 20, "evaluation table");
            return HasProvenance(csv, provenance) && provenance.Mismatch(EvaluationTable.FromCsv(csv, path)) is null;
        }
        catch (Exception e) when (e is UsageException or InvalidDataException)
        {
            return false; // unreadable: not the sweep's evaluation either
        }
    }

    // What an eval.csv that carries the sweep's provenance lacks of the rows it claims, or null (also when it is not the
    // sweep's evaluation at all: an eval by hand, which status reports).
    private static string? CutShort(string path, EvalProvenance provenance)
    {
        try
        {
            string csv = InputFile.ReadAllText(path, 64 << 20, "evaluation table");
            return HasProvenance(csv, provenance) ? provenance.Mismatch(EvaluationTable.FromCsv(csv, path)) : null;
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
    }

    // Every data row ends with the provenance columns of the evaluation.
    private static bool HasProvenance(string csv, EvalProvenance provenance)
    {
        string expected = "," + string.Join(',', provenance.CsvValues);
        string[] rows = [.. csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)];
        return rows.Length > 0 && rows.All(line => line.TrimEnd('\r').EndsWith(expected, StringComparison.Ordinal));
    }

    /// <summary>
    /// Writes the comparison of the done cells among <paramref name="statuses"/> and returns summary.md's text;
    /// cells not done are named in the summary. A <see cref="UsageException"/> when no cell is done.
    /// </summary>
    public static string Collect(string folder, SweepPlan plan, IReadOnlyList<CellStatus> statuses, CancellationToken stop)
    {
        CheckOutputs(folder);

        // A cell whose eval.csv still names the sweep's evaluation but lacks rows it claims (cut short, or edited) is
        // refused before anything is written: a summary of part of it would look whole.
        foreach (CellStatus status in statuses.Where(s => s.Record?.Provenance is not null))
        {
            string path = Path.Combine(SweepPlan.CellFolder(folder, status.Cell).Path, RunFolder.EvalCsvName);
            if (File.Exists(path) && CutShort(path, status.Record!.Provenance!) is { } mismatch)
            {
                throw new UsageException($"{path} is not the whole evaluation the sweep made of {status.Cell.Name}: {mismatch}; rerun the sweep to evaluate it again");
            }
        }

        var done = statuses.Where(s => s.Progress == CellProgress.Done).ToList();
        if (done.Count == 0)
        {
            throw new UsageException($"{folder}: no cell of the sweep is done yet; nothing to collect (see gridtime sweep status --run-dir {CommandLine.Quote(folder)})");
        }

        ComparisonCell[] cells = [.. done.Select(s => Read(folder, s))];

        // Every cell evaluated alike (the plan's T values, episodes, seed and actions), or the comparison means nothing.
        EvalProvenance reference = cells[0].Provenance!;
        if (cells.FirstOrDefault(c => c.Provenance is { } p && (!p.Instructions.SequenceEqual(reference.Instructions) || p.Episodes != reference.Episodes
            || p.Seed != reference.Seed || p.Greedy != reference.Greedy)) is { } other)
        {
            throw new UsageException($"{other.Provenance!.Run} was evaluated otherwise than {reference.Run} ({other.Provenance.HowPlayed} against {reference.HowPlayed}): rerun the sweep to evaluate both alike");
        }
        TrainConfig first = plan.Cells[0].Config;
        var comparison = new Comparison(cells, first.MinT, first.MaxT);
        (byte[] fractionPlot, byte[] rewardPlot, byte[] outcomesPlot) = comparison.EncodePlots();
        HashSet<string> perCell = ["agent", "seed", .. plan.Swept.Select(s => s.Name)];
        // Every cell's settings apart from GridTime's defaults; one that only some agents have (TrainConfig.ForAgent) names them.
        var given = plan.Cells.SelectMany(cell => ResumePlan.Differences(new TrainConfig(), cell.Config).Where(d => !perCell.Contains(d.Setting))
            .Select(d => (Text: $"{d.Setting} {d.After}", cell.Config.Agent))).ToList();
        CoreKind[] agents = [.. plan.Cells.Select(cell => cell.Config.Agent).Distinct()];
        string settings = string.Join(", ", given.GroupBy(g => g.Text).Select(g =>
        {
            CoreKind[] having = [.. g.Select(x => x.Agent).Distinct()];
            return having.Length == agents.Length ? g.Key : $"{g.Key} ({string.Join(", ", having.Select(a => a.Name()))} only)";
        }));
        string summary = comparison.ToMarkdown("GridTime: time tracking in the grid world", plan.Command, settings);
        var missing = statuses.Where(s => s.Progress != CellProgress.Done).ToList();
        if (missing.Count > 0)
        {
            summary += $"\nNot collected ({missing.Count} of {SweepCell.Count(statuses.Count)} not done): {string.Join(", ", missing.Select(s => $"{s.Cell.Name} ({s.Progress.ToString().ToLowerInvariant()})"))}.\n";
        }

        // Written as a set: all five complete under temporary names, then renamed (previous set intact until then).
        using (var outputs = new OutputSet())
        {
            outputs.AddText(Path.Combine(folder, OutputNames[0]), comparison.ToCsv());
            outputs.Add(Path.Combine(folder, OutputNames[1]), fractionPlot);
            outputs.Add(Path.Combine(folder, OutputNames[2]), rewardPlot);
            outputs.Add(Path.Combine(folder, OutputNames[3]), outcomesPlot);
            outputs.AddText(Path.Combine(folder, OutputNames[4]), summary);
            outputs.Commit(stop);
        }

        return summary;
    }
}
