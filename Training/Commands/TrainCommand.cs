using System.CommandLine;
using GridTime.Agents;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Training.Commands;

/// <summary>
/// <c>gridtime train</c>: A3C training of one agent, the main job of GridTime. Settings come from the
/// defaults of <see cref="TrainConfig"/>, then <c>--config FILE</c>, then flags. <c>--resume RUN</c>
/// continues a run from its latest checkpoint.
/// </summary>
public static class TrainCommand
{
    /// <summary>Exit code when training was interrupted by Ctrl+C or SIGTERM (see <see cref="Program.Interrupted"/>).</summary>
    public const int Interrupted = Program.Interrupted;

    // Settings that shape the network or the task: a resumed run must keep them.
    private static readonly string[] FixedOnResume = [nameof(TrainConfig.Agent), nameof(TrainConfig.GridSize), nameof(TrainConfig.MinT), nameof(TrainConfig.MaxT),
        nameof(TrainConfig.MaxReward), nameof(TrainConfig.Hidden), nameof(TrainConfig.ArithmeticWidth), nameof(TrainConfig.Seed)];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var binding = new ConfigBinding<TrainConfig>();
        var configFile = new Option<string>("--config") { Description = "JSON file of settings (keys as in config.json); flags override it.", HelpName = "file" };
        var runDir = new Option<string>("--run-dir") { Description = "Folder of the run [default: runs/AGENT-sSEED-TIME]; must not exist yet.", HelpName = "folder" };
        var resume = new Option<string>("--resume") { Description = "Continue the run in this folder from its latest checkpoint (frames, weights, optimizer, config).", HelpName = "run" };
        var command = new Command("train", "Train an agent with A3C (asynchronous workers, shared Adam) and write runs/NAME/.");
        command.Options.Add(configFile);
        command.Options.Add(runDir);
        command.Options.Add(resume);
        foreach (Option option in binding.Options)
        {
            command.Options.Add(option);
        }

        command.SetAction(parsed =>
        {
            string? resumeFolder = parsed.GetValue(resume);
            (TrainConfig config, RunFolder folder, ResumePoint? resumePoint) = resumeFolder is null
                ? PrepareNewRun(parsed, binding, parsed.GetValue(configFile), parsed.GetValue(runDir))
                : PrepareResume(parsed, binding, resumeFolder, parsed.GetValue(configFile) is not null || parsed.GetValue(runDir) is not null);

            TrainingOutcome outcome = Trainer.Start(config, folder, resumePoint, Program.Stop);
            return outcome.Interrupted ? Interrupted : 0;
        });
        return command;
    }

    /// <summary>Resolves the settings and folder of a new run; touches nothing on disk.</summary>
    public static (TrainConfig Config, RunFolder Folder, ResumePoint? Resume) PrepareNewRun(ParseResult parsed, ConfigBinding<TrainConfig> binding, string? configFile, string? runDir)
    {
        TrainConfig baseline = configFile is null ? new TrainConfig() : ConfigBinding<TrainConfig>.ReadFile(configFile, RunFolder.VersionsKey);
        TrainConfig config = Validated(binding.ApplyFlags(baseline, parsed));
        string path = runDir ?? Path.Combine("runs", $"{config.Agent.Name()}-s{config.Seed}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (File.Exists(path) || (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()))
        {
            throw new UsageException($"run folder {path} already exists and is not empty (use --resume {path} to continue it)");
        }

        return (config, new RunFolder(path), null);
    }

    /// <summary>
    /// Resolves the settings of a resumed run from its newest undamaged checkpoint (see <see cref="ResumePoint"/>);
    /// touches nothing on disk.
    /// </summary>
    public static (TrainConfig Config, RunFolder Folder, ResumePoint? Resume) PrepareResume(ParseResult parsed, ConfigBinding<TrainConfig> binding, string resumeFolder, bool conflicting)
    {
        if (conflicting)
        {
            throw new UsageException("--resume takes its settings from the run: do not combine it with --config or --run-dir");
        }

        var folder = new RunFolder(resumeFolder);
        if (!Directory.Exists(folder.Path))
        {
            throw new UsageException($"--resume: run folder {resumeFolder} does not exist");
        }

        ResumePoint resumePoint;
        try
        {
            resumePoint = ResumePoint.Find(folder) ?? throw new UsageException($"--resume: {resumeFolder} has no checkpoint (expected {folder.LatestCheckpoint})");
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--resume: {e.Message}", e);
        }

        CheckpointHeader header = resumePoint.Header;

        string? changed = binding.GivenFlags(parsed).FirstOrDefault(FixedOnResume.Contains);
        if (changed is not null)
        {
            throw new UsageException($"{ConfigBinding<TrainConfig>.FlagOf(changed)} cannot change when resuming (it shapes the network or the task)");
        }

        TrainConfig config = Validated(binding.ApplyFlags(header.Config, parsed));
        if (header.Frames >= config.Frames)
        {
            throw new UsageException($"--resume: the run already trained {header.Frames:N0} of its {config.Frames:N0} frames (raise --frames to go on)");
        }

        return (config, folder, resumePoint);
    }

    private static TrainConfig Validated(TrainConfig config)
    {
        IReadOnlyList<string> problems = config.Problems();
        return problems.Count == 0 ? config : throw new UsageException(string.Join("; ", problems));
    }
}
