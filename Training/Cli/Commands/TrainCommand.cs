using System.Text.Json.Nodes;
using System.CommandLine;
using GridTime.Agents;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime train</c>: A3C training of one agent, the main job of GridTime. Settings come from the
/// defaults of <see cref="TrainConfig"/>, then <c>--config FILE</c>, then flags. <c>--resume RUN</c>
/// continues a run from its latest checkpoint.
/// </summary>
public static class TrainCommand
{
    /// <summary>Exit code when training was interrupted by Ctrl+C or SIGTERM (see <see cref="Program.Interrupted"/>).</summary>
    public const int Interrupted = Program.Interrupted;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var binding = new ConfigBinding<TrainConfig>();
        var configFile = new Option<string>("--config") { Description = "JSON file of settings (keys as in config.json; a key it lacks means the default, except in a run's own config.json, where a setting added since stands for how that run was trained); flags override it.", HelpName = "file" };
        var runDir = new Option<string>("--run-dir") { Description = "Folder of the run [default: runs/AGENT-sSEED-TIME]; must not exist yet.", HelpName = "folder" };
        var resume = new Option<string>("--resume") { Description = "Continue the run in this folder from its latest checkpoint (frames, weights, optimizer, config).", HelpName = "run" };
        var command = new Command("train", "Train an agent with A3C (asynchronous workers, shared Adam) and write runs/NAME/.");
        command.Options.Add(configFile);
        command.Options.Add(runDir);
        command.Options.Add(resume);
        binding.AddTo(command);

        command.SetAction(parsed =>
        {
            string? resumeFolder = parsed.GetValue(resume);
            (TrainConfig config, RunFolder folder, SessionStart start) = resumeFolder is null
                ? PrepareNewRun(parsed, binding, parsed.GetValue(configFile), parsed.GetValue(runDir))
                : PrepareResume(parsed, binding, resumeFolder, parsed.GetValue(configFile) is not null || parsed.GetValue(runDir) is not null);

            TrainingOutcome outcome = Trainer.Start(config, folder, start, Program.Stop);
            return outcome.Interrupted ? Interrupted : 0;
        });
        return command;
    }

    /// <summary>
    /// The settings of a --config file. A run's own config.json (it holds the run block) was written by GridTime: a key
    /// it lacks stands for how that run was trained, as when the run is resumed (<see cref="TrainConfig.AsWrittenBefore"/>),
    /// so that a new run started from it trains as the old one did.
    /// </summary>
    public static TrainConfig SettingsOf(string configFile)
    {
        JsonObject fields = Settings<TrainConfig>.ReadObject(configFile);
        return fields.ContainsKey(RunFolder.RunKey)
            ? RunFolder.SettingsWrittenIn(fields, configFile)
            : Settings<TrainConfig>.FromObject(fields, configFile, RunFolder.RecordKeys);
    }

    /// <summary>Resolves the settings and folder of a new run; touches nothing on disk.</summary>
    public static (TrainConfig Config, RunFolder Folder, SessionStart Start) PrepareNewRun(ParseResult parsed, ConfigBinding<TrainConfig> binding, string? configFile, string? runDir)
    {
        TrainConfig baseline = configFile is null ? new TrainConfig() : SettingsOf(configFile);
        TrainConfig config = Validated(binding.ApplyFlags(baseline, parsed));
        string path = runDir ?? Path.Combine("runs", $"{config.Agent.Name()}-s{config.Seed}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (string.IsNullOrEmpty(path))
        {
            throw new UsageException("--run-dir is empty");
        }

        if (File.Exists(path))
        {
            throw new UsageException($"--run-dir {path} is a file, not a folder: name a new folder for the run");
        }

        if (Directory.Exists(path) && HoldsFiles(path))
        {
            throw new UsageException($"run folder {path} already exists and is not empty (use --resume {path} to continue it)");
        }

        // A run inside another run's folder would mix its files with that run's (its checkpoints/ taken for that run's).
        if (RunFolder.EnclosingRun(path) is { } enclosing)
        {
            throw new UsageException(runDir is null
                ? $"the new run's default folder {path} would be inside the run folder {enclosing}, which holds only its own files; run from outside it or give --run-dir"
                : $"--run-dir {path} is inside the run folder {enclosing}, which holds only its own files; choose a folder outside it");
        }

        return (config, new RunFolder(path), SessionStart.NewRun());
    }

    /// <summary>
    /// Resolves the settings of a resumed run (see <see cref="ResumePlan"/>); touches nothing on disk.
    /// </summary>
    public static (TrainConfig Config, RunFolder Folder, SessionStart Start) PrepareResume(ParseResult parsed, ConfigBinding<TrainConfig> binding, string resumeFolder, bool conflicting)
    {
        if (conflicting)
        {
            throw new UsageException("--resume takes its settings from the run: do not combine it with --config or --run-dir");
        }

        if (string.IsNullOrEmpty(resumeFolder))
        {
            throw new UsageException("--resume is empty");
        }

        var folder = new RunFolder(resumeFolder);
        (TrainConfig config, SessionStart start) = ResumePlan.Make(folder, settings => binding.ApplyFlags(settings, parsed), Validated);
        return (config, folder, start);
    }

    // A folder a run may start in: nothing but empty folders and a stale lock (a process killed as it began).
    private static bool HoldsFiles(string path)
    {
        string full = Path.GetFullPath(path);
        return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Any(f => f != Path.Combine(full, RunLock.FileName));
    }

    private static TrainConfig Validated(TrainConfig config)
    {
        IReadOnlyList<string> problems = config.Problems();
        return problems.Count == 0 ? config : throw new UsageException(string.Join("; ", problems));
    }
}
