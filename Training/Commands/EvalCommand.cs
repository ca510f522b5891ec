using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Plots;
using GridTime.Training.Evaluation;
using GridTime.Training.Runs;

namespace GridTime.Training.Commands;

/// <summary>
/// <c>gridtime eval</c>: plays trained agents, without learning, for every T of a range on the same start
/// positions, and writes eval.csv, eval.png and the episodes (eval-episodes.msgpack) into each run folder.
/// With several runs, their curves also go on one plot.
/// </summary>
public static class EvalCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var runs = new Option<string[]>("--run") { Description = "Run folder to evaluate (repeat for several).", Required = true, AllowMultipleArgumentsPerToken = false, HelpName = "folder" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file to evaluate instead of the run's latest (one run only).", HelpName = "file" };
        var evaluation = new EvalOptions("--seed");
        var output = new Option<string>("--out") { Description = "Folder for the combined plot of several runs [default: runs/eval-TIME].", HelpName = "folder" };
        var command = new Command("eval", "Evaluate trained agents for every T in a range: eval.csv, eval.png, horizons.") { runs, checkpoint, output };
        evaluation.AddTo(command);
        command.SetAction(parsed =>
        {
            EvalSettings settings = evaluation.Read(parsed);
            string[] folders = parsed.GetValue(runs) ?? [];
            string? file = parsed.GetValue(checkpoint);
            if (file is not null && folders.Length != 1)
            {
                throw new UsageException("--checkpoint needs exactly one --run");
            }

            if (settings.SelectLast > 1 && file is not null)
            {
                throw new UsageException("--select-last cannot be combined with --checkpoint");
            }

            var loaded = folders.Select(f => (Folder: f, Loaded: RunLoading.Load(f, file ?? Selected(f, settings)))).ToList();
            var results = new List<(string Name, EvaluationTable Table, int MinT, int MaxT)>();
            foreach (var (folder, (header, network)) in loaded)
            {
                using var _ = network;
                var run = new RunFolder(folder);
                EvaluationTable table = Evaluate(run, network, header.Config.World, settings);
                Console.WriteLine($"{run.Name} ({header.Config.Agent.Name()}, {header.Frames:N0} frames, {(settings.Greedy ? "greedy" : "sampled")} actions, {settings.Episodes} episodes per T, seed {settings.Seed})");
                Console.Write(table.ToText());
                Console.WriteLine(Summary(table, header.Config.MinT, header.Config.MaxT));
                Console.WriteLine($"wrote {run.Path}/eval.csv, eval.png, eval-episodes.msgpack\n");
                results.Add((run.Name, table, header.Config.MinT, header.Config.MaxT));
            }

            if (results.Count > 1)
            {
                string outFolder = parsed.GetValue(output) ?? Path.Combine("runs", $"eval-{DateTime.Now:yyyyMMdd-HHmmss}");
                Directory.CreateDirectory(outFolder);
                string plot = Path.Combine(outFolder, "eval.png");
                SavePlot(plot, results.Select(r => (r.Name, r.Table)).ToList(), results[0].MinT, results[0].MaxT);
                Console.WriteLine($"wrote {plot}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// The checkpoint to evaluate for a run: with SelectLast = 1 the latest (null), otherwise the best of the
    /// last K on training-range validation episodes (<see cref="CheckpointSelection"/>).
    /// </summary>
    public static string? Selected(string runFolder, EvalSettings settings)
    {
        if (settings.SelectLast <= 1)
        {
            return null;
        }

        var run = new RunFolder(runFolder);
        IReadOnlyList<string> candidates = CheckpointSelection.Candidates(run, settings.SelectLast);
        if (candidates.Count == 0)
        {
            return null; // RunLoading reports the missing checkpoint
        }

        try
        {
            IReadOnlyList<CheckpointScore> ranked = CheckpointSelection.Rank(candidates, settings.Episodes, settings.Seed);
            Console.WriteLine($"{run.Name}: {CheckpointSelection.Describe(ranked)}");
            return ranked[0].Path;
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>One line with the horizons and the training-range figures.</summary>
    public static string Summary(EvaluationTable table, int minT, int maxT) => string.Create(CultureInfo.InvariantCulture,
        $"H90 = {Show(table.H90(minT))}, Hexact = {Show(table.HExact(minT))}; on the training range T {minT}..{maxT}: {table.FractionOfBest(minT, maxT):P1} of best, exact arrivals {table.ExactRate(minT, maxT):P1}");

    /// <summary>Evaluates and writes eval.csv, eval.png and eval-episodes.msgpack into the run folder.</summary>
    public static EvaluationTable Evaluate(RunFolder run, ActorCritic network, GridTime.Environment.GridWorldOptions rules, EvalSettings settings)
    {
        string episodesFile = Path.Combine(run.Path, "eval-episodes.msgpack");
        File.Delete(episodesFile);
        EvaluationTable table;
        using (var log = new EpisodeLogWriter(episodesFile))
        {
            table = AgentEvaluation.Run(network, rules, settings.From, settings.To, settings.Episodes, settings.Seed, settings.Greedy, log);
        }

        File.WriteAllText(Path.Combine(run.Path, "eval.csv"), table.ToCsv());
        SavePlot(Path.Combine(run.Path, "eval.png"), [(run.Name, table)], rules.MinInstruction, rules.MaxInstruction);
        return table;
    }

    private static void SavePlot(string path, IReadOnlyList<(string Name, EvaluationTable Table)> tables, int minT, int maxT)
    {
        var curves = new List<Curve>();
        EvaluationTable first = tables[0].Table;
        curves.Add(new Curve("best achievable", [.. first.Rows.Select(r => (double)r.Instruction)], [.. first.Rows.Select(r => r.MeanBest)], Dashed: true));
        foreach ((string name, EvaluationTable table) in tables)
        {
            curves.Add(new Curve($"{name} (H90 {Show(table.H90(minT))}, Hexact {Show(table.HExact(minT))})", [.. table.Rows.Select(r => (double)r.Instruction)], [.. table.Rows.Select(r => r.MeanReward)]));
        }

        CurvePlot.SavePng(path, new PlotLayout("Mean reward against the instruction T", "instruction T (steps)", "mean reward per episode", minT, maxT, $"training range T {minT}..{maxT}"), curves);
    }

    private static string Show(int? horizon) => horizon?.ToString(CultureInfo.InvariantCulture) ?? "none";
}

/// <summary>What an evaluation plays.</summary>
/// <param name="From">Smallest T.</param>
/// <param name="To">Largest T.</param>
/// <param name="Episodes">Episodes per T.</param>
/// <param name="Seed">Seed of start positions and sampling.</param>
/// <param name="Greedy">Most probable action instead of sampling.</param>
/// <param name="SelectLast">Represent a run by the best of its last K checkpoints (1: the latest).</param>
public sealed record EvalSettings(int From = 1, int To = 30, int Episodes = 100, ulong Seed = 1, bool Greedy = false, int SelectLast = 1)
{
    /// <summary>Largest --episodes (per T).</summary>
    public const int MaximumEpisodes = 1_000_000;

    /// <summary>Largest number of episodes of one evaluation, (To − From + 1) · Episodes.</summary>
    public const long MaximumTotalEpisodes = 10_000_000;

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the bad value: T range within
    /// 1..<see cref="GridTime.Environment.GridWorldOptions.MaximumInstruction"/>, Episodes 1..<see cref="MaximumEpisodes"/>,
    /// at most <see cref="MaximumTotalEpisodes"/> episodes in all, SelectLast at least 1.
    /// </summary>
    public void Validate()
    {
        const int maxT = GridTime.Environment.GridWorldOptions.MaximumInstruction;
        if (From < 1 || To < From || To > maxT)
        {
            throw new UsageException($"--t-from must be at least 1, --t-to at least --t-from and at most {maxT}, got {From}..{To}");
        }

        if (Episodes is < 1 or > MaximumEpisodes)
        {
            throw new UsageException($"--episodes must be at least 1 and at most {MaximumEpisodes}, got {Episodes}");
        }

        if ((long)(To - From + 1) * Episodes > MaximumTotalEpisodes)
        {
            throw new UsageException($"--t-from {From} to --t-to {To} with --episodes {Episodes} is {(long)(To - From + 1) * Episodes} episodes, more than the {MaximumTotalEpisodes} an evaluation plays");
        }

        if (SelectLast < 1)
        {
            throw new UsageException($"--select-last must be at least 1, got {SelectLast}");
        }
    }
}
