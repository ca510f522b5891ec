using System.CommandLine;
using GridTime.Agents;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Training.Commands;

/// <summary>
/// <c>gridtime reproduce</c>: the paper's time-tracking comparison. Trains every listed agent with every
/// seed on the same budget, evaluates each for T = 1..30, and writes comparison.csv, comparison.png,
/// comparison-reward.png and summary.md. Each (agent, seed) cell is its own run folder, AGENT-sSEED/, so an
/// interrupted comparison resumes where it stopped and finished cells are not trained again.
/// </summary>
public static class ReproduceCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var binding = new ConfigBinding<TrainConfig>();
        var agents = new Option<string>("--agents") { Description = "Agents to compare, comma-separated.", DefaultValueFactory = _ => "baseline,nac" };
        var seeds = new Option<int>("--seeds") { Description = "Training seeds per agent (first-seed, first-seed + 1, ...).", DefaultValueFactory = _ => 1 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "The first training seed.", DefaultValueFactory = _ => 1 };
        var runDir = new Option<string>("--run-dir") { Description = "Folder of the comparison [default: runs/reproduce-TIME]; give an existing one to resume it.", HelpName = "folder" };
        var evaluation = new EvalOptions("--eval-seed");
        var command = new Command("reproduce", "Train and evaluate several agents over several seeds and compare them (the paper's Figure 5).")
        {
            agents, seeds, firstSeed, runDir,
        };
        evaluation.AddTo(command);
        foreach (Option option in binding.Options.Where(o => o.Name is not "--agent" and not "--seed"))
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed =>
        {
            CoreKind[] kinds = ParseAgents(parsed.GetValue(agents)!);
            int seedCount = parsed.GetValue(seeds);
            if (seedCount < 1)
            {
                throw new UsageException($"--seeds must be at least 1, got {seedCount}");
            }

            EvalSettings eval = evaluation.Read(parsed);
            TrainConfig template = binding.ApplyFlags(new TrainConfig(), parsed);
            IReadOnlyList<string> problems = template.Problems();
            if (problems.Count > 0)
            {
                throw new UsageException(string.Join("; ", problems));
            }

            string folder = parsed.GetValue(runDir) ?? Path.Combine("runs", $"reproduce-{DateTime.Now:yyyyMMdd-HHmmss}");
            if (File.Exists(folder))
            {
                throw new UsageException($"{folder} is a file, not a folder");
            }

            TrainConfig[] configs = [.. kinds.SelectMany(kind => Enumerable.Range(0, seedCount).Select(s => template with { Agent = kind, Seed = parsed.GetValue(firstSeed) + (ulong)s }))];
            CheckCells(folder, configs);

            // Every output is checked before any training: the comparison's files and each cell's evaluation files.
            foreach (string name in OutputNames)
            {
                OutputFile.Check(Path.Combine(folder, name), "comparison output");
            }

            foreach (TrainConfig config in configs)
            {
                EvalCommand.CheckOutputs(CellFolder(folder, config));
            }

            // One reproduce per comparison folder: a second would train the same cells and replace the same outputs.
            using RunLock comparisonLock = RunLock.Acquire(folder, RunLock.ReproduceFileName);
            var cells = new List<ComparisonCell>();
            foreach (CoreKind kind in kinds)
            {
                for (int s = 0; s < seedCount; s++)
                {
                    TrainConfig config = template with { Agent = kind, Seed = parsed.GetValue(firstSeed) + (ulong)s };
                    ComparisonCell? cell = RunCell(folder, config, eval, Program.Stop);
                    if (cell is null)
                    {
                        Console.Error.WriteLine($"gridtime: interrupted; run the same command with --run-dir {CommandLine.Quote(folder)} to resume");
                        return TrainCommand.Interrupted;
                    }

                    cells.Add(cell);
                }
            }

            var comparison = new Comparison(cells, template.MinT, template.MaxT);
            (byte[] fractionPlot, byte[] rewardPlot) = comparison.EncodePlots();
            string settings = string.Join(", ", ResumePlan.Differences(new TrainConfig(), template).Where(d => d.Setting is not "agent" and not "seed").Select(d => $"{d.Setting} {d.After}"));
            string summary = comparison.ToMarkdown("GridTime: time tracking in the grid world", "gridtime " + string.Join(' ', Program.Arguments.Select(CommandLine.Quote)), settings);

            // Written as a set: all four complete under temporary names, then renamed (previous set intact until then).
            using (var outputs = new OutputSet())
            {
                outputs.AddText(Path.Combine(folder, OutputNames[0]), comparison.ToCsv());
                outputs.Add(Path.Combine(folder, OutputNames[1]), fractionPlot);
                outputs.Add(Path.Combine(folder, OutputNames[2]), rewardPlot);
                outputs.AddText(Path.Combine(folder, OutputNames[3]), summary);
                outputs.Commit(Program.Stop);
            }

            Console.WriteLine();
            Console.WriteLine(summary);
            Console.WriteLine($"wrote {folder}/comparison.csv, comparison.png, comparison-reward.png, summary.md");
            return 0;
        });
        return command;
    }

    /// <summary>The files a comparison writes into its folder.</summary>
    public static readonly string[] OutputNames = ["comparison.csv", "comparison.png", "comparison-reward.png", "summary.md"];

    /// <summary>Parses "baseline,nac" into agents; an unknown name is a <see cref="UsageException"/>.</summary>
    public static CoreKind[] ParseAgents(string text)
    {
        try
        {
            CoreKind[] kinds = [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(CoreKinds.Parse).Distinct()];
            return kinds.Length > 0 ? kinds : throw new UsageException("--agents lists no agent");
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--agents: {e.Message}", e);
        }
    }

    /// <summary>The run folder of one (agent, seed) cell of a comparison.</summary>
    public static RunFolder CellFolder(string comparisonFolder, TrainConfig config) => new(Path.Combine(comparisonFolder, $"{config.Agent.Name()}-s{config.Seed}"));

    /// <summary>
    /// Refuses (<see cref="UsageException"/>, naming the first difference) a comparison folder whose existing
    /// cells were trained with settings other than <paramref name="configs"/>: only --frames (a larger budget
    /// trains them on) and --progress-seconds may differ. Checked for every cell before anything is trained.
    /// </summary>
    public static void CheckCells(string comparisonFolder, IEnumerable<TrainConfig> configs)
    {
        foreach (TrainConfig config in configs)
        {
            RunFolder run = CellFolder(comparisonFolder, config);
            if (!Directory.Exists(run.Path))
            {
                continue;
            }

            TrainConfig? existing;
            try
            {
                existing = ResumePoint.Find(run)?.Header.Config ?? run.ReadConfig()?.Config;
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message, e);
            }

            if (existing is null)
            {
                continue;
            }

            var differences = ResumePlan.Differences(existing with { Frames = config.Frames, ProgressSeconds = config.ProgressSeconds }, config);
            if (differences.Count > 0)
            {
                (string setting, string before, string now) = differences[0];
                throw new UsageException($"{comparisonFolder} holds {run.Name} trained with other settings: {setting} is {before} there but {now} in this command"
                    + $"{(differences.Count > 1 ? $" (and {differences.Count - 1} more)" : "")}; give the settings it was made with, or a new --run-dir");
            }
        }
    }

    // Trains (or resumes, or skips when finished) one cell and evaluates it; null when interrupted.
    private static ComparisonCell? RunCell(string folder, TrainConfig config, EvalSettings eval, CancellationToken stop)
    {
        RunFolder run = CellFolder(folder, config);
        ResumePoint? resume = ResumePoint.Find(run);
        long done = resume?.Header.Frames ?? 0;
        if (done < config.Frames)
        {
            SessionStart start = resume is null && !File.Exists(run.ConfigFile)
                ? SessionStart.NewRun()
                : ResumePlan.Make(run, settings => settings with { Frames = config.Frames, ProgressSeconds = config.ProgressSeconds }, []).Start;
            Console.WriteLine(resume is null ? $"== {run.Name}: training" : $"== {run.Name}: resuming at {done:N0} frames");
            TrainingOutcome outcome = Trainer.Start(config, run, start, stop);
            if (outcome.Interrupted)
            {
                return null;
            }
        }
        else
        {
            Console.WriteLine($"== {run.Name}: already trained ({done:N0} frames)");
        }

        // The cell's evaluation holds the run's eval lock: a concurrent eval of the same run is refused.
        using (RunLock.Acquire(run.Path, RunLock.EvalFileName))
        {
            CheckpointFile chosen = EvalCommand.Choose(run.Path, null, eval, stop);
            CheckpointHeader final = chosen.Header;
            (EvaluationTable table, EvalProvenance provenance) = EvalCommand.Evaluate(run, chosen, eval, stop);
            Console.WriteLine($"{run.Name}: {EvalCommand.Summary(table, final.Config.MinT, final.Config.MaxT)}");
            Console.WriteLine($"{run.Name}: provenance: {provenance}");
            return new ComparisonCell(config.Agent, config.Seed, final.Frames, final.WallSeconds, table, provenance);
        }
    }
}
