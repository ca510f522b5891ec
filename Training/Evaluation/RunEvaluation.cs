using System.Globalization;
using GridTime.Agents;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Plots;
using GridTime.Training.Files;
using GridTime.Training.Progress;
using GridTime.Training.Runs;

namespace GridTime.Training.Evaluation;

/// <summary>
/// Evaluating a run, as eval, probe, sweeps and the API do it: choose the checkpoint that represents it (or take the one
/// given, which must belong to it), play it without learning for every T of a range or list on the same start positions,
/// and write eval.csv, eval.png, eval-outcomes.png and eval-episodes.msgpack into the run folder (or a folder of their own)
/// as a set, each carrying the provenance of what was evaluated (<see cref="EvalProvenance"/>). The outputs of a run are
/// written all to temporary files first, then renamed, so an interruption or a failed write leaves the previous set intact.
/// </summary>
public static class RunEvaluation
{
    /// <summary>The title of eval-outcomes.png.</summary>
    public const string OutcomesTitle = "How episodes end against the instruction T";

    /// <summary>
    /// The folder <c>--out</c> names for one run's evaluation, checked before any work (<see cref="UsageException"/>): not a
    /// file, not another run's folder (its eval.csv would name a run it does not hold), no output under a name that may not
    /// be written. The run folder itself means the default.
    /// </summary>
    public static string? SeparateOutputFolder(RunFolder run, string folder, string? checkpoint)
    {
        if (File.Exists(folder))
        {
            throw new UsageException($"--out {folder} is a file, not a folder");
        }

        if (Path.GetFullPath(folder).TrimEnd('/') == Path.GetFullPath(run.Path).TrimEnd('/'))
        {
            return null;
        }

        var other = new RunFolder(folder);
        if (File.Exists(other.ConfigFile) || Directory.Exists(other.CheckpointFolder))
        {
            throw new UsageException($"--out {folder} is the folder of another run: its own evaluation would be replaced by one of {run.Name}; choose a folder that holds no run");
        }

        // Not inside a run's checkpoints/, episodes/ or tb/ folder.
        RunLoading.RefuseRunsOwnFile(Path.Combine(folder, RunFolder.EvalCsvName), "--out");

        // A folder holding a combined plot of several runs (eval.png without eval.csv) is not one run's evaluation.
        if (File.Exists(Path.Combine(folder, RunFolder.EvalPlotName)) && !File.Exists(Path.Combine(folder, RunFolder.EvalCsvName)))
        {
            throw new UsageException($"--out {folder} holds a combined plot of several runs ({RunFolder.EvalPlotName} without {RunFolder.EvalCsvName}): one run's evaluation would replace it; choose another folder");
        }

        string[] inputs = checkpoint is null ? [run.LatestCheckpoint] : [checkpoint];
        foreach (string name in new[] { RunFolder.EvalCsvName, RunFolder.EvalPlotName, RunFolder.EvalOutcomesName, RunFolder.EvalEpisodesName })
        {
            OutputFile.Check(Path.Combine(folder, name), "evaluation output", OutputFormats.ForName(name), inputs);
        }

        // A folder holding another run's evaluation is not replaced by this run's (an earlier evaluation of this run is).
        // Read only after the check above: an eval.csv that is a FIFO or a device is refused there, never opened.
        if (EvaluatedRun(Path.Combine(folder, RunFolder.EvalCsvName)) is { } earlier && RunMembership.ReadConfig(run)?.Record?.Id is { } id && earlier.Id != id)
        {
            throw new UsageException($"--out {folder} holds the evaluation of another run ({earlier.Name}, id {earlier.Id}): choose another folder");
        }

        return folder.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : folder;
    }

    // The run (name, id) an existing eval.csv names in its first row, or null when there is none or it names none.
    private static (string Name, string Id)? EvaluatedRun(string csv)
    {
        if (!File.Exists(csv))
        {
            return null;
        }

        string[] lines = File.ReadLines(csv).Take(2).ToArray();
        if (lines.Length < 2)
        {
            return null;
        }

        string[] header = lines[0].Split(','), row = lines[1].Split(',');
        int name = Array.IndexOf(header, "run"), id = Array.IndexOf(header, "run_id");
        return name >= 0 && id >= 0 && row.Length == header.Length ? (row[name], row[id]) : null;
    }

    /// <summary>
    /// Refuses (<see cref="UsageException"/>) a run whose eval.csv, eval.png, eval-outcomes.png or eval-episodes.msgpack may not be
    /// written: a directory, symlink, device or FIFO under that name, or the checkpoint being evaluated.
    /// </summary>
    public static void CheckOutputs(RunFolder run, string? checkpoint = null)
    {
        string[] inputs = checkpoint is null ? [run.LatestCheckpoint] : [checkpoint];
        foreach (string name in new[] { RunFolder.EvalCsvName, RunFolder.EvalPlotName, RunFolder.EvalOutcomesName, RunFolder.EvalEpisodesName })
        {
            OutputFile.Check(Path.Combine(run.Path, name), "evaluation output", OutputFormats.ForName(name), inputs);
        }
    }

    /// <summary>
    /// The checkpoint that represents a run, read once (<see cref="CheckpointFile"/>): <paramref name="checkpoint"/>
    /// when given (exactly that file), the latest with SelectLast = 1, otherwise the best of the last K on
    /// training-range validation episodes (<see cref="CheckpointSelection"/>). Its warning, if any, is printed.
    /// </summary>
    public static CheckpointFile Choose(string runFolder, string? checkpoint, EvalSettings settings, CancellationToken stop)
    {
        // A given checkpoint's results go into the run folder under the run's name: one of another run is refused.
        CheckpointFile chosen = checkpoint is not null || settings.SelectLast <= 1
            ? RunLoading.Resolve(runFolder, checkpoint, "evaluate it with --run set to the run it belongs to")
            : Selected(runFolder, settings, stop) ?? RunLoading.Read(runFolder);

        if (chosen.Warning is not null)
        {
            Console.Error.WriteLine($"gridtime: warning: {chosen.Warning}");
        }

        return chosen;
    }

    /// <summary>
    /// The best of the last K checkpoints of a run on training-range validation episodes, or null when the run
    /// has no checkpoint (<see cref="RunLoading"/> then reports it).
    /// </summary>
    public static CheckpointFile? Selected(string runFolder, EvalSettings settings, CancellationToken stop = default)
    {
        var run = new RunFolder(runFolder);
        try
        {
            IReadOnlyList<CheckpointFile> candidates = CheckpointSelection.Candidates(run, settings.SelectLast, stop);
            if (candidates.Count == 0)
            {
                return null;
            }

            Console.WriteLine($"{run.Name}: scoring {candidates.Count} checkpoint{(candidates.Count == 1 ? "" : "s")} on training-range validation episodes");
            IReadOnlyList<CheckpointScore> ranked = CheckpointSelection.Rank(candidates, settings.Episodes, settings.Seed, stop);
            Console.WriteLine($"{run.Name}: {CheckpointSelection.Describe(ranked)}");
            return ranked[0].File;
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>
    /// One line with the horizons and the training-range figures. For chosen T values (<paramref name="range"/>
    /// false) the horizons are not defined (they need every T from <paramref name="minT"/> on) and are not given,
    /// and the training-range figures only when some chosen T lie in it.
    /// </summary>
    public static string Summary(EvaluationTable table, int minT, int maxT, bool range = true)
    {
        int first = table.Rows.Count == 0 ? minT : table.Rows.Min(r => r.Instruction);
        int last = table.Rows.Count == 0 ? minT : table.Rows.Max(r => r.Instruction);
        EvaluationRow? start = table.Rows.FirstOrDefault(r => r.Instruction == minT);

        // "none" means T = min-t itself already fails: say by how much.
        string H90 = table.H90(minT) is int h90 ? Show(h90)
            : string.Create(CultureInfo.InvariantCulture, $"none (T = {minT} earns {start?.FractionOfBest:0.00} of the best, below {EvaluationTable.RewardThreshold})");
        string HExact = table.HExact(minT) is int hExact ? Show(hExact)
            : string.Create(CultureInfo.InvariantCulture, $"none (T = {minT} has {start?.ExactRate:0%} exact, below {EvaluationTable.ExactThreshold:0%})");
        string horizons = !range
            ? "H90 and Hexact: not defined for chosen T values (--t-list), only for a range; see the per-T figures"
            : first > minT
                ? $"H90 and Hexact: not defined, the range starts at T = {first}, above the training range's smallest T {minT} (they count from it)"
                : start is null
                    ? $"H90 and Hexact: not defined, the range ends at T = {last}, below the training range's smallest T {minT} (they count from it)"
                    : $"H90 = {H90}, Hexact = {HExact}";
        var played = table.Rows.Where(r => r.Instruction >= minT && r.Instruction <= maxT).Select(r => r.Instruction).ToList();
        if (played.Count == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{horizons}; no {(range ? "evaluated" : "chosen")} T in the training range T {minT}..{maxT}");
        }

        // Name what was played: the whole training range, or the part of it this evaluation covered.
        string part = played.Count == maxT - minT + 1
            ? $"on the training range T {minT}..{maxT}"
            : range
                ? $"on T {played.Min()}..{played.Max()} of the training range T {minT}..{maxT}"
                : $"on the training range T {minT}..{maxT} (the chosen T in it)";
        string interval = table.ExactInterval(minT, maxT) is ({ } ci, long episodes)
            ? string.Create(CultureInfo.InvariantCulture, $" (95% CI {ci.Percent()}, Wilson, {episodes:N0} episodes)")
            : "";
        return string.Create(CultureInfo.InvariantCulture, $"{horizons}; {part}: {table.FractionOfBest(minT, maxT):P1} of best, exact arrivals {table.ExactRate(minT, maxT):P1}{interval}");
    }

    /// <summary>The rules of a world in one phrase, for naming how two runs' tasks differ.</summary>
    public static string Describe(GridTime.Environment.GridWorldOptions world) => string.Create(CultureInfo.InvariantCulture,
        $"{world.Size}x{world.Size}, T {world.MinInstruction}..{world.MaxInstruction}, m {world.MaxReward}, {(world.Rules == GridTime.Environment.EpisodeRules.Unclipped ? "unclipped" : "clipped")} reward, "
        + $"T shown {Config.Settings<Config.TrainConfig>.Format(world.InstructionShown)}, {Config.Settings<Config.TrainConfig>.Format(world.AgentStart)} start");

    /// <summary>What an evaluation of <paramref name="checkpoint"/> in <paramref name="run"/> with <paramref name="settings"/> records about itself.</summary>
    public static EvalProvenance Provenance(RunFolder run, CheckpointFile checkpoint, EvalSettings settings) =>
        EvalProvenance.Of(CheckpointProvenance.Of(run, checkpoint), settings);

    /// <summary>
    /// Evaluates the network built from <paramref name="checkpoint"/>'s bytes and writes eval.csv, eval.png,
    /// eval-outcomes.png and eval-episodes.msgpack into the run folder (or <paramref name="into"/>) as a set
    /// (<see cref="OutputSet"/>), each with the provenance.
    /// <paramref name="stop"/> is checked between T values, steps and before the files are renamed. Each T done is
    /// shown on <paramref name="progress"/> when given.
    /// </summary>
    public static (EvaluationTable Table, EvalProvenance Provenance) Evaluate(RunFolder run, CheckpointFile checkpoint, EvalSettings settings, CancellationToken stop, ProgressDisplay? progress = null, string? into = null)
    {
        string folder = into ?? run.Path;
        EvalProvenance provenance = Provenance(run, checkpoint, settings);
        GridTime.Environment.GridWorldOptions rules = checkpoint.Header.Config.World;
        settings.CheckSteps(rules);
        var records = new List<EpisodeRecord>();
        EvaluationTable table;
        EvaluationProgress? shown = progress is null ? null : new EvaluationProgress(progress, rules, settings.Instructions, settings.Episodes);
        using (ActorCritic network = RunLoading.Network(checkpoint))
        {
            table = AgentEvaluation.Run(network, rules, settings.Instructions, settings.Episodes, settings.Seed, settings.Greedy,
                record => records.Add(record with
                {
                    Run = provenance.Run,
                    RunId = provenance.RunId,
                    Frames = provenance.Frames,
                    Checkpoint = provenance.Checkpoint,
                    CheckpointSha256 = provenance.Sha256,
                }),
                stop,
                shown is null ? null : shown.Finished,
                shown is null ? null : shown.Stepped);
        }

        byte[] png = EncodePlot([(run.Name, table)], rules.MinInstruction, rules.MaxInstruction, provenance.Caption, provenance.Subtitle, settings.IsRange);
        byte[] outcomes = EncodeOutcomes(table, rules.MinInstruction, rules.MaxInstruction, provenance);
        using var outputs = new OutputSet();
        Directory.CreateDirectory(folder);
        outputs.Add(Path.Combine(folder, RunFolder.EvalEpisodesName), stream =>
        {
            foreach (EpisodeRecord record in records)
            {
                stream.Write(EpisodeLogFormat.Encode(record));
            }
        });
        outputs.AddText(Path.Combine(folder, RunFolder.EvalCsvName), table.ToCsv(provenance));
        outputs.Add(Path.Combine(folder, RunFolder.EvalPlotName), png);
        outputs.Add(Path.Combine(folder, RunFolder.EvalOutcomesName), outcomes);
        outputs.Commit(stop);
        return (table, provenance);
    }

    /// <summary>
    /// eval-outcomes.png of one run: per T the shares of its episodes that arrived exactly at T, early, late or timed
    /// out (<see cref="OutcomePlot"/>), with eval.png's subtitle and caption (<paramref name="provenance"/>).
    /// </summary>
    public static byte[] EncodeOutcomes(EvaluationTable table, int minT, int maxT, EvalProvenance provenance) =>
        CurvePlot.EncodePng(OutcomePlot.Layout(OutcomesTitle, minT, maxT, provenance.Caption, provenance.Subtitle), [], stack: OutcomePlot.Stack([table]));

    /// <summary>
    /// eval.png: the mean reward against T of each of <paramref name="tables"/> beside the best achievable, the training range
    /// <paramref name="minT"/>..<paramref name="maxT"/> marked; points rather than lines for chosen T values (<paramref name="range"/> false).
    /// </summary>
    public static byte[] EncodePlot(IReadOnlyList<(string Name, EvaluationTable Table)> tables, int minT, int maxT, string caption, string subtitle, bool range = true)
    {
        var curves = new List<Curve>();
        EvaluationTable first = tables[0].Table;
        // Chosen T values (--t-list) are points: a line between T = 200 and 1000 would claim values nobody measured.
        CurvePattern pattern = range ? CurvePattern.Solid : CurvePattern.Points;
        curves.Add(new Curve("best achievable", [.. first.Rows.Select(r => (double)r.Instruction)], [.. first.Rows.Select(r => r.MeanBest)], Dashed: true, Pattern: pattern));
        foreach ((string name, EvaluationTable table) in tables)
        {
            curves.Add(new Curve(range ? $"{name} (H90 {table.ShowHorizon(exact: false, minT)}, Hexact {table.ShowHorizon(exact: true, minT)})" : $"{name} (chosen T)", [.. table.Rows.Select(r => (double)r.Instruction)], [.. table.Rows.Select(r => r.MeanReward)], Pattern: pattern));
        }

        return CurvePlot.EncodePng(new PlotLayout("Mean reward against the instruction T", "instruction T (steps)", "mean reward per episode", minT, maxT, $"training range T {minT}..{maxT}", caption, subtitle, IntegerX: true, YFromZero: true), curves);
    }

    private static string Show(int? horizon) => horizon?.ToString(CultureInfo.InvariantCulture) ?? "none";
}
