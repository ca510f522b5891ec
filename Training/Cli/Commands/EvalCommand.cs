using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Plots;
using GridTime.Training;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;
using GridTime.Training.Progress;

using static GridTime.Training.Evaluation.RunEvaluation;

namespace GridTime.Cli.Commands;

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
            string[] folders = parsed.GetResult(runs) is not null ? parsed.GetValue(runs) ?? [] : file is null ? [] : [RunLoading.RunOf(file)];
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
            var identities = folderList.Select(r => (r.Path, Status: FileStatus.Of(r.Path))).Where(x => x.Status is not null).ToList();
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
            if (outFolder is not null && File.Exists(outFolder))
            {
                throw new UsageException($"--out {outFolder} is a file, not a folder");
            }

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

                FileStatus? outIdentity = FileStatus.Of(outFolder);
                if (folderList.FirstOrDefault(run => Path.GetFullPath(run.Path).TrimEnd('/') == Path.GetFullPath(outFolder).TrimEnd('/')
                    || (outIdentity is { } o && FileStatus.Of(run.Path) is { } r && o.SameFileAs(r))) is { } input)
                {
                    throw new UsageException($"--out {outFolder} is the run folder {input.Name}, one of the inputs: its own {RunFolder.EvalPlotName} and {RunFolder.EvalOutcomesName} would be replaced by the combined ones; choose another folder");
                }

                // Not a run's folder, nor inside one (its checkpoints/, or a new folder there): a run folder holds its own files only.
                if (RunFolder.HoldsRun(outFolder))
                {
                    throw new UsageException($"--out {outFolder} is the folder of another run: the combined plots would go among its own files; choose a folder that holds no run");
                }

                if (RunFolder.EnclosingRun(outFolder) is { } above)
                {
                    throw new UsageException($"--out {outFolder} is inside the run folder {above}, which holds only its own files; choose a folder outside the runs");
                }

                // A folder holding one run's evaluation (an eval --out of one run) would be left half replaced.
                if (new[] { RunFolder.EvalCsvName, RunFolder.EvalEpisodesName }.FirstOrDefault(name => File.Exists(Path.Combine(outFolder, name))) is { } single)
                {
                    throw new UsageException($"--out {outFolder} holds one run's evaluation ({single}): the combined plot would replace its {RunFolder.EvalPlotName} and {RunFolder.EvalOutcomesName} and leave its table; choose another folder");
                }

                combined = Path.Combine(outFolder, RunFolder.EvalPlotName);
                OutputFile.Check(combined, "combined plot", OutputFormat.Png);
                OutputFile.Check(Path.Combine(outFolder, RunFolder.EvalOutcomesName), "combined plot", OutputFormat.Png);
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
                    Console.WriteLine($"wrote {into ?? run.Path}/{RunFolder.EvalCsvName}, {RunFolder.EvalPlotName}, {RunFolder.EvalOutcomesName}, {RunFolder.EvalEpisodesName}\n");
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
                    string combinedOutcomes = Path.Combine(Path.GetDirectoryName(combined)!, RunFolder.EvalOutcomesName);
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
}
