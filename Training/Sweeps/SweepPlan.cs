using System.Globalization;
using System.Text.Json;
using GridTime.Agents;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Training.Sweeps;

/// <summary>
/// One cell of a sweep: an (agent, seed, setting combination), trained and evaluated as its own resumable run in
/// the folder <see cref="Name"/> inside the sweep folder.
/// </summary>
/// <param name="Index">Its place in the plan, 0-based (the Slurm array task id that runs it).</param>
/// <param name="Name">Its run folder's name: AGENT-sSEED, then _NAME=VALUE for each swept setting.</param>
/// <param name="Settings">The swept settings' values of this cell (kebab-case name → value as written), in the order of the plan.</param>
/// <param name="Config">Every training setting of the cell.</param>
public sealed record SweepCell(int Index, string Name, IReadOnlyList<KeyValuePair<string, string>> Settings, TrainConfig Config)
{
    /// <summary>The swept settings as "learning-rate=0.0001 entropy-coef=0.01" (empty when nothing is swept).</summary>
    public string SettingsLabel => string.Join(' ', Settings.Select(s => $"{s.Key}={s.Value}"));

    /// <summary>"1 cell", "0 cells", "4 cells": a count of cells for a message.</summary>
    public static string Count(int count) => string.Create(CultureInfo.InvariantCulture, $"{count} cell{(count == 1 ? "" : "s")}");
}

/// <summary>
/// The whole of a sweep, written to <see cref="FileName"/> in the sweep folder before any cell runs: the cells
/// (agents x seeds x setting combinations), the evaluation every cell gets, and how to start GridTime itself
/// (which a Slurm task calls to run its cell). Rerunning a sweep into the same folder must give the same plan,
/// except for <see cref="TrainConfig.Frames"/> (a larger budget trains the cells on), <see cref="TrainConfig.Workers"/>
/// (a backend's choice) and <see cref="TrainConfig.ProgressSeconds"/> (<see cref="SweepRunner.Adjustable"/>).
/// </summary>
/// <param name="Program">The command that starts this GridTime: the dotnet host and gridtime.dll, or the gridtime executable.</param>
/// <param name="Command">The command line that made the plan (recorded in summary.md).</param>
/// <param name="Swept">The swept settings and their values.</param>
/// <param name="Eval">The evaluation of every cell.</param>
/// <param name="Cells">The cells in order: agents slowest, then setting combinations, then seeds.</param>
public sealed record SweepPlan(IReadOnlyList<string> Program, string Command, IReadOnlyList<SweptSetting> Swept, EvalSettings Eval, IReadOnlyList<SweepCell> Cells)
{
    /// <summary>The plan's file in the sweep folder.</summary>
    public const string FileName = "sweep-plan.json";

    /// <summary>Largest plan file read: 16 MiB (a cell takes about 1.5 KiB).</summary>
    public const long MaximumFileBytes = 16 << 20;

    /// <summary>Most cells one sweep plans: what a plan file of <see cref="MaximumFileBytes"/> holds, with room.</summary>
    public const int MaximumCells = 10_000;

    /// <summary>The agents, in the order given.</summary>
    public IReadOnlyList<CoreKind> Agents => [.. Cells.Select(c => c.Config.Agent).Distinct()];

    /// <summary>
    /// The plan of <paramref name="agents"/> x <paramref name="seeds"/> x every combination of <paramref name="swept"/>,
    /// each cell <paramref name="template"/> with its agent, seed and settings.
    /// </summary>
    public static SweepPlan Make(IReadOnlyList<CoreKind> agents, IReadOnlyList<ulong> seeds, IReadOnlyList<SweptSetting> swept, TrainConfig template, EvalSettings eval, string command)
    {
        // A swept setting of a part an agent lacks (the timer's time-left loss for baseline, say) would only give copies
        // of the same cell under other names: the agent's cells leave it out.
        var applicable = agents.Distinct().ToDictionary(agent => agent, agent => (IReadOnlyList<SweptSetting>)[.. swept.Where(s => s.Values.All(v =>
        {
            TrainConfig config = Settings<TrainConfig>.With(template, [new(s.Name, Settings<TrainConfig>.ParseSetting(s.Name, v, "--set " + s.Name))]) with { Agent = agent };
            return config.ForAgent(agent) == config;
        }))]);

        // Counted before any cell is made (a grid of a few --set flags can name billions).
        double count = agents.Sum(agent => applicable[agent].Aggregate((double)seeds.Count, (product, s) => product * s.Values.Count));
        if (count > MaximumCells)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"the sweep would have {count:N0} cells (agents x seeds x every combination of --set values), more than the {MaximumCells:N0} one sweep plans: sweep fewer values or split it"));
        }

        var cells = new List<SweepCell>();
        foreach (CoreKind agent in agents)
        {
            foreach (IReadOnlyList<KeyValuePair<string, string>> combination in SettingGrid.Combinations(applicable[agent]))
            {
                TrainConfig set = Settings<TrainConfig>.With(template, combination.Select(s => new KeyValuePair<string, object>(s.Key, Settings<TrainConfig>.ParseSetting(s.Key, s.Value, "--set " + s.Key))));
                foreach (ulong seed in seeds)
                {
                    string name = $"{agent.Name()}-s{seed}" + string.Concat(combination.Select(s => $"_{s.Key}={s.Value}"));
                    cells.Add(new SweepCell(cells.Count, name, combination, set.ForAgent(agent) with { Seed = seed })); // settings of parts the agent lacks stay at their defaults
                }
            }
        }

        return new SweepPlan(ProgramCommand(), command, swept, eval, cells);
    }

    /// <summary>The gridtime program's assembly, which runs each cell (Training/Cli).</summary>
    public const string ProgramFileName = "gridtime.dll";

    /// <summary>The run folder of <paramref name="cell"/> in the sweep folder <paramref name="folder"/>.</summary>
    public static RunFolder CellFolder(string folder, SweepCell cell) => new(Path.Combine(folder, cell.Name));

    /// <summary>
    /// The command that starts the gridtime program of this GridTime: the running gridtime executable, or the dotnet host
    /// with the gridtime.dll beside this library (the program's build output holds both, and so does a test's), absolute paths.
    /// </summary>
    public static IReadOnlyList<string> ProgramCommand()
    {
        string dll = Path.Combine(Path.GetDirectoryName(typeof(SweepPlan).Assembly.Location)!, ProgramFileName);
        string? process = System.Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == Path.GetFileNameWithoutExtension(ProgramFileName))
        {
            return [process];
        }

        // The runtime lives in DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/; the host is DOTNET_ROOT/dotnet.
        string host = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? process
            : Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return [host, dll];
    }

    /// <summary>Reads the plan of the sweep folder <paramref name="folder"/>, or null when it has none.</summary>
    /// <exception cref="UsageException">The plan file is unreadable, too large or not a plan.</exception>
    public static SweepPlan? Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        string text = InputFile.ReadAllText(path, MaximumFileBytes, "sweep plan");
        try
        {
            SweepPlan plan = JsonSerializer.Deserialize<SweepPlan>(text, Settings<TrainConfig>.Json) ?? throw new UsageException($"sweep plan {path} is empty");
            return plan.Cells.Select((c, i) => c.Index == i).All(x => x) ? plan : throw new UsageException($"sweep plan {path} is not valid: its cells are not numbered 0, 1, 2, ...");
        }
        catch (JsonException e)
        {
            throw new UsageException($"sweep plan {path} is not valid: {JsonErrors.Describe(e)}", e);
        }
    }

    /// <summary>The plan of <paramref name="folder"/>; a folder without one is a <see cref="UsageException"/>.</summary>
    public static SweepPlan Require(string folder) =>
        Read(folder) ?? throw new UsageException($"{folder} holds no sweep ({FileName} is missing): start one with gridtime sweep --run-dir {CommandLine.Quote(folder)} ...");

    /// <summary>Writes the plan into <paramref name="folder"/> (whole, through <see cref="OutputFile"/>).</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        OutputFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, Settings<TrainConfig>.Json));
    }

    /// <summary>
    /// Why <paramref name="existing"/>, the plan already in <paramref name="folder"/>, is not this plan, in one line,
    /// or null when they agree: the same cells with the same settings (but for the training budget, the workers and the
    /// progress interval) and the same evaluation.
    /// </summary>
    public string? DifferenceFrom(SweepPlan existing, string folder)
    {
        string[] mine = [.. Cells.Select(c => c.Name)], theirs = [.. existing.Cells.Select(c => c.Name)];
        if (!mine.SequenceEqual(theirs))
        {
            string? added = mine.Except(theirs).FirstOrDefault(), missing = theirs.Except(mine).FirstOrDefault();
            string what = added is not null ? $"this command adds the cell {added}" : missing is not null ? $"this command lacks its cell {missing}" : "its cells are in another order";
            return $"{folder} holds a sweep of {SweepCell.Count(theirs.Length)} planned otherwise: {what} ({SweepCell.Count(mine.Length)})";
        }

        if (Eval != existing.Eval)
        {
            (string name, string before, string now) = Settings<EvalSettings>.Properties
                .Select(p => (Settings<EvalSettings>.NameOf(p), Settings<EvalSettings>.Format(p.GetValue(existing.Eval)), Settings<EvalSettings>.Format(p.GetValue(Eval))))
                .First(d => d.Item2 != d.Item3);
            return $"{folder} holds a sweep evaluated otherwise: its evaluation's {name} is {before} there but {now} in this command";
        }

        foreach ((SweepCell cell, SweepCell old) in Cells.Zip(existing.Cells))
        {
            var differences = ResumePlan.Differences(SweepRunner.Adjustable(old.Config, cell.Config), cell.Config);
            if (differences.Count > 0)
            {
                (string setting, string before, string now) = differences[0];
                return $"{folder} holds {cell.Name} planned with other settings: {setting} is {before} there but {now} in this command"
                    + $"{(differences.Count > 1 ? $" (and {differences.Count - 1} more)" : "")}; give the settings it was made with, or a new --run-dir";
            }
        }

        return null;
    }
}
