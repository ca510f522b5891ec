using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Plots;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;
using GridTime.Training.Progress;

namespace GridTime.Training.Commands;

/// <summary>
/// <c>gridtime eval</c>: plays trained agents, without learning, for every T of a range on the same start
/// positions, and writes eval.csv, eval.png, eval-outcomes.png (how the episodes of each T end) and the episodes
/// (eval-episodes.msgpack) into each run folder, each carrying the provenance of what was evaluated
/// (<see cref="EvalProvenance"/>). With several runs, their curves also go on one plot, and their outcomes on one
/// picture of a panel per run. The outputs of a run are written as a set: all to temporary files first, then
/// renamed, so an interruption or a failed write leaves the previous set intact. A run is evaluated by one
/// process at a time (<see cref="RunLock.EvalFileName"/>).
/// </summary>
public static class EvalCommand
{
    /// <summary>The evaluation table in a run folder.</summary>
    public const string CsvName = "eval.csv";

    /// <summary>The evaluation plot in a run folder (and the combined plot of several runs).</summary>
    public const string PlotName = "eval.png";

    /// <summary>How the episodes of each T ended (exact, early, late, timeout) in a run folder (and the combined picture of several runs).</summary>
    public const string OutcomesName = "eval-outcomes.png";

    /// <summary>The title of eval-outcomes.png.</summary>
    public const string OutcomesTitle = "How episodes end against the instruction T";

    /// <summary>The evaluation episodes in a run folder.</summary>
    public const string EpisodesName = "eval-episodes.msgpack";

    /// <summary>Time between progress lines when output is not a terminal.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var runs = new Option<string[]>("--run") { Description = "Run folder to evaluate (repeat for several); its outputs are written into it.", AllowMultipleArgumentsPerToken = false, HelpName = "folder" };
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "Checkpoint file to evaluate instead of the run's selected one (exactly this file; it must belong to the --run, which defaults to the run whose checkpoints/ folder holds it).",
            HelpName = "file",
        };
        var evaluation = new EvalOptions("--seed", withList: true);
        var output = new Option<string>("--out")
        {
            Description = "With one run: the folder its eval.csv, eval.png, eval-outcomes.png and eval-episodes.msgpack go into instead of the run folder, "
                + "whose own evaluation stays as it was (to add T values to a run a sweep compared, say). With several: the folder of the combined plot [default: runs/eval-TIME].",
            HelpName = "folder",
        };
        var command = new Command("eval", "Evaluate trained agents for every T in a range: eval.csv, eval.png, eval-outcomes.png, horizons.") { runs, checkpoint, output };
        evaluation.AddTo(command);
        command.SetAction(parsed =>
        {
            EvalSettings settings = evaluation.Read(parsed);
            string? file = parsed.GetValue(checkpoint);
            string[] folders = parsed.GetResult(runs) is not null ? parsed.GetValue(runs) ?? [] : file is null ? [] : [RunOf(file)];
            if (folders.Length == 0)
            {
                throw new UsageException("give the run to evaluate with --run FOLDER (or a checkpoint with --checkpoint FILE)");
            }

            if (file is not null && folders.Length != 1)
            {
                throw new UsageException("--checkpoint needs exactly one --run");
            }

            // --checkpoint evaluates exactly that file: only an explicit --select-last K > 1 contradicts it.
            if (file is not null && evaluation.SelectLastGiven(parsed) && settings.SelectLast > 1)
            {
                throw new UsageException("--select-last cannot be combined with --checkpoint (which evaluates exactly that file)");
            }

            var folderList = folders.Select(f => new RunFolder(f)).ToList();
            if (folderList.Select(r => r.Path).Distinct().Count() != folderList.Count)
            {
                throw new UsageException("the same run folder is given twice with --run");
            }

            // The same folder under two names (a symlink, a bind mount): one file identity, device and inode.
            var identities = folderList.Select(r => (r.Path, Status: Files.FileStatus.Of(r.Path))).Where(x => x.Status is not null).ToList();
            for (int i = 0; i < identities.Count; i++)
            {
                if (identities.Skip(i + 1).FirstOrDefault(other => other.Status!.Value.SameFileAs(identities[i].Status!.Value)) is { Path: not null } same)
                {
                    throw new UsageException($"the same run folder is given twice with --run: {same.Path} is {identities[i].Path} under another name");
                }
            }

            // Every output is checked before any work: a directory, symlink or device under an output's name is refused.
            // With one run, --out is where its outputs go instead of the run folder. With several, each run's own
            // evaluation goes into a folder of its own inside --out (a run's own evaluation changes only when that run
            // alone is evaluated without --out), and the combined plots into --out itself.
            string? outFolder = folderList.Count > 1 ? parsed.GetValue(output) ?? Path.Combine("runs", $"eval-{DateTime.Now:yyyyMMdd-HHmmss}") : null;
            string[] subfolders = folderList.Select(run => run.Name).Distinct().Count() < folderList.Count
                ? [.. folderList.Select((run, i) => $"{i + 1}-{run.Name}")]
                : [.. folderList.Select(run => run.Name)];
            var intos = new List<string?>();
            foreach (((RunFolder run, string given), int index) in folderList.Zip(folders).Select((pair, i) => (pair, i)))
            {
                RunLoading.RequireRunFolder(given);
                string? into = null;
                if (outFolder is not null)
                {
                    string own = Path.Combine(outFolder, subfolders[index]);
                    into = SeparateOutputFolder(run, own, file)
                        ?? throw new UsageException($"--out {outFolder} would put {run.Name}'s evaluation into its own run folder ({own}); choose a folder outside the runs");
                }
                else if (parsed.GetValue(output) is { } separate)
                {
                    into = SeparateOutputFolder(run, separate, file);
                }

                if (into is null)
                {
                    CheckOutputs(run, file);
                }

                intos.Add(into);

                // A too long evaluation is refused before checkpoints are scored (Evaluate checks again with the checkpoint's rules).
                if (RunMembership.ReadConfig(run) is { } config)
                {
                    settings.CheckSteps(config.Config.World);
                }
            }

            string? combined = null;

            if (outFolder is not null)
            {
                // One plot has one "best achievable" curve and one training range: only for runs of the same task.
                var worlds = folderList.Select(run => (run.Name, World: (RunMembership.ReadConfig(run)?.Config ?? RunLoading.Read(run.Path, file).Header.Config).World)).ToList();
                if (worlds.FirstOrDefault(w => w.World != worlds[0].World) is { Name: not null } other)
                {
                    throw new UsageException($"{worlds[0].Name} and {other.Name} were trained under different rules ({Describe(worlds[0].World)} against {Describe(other.World)}): "
                        + "one plot cannot show both; evaluate them one at a time");
                }

                if (File.Exists(outFolder))
                {
                    throw new UsageException($"--out {outFolder} is a file, not a folder");
                }

                Files.FileStatus? outIdentity = Files.FileStatus.Of(outFolder);
                if (folderList.FirstOrDefault(run => Path.GetFullPath(run.Path).TrimEnd('/') == Path.GetFullPath(outFolder).TrimEnd('/')
                    || (outIdentity is { } o && Files.FileStatus.Of(run.Path) is { } r && o.SameFileAs(r))) is { } input)
                {
                    throw new UsageException($"--out {outFolder} is the run folder {input.Name}, one of the inputs: its own {PlotName} and {OutcomesName} would be replaced by the combined ones; choose another folder");
                }

                // Not a run's folder, nor inside one (its checkpoints/, or a new folder there): a run folder holds its own files only.
                static bool IsRun(string folder) =>
                    File.Exists(new RunFolder(folder).ConfigFile) || File.Exists(new RunFolder(folder).LatestCheckpoint)
                    || (Directory.Exists(new RunFolder(folder).CheckpointFolder) && Directory.EnumerateFiles(new RunFolder(folder).CheckpointFolder, "frames-*.ckpt").Any());
                if (IsRun(outFolder))
                {
                    throw new UsageException($"--out {outFolder} is the folder of another run: the combined plots would go among its own files; choose a folder that holds no run");
                }

                for (string? above = Path.GetDirectoryName(Path.GetFullPath(outFolder).TrimEnd('/')); above is not null; above = Path.GetDirectoryName(above))
                {
                    if (IsRun(above))
                    {
                        throw new UsageException($"--out {outFolder} is inside the run folder {above}, which holds only its own files; choose a folder outside the runs");
                    }
                }

                // A folder holding one run's evaluation (an eval --out of one run) would be left half replaced.
                if (new[] { CsvName, EpisodesName }.FirstOrDefault(name => File.Exists(Path.Combine(outFolder, name))) is { } single)
                {
                    throw new UsageException($"--out {outFolder} holds one run's evaluation ({single}): the combined plot would replace its {PlotName} and {OutcomesName} and leave its table; choose another folder");
                }

                combined = Path.Combine(outFolder, PlotName);
                OutputFile.Check(combined, "combined plot", OutputFormat.Png);
                OutputFile.Check(Path.Combine(outFolder, OutcomesName), "combined plot", OutputFormat.Png);
            }

            var locks = new List<RunLock>();
            try
            {
                foreach (string written in folderList.Zip(intos).Select(pair => pair.Second ?? pair.First.Path))
                {
                    locks.Add(RunLock.Acquire(written, RunLock.EvalFileName));
                }

                var results = new List<(string Name, EvaluationTable Table, int MinT, int MaxT, EvalProvenance Provenance)>();

                var labels = folderList.Zip(RunLoading.Labels(folderList, folders)).ToDictionary(pair => pair.First, pair => pair.Second);
                foreach ((RunFolder run, string? into) in folderList.Zip(intos))
                {
                    CheckpointFile chosen = Choose(run.Path, file, settings, Program.Stop);
                    CheckpointHeader header = chosen.Header;
                    (EvaluationTable table, EvalProvenance provenance) = ProgressDisplay.Run(ProgressInterval, progress => Evaluate(run, chosen, settings, Program.Stop, progress, into));
                    Console.WriteLine($"{run.Name} ({header.Config.Agent.Name()}, {header.Frames:N0} frames, {(settings.Greedy ? "greedy" : "sampled")} actions, {settings.Episodes} episodes per T, seed {settings.Seed})");
                    Console.Write(table.ToText());
                    Console.WriteLine(Summary(table, header.Config.MinT, header.Config.MaxT, settings.IsRange));
                    Console.WriteLine($"provenance: {provenance}");
                    Console.WriteLine($"wrote {into ?? run.Path}/{CsvName}, {PlotName}, {OutcomesName}, {EpisodesName}\n");
                    results.Add((labels[run], table, header.Config.MinT, header.Config.MaxT, provenance));
                }

                if (combined is not null)
                {
                    string caption = $"runs {string.Join(", ", results.Select(r => $"{r.Name} (id {r.Provenance.RunId})"))}; {(settings.Greedy ? "greedy" : "sampled")} actions, eval seed {settings.Seed}, {settings.Episodes} episodes per T; GridTime {RunFolder.Versions["gridtime"]}";
                    string subtitle = string.Join("; ", results.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Name}: {r.Provenance.Checkpoint} sha256 {r.Provenance.Sha256[..Math.Min(12, r.Provenance.Sha256.Length)]} ({r.Provenance.Frames:N0} frames)")))
                        + $"; {settings.Episodes} episodes per T; {(settings.Greedy ? "greedy" : "sampled")} actions";
                    byte[] png = EncodePlot([.. results.Select(r => (r.Name, r.Table))], results[0].MinT, results[0].MaxT, caption, subtitle, settings.IsRange);

                    // One panel per run, named by its title; the small print under the picture's title says what the plot's subtitle and caption say.
                    byte[] outcomes = OutcomePlot.EncodePanels(OutcomesTitle, $"{subtitle}; eval seed {settings.Seed}; GridTime {RunFolder.Versions["gridtime"]}",
                        OutcomePlot.Panels([.. results.Select(r => (r.Name, (IReadOnlyList<EvaluationTable>)[r.Table]))], results[0].MinT, results[0].MaxT));
                    Program.Stop.ThrowIfCancellationRequested();
                    Directory.CreateDirectory(Path.GetDirectoryName(combined)!);
                    string combinedOutcomes = Path.Combine(Path.GetDirectoryName(combined)!, OutcomesName);
                    using var outputs = new OutputSet();
                    outputs.Add(combined, png);
                    outputs.Add(combinedOutcomes, outcomes);
                    outputs.Commit(Program.Stop);
                    Console.WriteLine($"wrote {combined}, {combinedOutcomes}");
                }
            }
            finally
            {
                locks.ForEach(l => l.Dispose());
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// The run folder a checkpoint file lives in (RUN/checkpoints/NAME.ckpt → RUN), for <c>--checkpoint</c> without
    /// <c>--run</c>; a checkpoint elsewhere is a <see cref="UsageException"/> asking for --run.
    /// </summary>
    public static string RunOf(string checkpoint)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(checkpoint));
        string? run = folder is not null && Path.GetFileName(folder) == "checkpoints" ? Path.GetDirectoryName(folder) : null;
        return run is not null && File.Exists(new RunFolder(run).ConfigFile)
            ? run
            : throw new UsageException($"{checkpoint} is not in a run's checkpoints/ folder: give --run FOLDER, the run it belongs to, to write the evaluation into");
    }

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
        RunLoading.RefuseRunsOwnFile(Path.Combine(folder, CsvName), "--out");

        // A folder holding a combined plot of several runs (eval.png without eval.csv) is not one run's evaluation.
        if (File.Exists(Path.Combine(folder, PlotName)) && !File.Exists(Path.Combine(folder, CsvName)))
        {
            throw new UsageException($"--out {folder} holds a combined plot of several runs ({PlotName} without {CsvName}): one run's evaluation would replace it; choose another folder");
        }

        string[] inputs = checkpoint is null ? [run.LatestCheckpoint] : [checkpoint];
        foreach (string name in new[] { CsvName, PlotName, OutcomesName, EpisodesName })
        {
            OutputFile.Check(Path.Combine(folder, name), "evaluation output", OutputFormats.ForName(name), inputs);
        }

        // A folder holding another run's evaluation is not replaced by this run's (an earlier evaluation of this run is).
        // Read only after the check above: an eval.csv that is a FIFO or a device is refused there, never opened.
        if (EvaluatedRun(Path.Combine(folder, CsvName)) is { } earlier && RunMembership.ReadConfig(run)?.Record?.Id is { } id && earlier.Id != id)
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
        foreach (string name in new[] { CsvName, PlotName, OutcomesName, EpisodesName })
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
        CheckpointFile chosen = checkpoint is not null || settings.SelectLast <= 1
            ? RunLoading.Read(runFolder, checkpoint)
            : Selected(runFolder, settings, stop) ?? RunLoading.Read(runFolder);
        if (checkpoint is not null)
        {
            // Its results go into the run folder under the run's name: a checkpoint of another run is refused.
            var run = new RunFolder(runFolder);
            RunMembership.Require(run, RunMembership.ReadConfig(run), chosen.Header, checkpoint, $"evaluate it with --run set to the run it belongs to");
        }

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

    // The rules of a world in one phrase, for naming how two runs' tasks differ.
    private static string Describe(GridTime.Environment.GridWorldOptions world) => string.Create(CultureInfo.InvariantCulture,
        $"{world.Size}x{world.Size}, T {world.MinInstruction}..{world.MaxInstruction}, m {world.MaxReward}, {(world.Rules == GridTime.Environment.EpisodeRules.Unclipped ? "unclipped" : "clipped")} reward, "
        + $"T shown {Config.Settings<Config.TrainConfig>.Format(world.InstructionShown)}, {Config.Settings<Config.TrainConfig>.Format(world.AgentStart)} start");

    /// <summary>What an evaluation of <paramref name="checkpoint"/> in <paramref name="run"/> with <paramref name="settings"/> records about itself.</summary>
    public static EvalProvenance Provenance(RunFolder run, CheckpointFile checkpoint, EvalSettings settings) => new(
        run.Name,
        checkpoint.Header.RunId ?? "unknown",
        Path.GetRelativePath(run.Path, Path.GetFullPath(StableName(run, checkpoint))),
        checkpoint.Sha256,
        checkpoint.Header.Frames,
        settings.Seed,
        settings.Greedy,
        settings.From,
        settings.To,
        settings.Episodes,
        RunFolder.Versions["gridtime"])
    { List = settings.ListText };

    // latest.ckpt is replaced at every checkpoint of a training run: where the periodic checkpoint of the same frames
    // holds the very same bytes, the evaluation names that file, which stays (until retention removes it).
    private static string StableName(RunFolder run, CheckpointFile checkpoint)
    {
        string periodic = run.PeriodicCheckpoint(checkpoint.Header.Frames);
        if (Path.GetFullPath(checkpoint.Path) != Path.GetFullPath(run.LatestCheckpoint) || !File.Exists(periodic))
        {
            return checkpoint.Path;
        }

        try
        {
            using var stream = File.OpenRead(periodic);
            return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)) == checkpoint.Sha256 ? periodic : checkpoint.Path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return checkpoint.Path;
        }
    }

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
        outputs.Add(Path.Combine(folder, EpisodesName), stream =>
        {
            foreach (EpisodeRecord record in records)
            {
                stream.Write(EpisodeLogFormat.Encode(record));
            }
        });
        outputs.AddText(Path.Combine(folder, CsvName), table.ToCsv(provenance));
        outputs.Add(Path.Combine(folder, PlotName), png);
        outputs.Add(Path.Combine(folder, OutcomesName), outcomes);
        outputs.Commit(stop);
        return (table, provenance);
    }

    /// <summary>
    /// eval-outcomes.png of one run: per T the shares of its episodes that arrived exactly at T, early, late or timed
    /// out (<see cref="OutcomePlot"/>), with eval.png's subtitle and caption (<paramref name="provenance"/>).
    /// </summary>
    public static byte[] EncodeOutcomes(EvaluationTable table, int minT, int maxT, EvalProvenance provenance) =>
        CurvePlot.EncodePng(OutcomePlot.Layout(OutcomesTitle, minT, maxT, provenance.Caption, provenance.Subtitle), [], stack: OutcomePlot.Stack([table]));

    private static byte[] EncodePlot(IReadOnlyList<(string Name, EvaluationTable Table)> tables, int minT, int maxT, string caption, string subtitle, bool range = true)
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

/// <summary>What an evaluation plays.</summary>
/// <param name="From">Smallest T of a range (with a <paramref name="List"/>: its smallest T).</param>
/// <param name="To">Largest T of a range (with a <paramref name="List"/>: its largest T).</param>
/// <param name="Episodes">Episodes per T.</param>
/// <param name="Seed">Seed of start positions and sampling.</param>
/// <param name="Greedy">Most probable action instead of sampling.</param>
/// <param name="SelectLast">Represent a run by the best of its last K checkpoints (1: the latest).</param>
/// <param name="List">
/// Chosen T values (<c>--t-list 200,500,1000</c>) instead of the range From..To, ascending and distinct; null for a
/// range. Horizons (H90, Hexact) are defined only for a range (every T from the training range's smallest on), so a
/// list gets per-T figures only.
/// </param>
public sealed record EvalSettings(int From = 1, int To = 30, int Episodes = 100, ulong Seed = 1, bool Greedy = false, int SelectLast = 1, IReadOnlyList<int>? List = null)
{
    /// <summary>Largest --episodes (per T).</summary>
    public const int MaximumEpisodes = 1_000_000;

    /// <summary>Largest number of episodes of one evaluation, (To − From + 1) · Episodes or the list's length · Episodes.</summary>
    public const long MaximumTotalEpisodes = 10_000_000;

    /// <summary>
    /// Largest number of episode steps one evaluation may play, Σ over its T of Episodes · L(T) with L the rules'
    /// timeout (T + m for the paper's rule): bounds its time and the memory of the episodes it keeps for
    /// eval-episodes.msgpack (every step of every episode is held until the outputs are written).
    /// </summary>
    public const long MaximumTotalSteps = 20_000_000;

    /// <summary>Longest --t-list.</summary>
    public const int MaximumListLength = 10_000;

    /// <summary>True for a contiguous range From..To (horizons are defined), false for a <see cref="List"/>.</summary>
    public bool IsRange => List is null;

    /// <summary>The T values evaluated, ascending.</summary>
    public IReadOnlyList<int> Instructions => List ?? [.. Enumerable.Range(From, To - From + 1)];

    /// <summary>The list as provenance spells it ("200;500;1000", semicolons so no CSV quoting is needed), or "" for a range.</summary>
    public string ListText => List is null ? "" : string.Join(';', List.Select(t => t.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Parses a --t-list: comma-separated integers, each 1..<see cref="GridTime.Environment.GridWorldOptions.MaximumInstruction"/>,
    /// no repeats, at most <see cref="MaximumListLength"/>; returns them ascending. A bad list is a <see cref="UsageException"/>.
    /// </summary>
    public static IReadOnlyList<int> ParseList(string text)
    {
        const int maxT = GridTime.Environment.GridWorldOptions.MaximumInstruction;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaximumListLength)
        {
            throw new UsageException($"--t-list holds {parts.Length} values, more than {MaximumListLength}");
        }

        var values = new List<int>();
        foreach (string part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int t) || t < 1 || t > maxT)
            {
                throw new UsageException($"--t-list must be comma-separated whole numbers 1..{maxT}, got '{part}' in '{text}'");
            }

            values.Add(t);
        }

        int? repeated = values.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1)?.Key;
        return repeated is int r ? throw new UsageException($"--t-list names T = {r} twice") : [.. values.Order()];
    }

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the bad value: T range within
    /// 1..<see cref="GridTime.Environment.GridWorldOptions.MaximumInstruction"/>, Episodes 1..<see cref="MaximumEpisodes"/>,
    /// at most <see cref="MaximumTotalEpisodes"/> episodes in all, SelectLast at least 1.
    /// </summary>
    public void Validate()
    {
        const int maxT = GridTime.Environment.GridWorldOptions.MaximumInstruction;
        if (List is null && (From < 1 || To < From || To > maxT))
        {
            throw new UsageException($"--t-from must be at least 1, --t-to at least --t-from and at most {maxT}, got {From}..{To}");
        }

        if (Episodes is < 1 or > MaximumEpisodes)
        {
            throw new UsageException($"--episodes must be at least 1 and at most {MaximumEpisodes}, got {Episodes}");
        }

        long count = List?.Count ?? (long)To - From + 1;
        if (count * Episodes > MaximumTotalEpisodes)
        {
            string what = List is null ? $"--t-from {From} to --t-to {To}" : $"--t-list of {count} values";
            throw new UsageException($"{what} with --episodes {Episodes} is {count * Episodes} episodes, more than the {MaximumTotalEpisodes} an evaluation plays");
        }

        if (SelectLast < 1)
        {
            throw new UsageException($"--select-last must be at least 1, got {SelectLast}");
        }
    }

    /// <summary>
    /// Throws a <see cref="UsageException"/> when the episodes would take more than <see cref="MaximumTotalSteps"/>
    /// steps at most under <paramref name="rules"/> (each episode counted at its timeout L(T)).
    /// </summary>
    public void CheckSteps(GridTime.Environment.GridWorldOptions rules)
    {
        long steps = Instructions.Sum(t => (long)Episodes * rules.TimeoutFor(t));
        if (steps > MaximumTotalSteps)
        {
            throw new UsageException($"T {(List is null ? $"{From}..{To}" : ListText.Replace(';', ','))} with --episodes {Episodes} may play {steps} steps (episodes end at L = T + m at the latest), "
                + $"more than the {MaximumTotalSteps} an evaluation plays: use fewer --episodes or a --t-list");
        }
    }
}
