using System.CommandLine;
using GridTime.Training;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Agents;
using GridTime.Training.Config;
using GridTime.Training.Sweeps;

namespace GridTime.Cli.Commands;

/// <summary>
/// The flags <c>sweep</c> and <c>reproduce</c> share: the agents, the seeds, the sweep folder, the evaluation and
/// every training setting but the agent and the seed; read into a <see cref="SweepPlan"/>.
/// </summary>
public sealed class SweepOptions
{
    // Every training setting but the agent and the seed, which the sweep's own --agents and --seeds/--first-seed set per cell.
    private readonly ConfigBinding<TrainConfig> _binding = new(leaveOut: [nameof(TrainConfig.Agent), nameof(TrainConfig.Seed)]);
    private readonly ConfigBinding<SweepSettings> _sweep = new();
    private readonly Option<string> _runDir;
    private readonly EvalOptions _evaluation = new("--eval-seed");
    private readonly string _defaultFolder;

    /// <summary>Adds the flags to <paramref name="command"/>; the folder defaults to runs/<paramref name="defaultFolder"/>-TIME.</summary>
    public SweepOptions(Command command, string defaultFolder)
    {
        _defaultFolder = defaultFolder;
        _runDir = new Option<string>("--run-dir") { Description = $"Folder of the sweep [default: runs/{defaultFolder}-TIME]; give an existing one to resume it.", HelpName = "folder" };
        _sweep.AddTo(command);
        command.Options.Add(_runDir);
        _evaluation.AddTo(command);
        _binding.AddTo(command);
    }

    /// <summary>Whether --workers was given (otherwise a backend may choose it).</summary>
    public bool WorkersGiven(ParseResult parsed) => _binding.GivenFlags(parsed).Contains(nameof(TrainConfig.Workers));

    /// <summary>The sweep folder given, or a new one under runs/.</summary>
    public string Folder(ParseResult parsed) => parsed.GetValue(_runDir) ?? Path.Combine("runs", $"{_defaultFolder}-{DateTime.Now:yyyyMMdd-HHmmss}");

    /// <summary>
    /// The plan the flags give, with <paramref name="setFlags"/> swept and <paramref name="adjust"/> applied to the
    /// template (a backend's choice of workers). Bad input is a <see cref="UsageException"/>.
    /// </summary>
    public SweepPlan Plan(ParseResult parsed, IEnumerable<string> setFlags, Func<TrainConfig, TrainConfig> adjust)
    {
        SweepSettings sweep = _sweep.ApplyFlags(new SweepSettings(), parsed);
        sweep.Validate();
        IReadOnlyList<CoreKind> agents = sweep.Agents;
        EvalSettings eval = _evaluation.Read(parsed);
        TrainConfig template = adjust(_binding.ApplyFlags(new TrainConfig(), parsed));
        IReadOnlyList<string> problems = SettingGrid.SweepProblems(template, agents);
        if (problems.Count > 0)
        {
            throw new UsageException(string.Join("; ", problems));
        }

        IReadOnlyList<SweptSetting> swept = SettingGrid.Parse(setFlags, template, config => SettingGrid.SweepProblems(config, agents));
        HashSet<string> given = [.. _binding.GivenFlags(parsed).Select(Settings<TrainConfig>.FlagOf)];
        if (swept.FirstOrDefault(s => given.Contains("--" + s.Name)) is { } both) // else the flag would be silently overridden by each cell's value
        {
            throw new UsageException($"--{both.Name} is given as a flag and swept by --set {both.Name}=...: give it in one place");
        }

        // One comparison scores every cell under one task: a swept setting that changes the task or its reward (the
        // training range, m, the rules, when T is shown, the start cell, the grid) would have each cell scored under
        // the first cell's rules. Such a sweep is refused; one sweep per task compares agents under each.
        foreach (SweptSetting setting in swept)
        {
            if (setting.Values.Any(v => Settings<TrainConfig>.With(template, [new(setting.Name, Settings<TrainConfig>.ParseSetting(setting.Name, v, "--set " + setting.Name))]).World != template.World))
            {
                throw new UsageException($"--set {setting.Name}: {setting.Name} changes the task the cells are trained and scored on, and one comparison scores "
                    + $"every cell under one task; run one sweep per value (--{setting.Name} V --run-dir ...)");
            }
        }

        return SweepPlan.Make(agents, sweep.SeedList, swept, template, eval, "gridtime " + string.Join(' ', Program.Arguments.Select(CommandLine.Quote)));
    }
}
