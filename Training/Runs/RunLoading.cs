using GridTime.Training.A3C;

namespace GridTime.Training.Runs;

/// <summary>Opens the checkpoint of a run for commands that read runs; bad input becomes a <see cref="UsageException"/>.</summary>
public static class RunLoading
{
    /// <summary>
    /// The checkpoint a command reads, by the one rule of eval, probe, export and inspect: <paramref name="checkpoint"/>
    /// when given (exactly that file), otherwise the newest checkpoint of <paramref name="runFolder"/> that verifies
    /// (<see cref="Read"/>). A checkpoint given with a run must belong to it (<see cref="RunMembership.Require"/>;
    /// <paramref name="remedy"/> says what to do instead); without a run (<paramref name="runFolder"/> null) it is read alone.
    /// </summary>
    /// <exception cref="UsageException">Neither is given, either is unusable, or the checkpoint belongs to another run.</exception>
    public static CheckpointFile Resolve(string? runFolder, string? checkpoint, string remedy)
    {
        if (runFolder is null)
        {
            return checkpoint is null ? throw new UsageException("give --run DIR or --checkpoint FILE") : Read("", checkpoint);
        }

        RequireRunFolder(runFolder);
        CheckpointFile read = Read(runFolder, checkpoint);
        if (checkpoint is not null)
        {
            var run = new RunFolder(runFolder);
            RunMembership.Require(run, RunMembership.ReadConfig(run), read.Header, checkpoint, remedy);
        }

        return read;
    }

    /// <summary>
    /// The run folder <paramref name="checkpoint"/> lies in (RUN/checkpoints/NAME.ckpt → RUN, where RUN holds a
    /// config.json), or null for a checkpoint anywhere else. Where it lies, not whose it is: see <see cref="RunMembership"/>.
    /// </summary>
    public static string? RunHolding(string checkpoint)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(checkpoint));
        string? run = folder is not null && Path.GetFileName(folder) == "checkpoints" ? Path.GetDirectoryName(folder) : null;
        return run is not null && File.Exists(new RunFolder(run).ConfigFile) ? run : null;
    }

    /// <summary>
    /// The run a <c>--checkpoint</c> given without <c>--run</c> stands for (<see cref="RunHolding"/>): eval, probe and
    /// export take it; a checkpoint elsewhere is a <see cref="UsageException"/> asking for --run.
    /// </summary>
    public static string RunOf(string checkpoint) =>
        RunHolding(checkpoint) ?? throw new UsageException($"{checkpoint} is not in a run's checkpoints/ folder: give --run DIR, the run it belongs to");

    /// <summary>
    /// Reads and verifies <paramref name="checkpoint"/>, or the newest checkpoint of <paramref name="runFolder"/> that
    /// verifies, once (<see cref="Checkpoint.Read"/>): load the network from the result, never from the path again.
    /// The one rule of every command that loads a run's network (eval, export, inspect, the API; resume and eval's
    /// selection read the same files): latest.ckpt, or, where it is missing or damaged, the newest periodic checkpoint
    /// (checkpoints/frames-N.ckpt) that verifies, with a <see cref="CheckpointFile.Warning"/> naming what was passed over.
    /// </summary>
    /// <exception cref="UsageException">An empty name, a missing folder or file, or a damaged checkpoint (the message names which).</exception>
    public static CheckpointFile Read(string runFolder, string? checkpoint = null)
    {
        if (string.IsNullOrWhiteSpace(runFolder) && checkpoint is null)
        {
            throw new UsageException("no run folder given (an empty name): give a run folder such as runs/NAME");
        }

        if (checkpoint is not null && string.IsNullOrWhiteSpace(checkpoint))
        {
            throw new UsageException("no checkpoint given (an empty name): give a .ckpt file such as runs/NAME/checkpoints/latest.ckpt");
        }

        var folder = new RunFolder(string.IsNullOrWhiteSpace(runFolder) ? "." : runFolder);
        if (checkpoint is null)
        {
            RequireRunFolder(runFolder);
        }

        string path = checkpoint ?? folder.LatestCheckpoint;
        if (Directory.Exists(path))
        {
            throw new UsageException($"checkpoint {path} is a folder, not a checkpoint file (give a .ckpt file, or the run folder with --run)");
        }

        string? latestProblem = null;
        if (!File.Exists(path))
        {
            if (checkpoint is not null)
            {
                throw new UsageException($"checkpoint {path} does not exist");
            }

            latestProblem = $"{path} is missing";
        }
        else
        {
            try
            {
                return Checkpoint.Read(path);
            }
            catch (InvalidDataException e) when (checkpoint is null)
            {
                latestProblem = e.Message;
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message, e);
            }
        }

        // latest.ckpt missing or damaged: the newest periodic checkpoint that verifies.
        string[] periodic = Directory.Exists(folder.CheckpointFolder)
            ? [.. Directory.GetFiles(folder.CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal).Reverse()]
            : [];
        var passedOver = new List<string>();
        foreach (string candidate in periodic)
        {
            try
            {
                CheckpointFile read = Checkpoint.Read(candidate);
                string skipped = passedOver.Count > 0 ? $" (passed over: {string.Join("; ", passedOver)})" : "";
                return read with { Warning = $"{latestProblem}; using {candidate}, the newest checkpoint of {folder.Name} that verifies{skipped}" + (read.Warning is { } own ? $"; {own}" : "") };
            }
            catch (InvalidDataException e)
            {
                passedOver.Add(e.Message);
            }
        }

        throw new UsageException(periodic.Length == 0
            ? (File.Exists(path) ? latestProblem! : $"{runFolder} has no checkpoint (expected {path})")
            : $"{latestProblem}, and no periodic checkpoint of {folder.Name} verifies: {string.Join("; ", passedOver)}");
    }

    /// <summary>
    /// How a command that shows several runs together names them: by their folders' names (runs/nac-s1 → "nac-s1"), or,
    /// where two names are the same (runs/a and other/a), each by its folder as given.
    /// </summary>
    public static string[] Labels(IReadOnlyList<RunFolder> runs, IReadOnlyList<string> given) =>
        runs.Select(run => run.Name).Distinct().Count() < runs.Count ? [.. given.Select(folder => folder.TrimEnd('/'))] : [.. runs.Select(run => run.Name)];

    /// <summary>
    /// Refuses (<see cref="UsageException"/>) an output path of a command that writes where the user says (plot, replay)
    /// when it names one of a run's own files: config.json, metrics.csv, the evaluation's and the probe's outputs, or
    /// anything in its checkpoints/, episodes/ or tb/ folder. Each of those is another command's output or input, even
    /// where it is of the same kind (a plot over eval.png would leave eval.csv describing a picture that is gone).
    /// </summary>
    public static void RefuseRunsOwnFile(string path, string what)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? full;
        if (File.Exists(new RunFolder(folder).ConfigFile) && RunFolder.OwnFileNames.Contains(Path.GetFileName(full)))
        {
            throw new UsageException($"{what} {path} is {Path.GetFileName(full)} of the run {folder}, written by another command: choose another name");
        }

        string? run = Path.GetDirectoryName(folder);
        if (run is not null && Path.GetFileName(folder) is "checkpoints" or "episodes" or "tb" && File.Exists(new RunFolder(run).ConfigFile))
        {
            throw new UsageException($"{what} {path} is in the {Path.GetFileName(folder)}/ folder of the run {run}, which holds only its training's own files: write elsewhere");
        }
    }

    /// <summary>Refuses (<see cref="UsageException"/>) a run folder that does not exist, or that is a file (a checkpoint given as a run?).</summary>
    public static void RequireRunFolder(string runFolder)
    {
        if (File.Exists(runFolder))
        {
            throw new UsageException($"run folder {runFolder} is a file, not a folder (a checkpoint? give it with --checkpoint)");
        }

        if (!Directory.Exists(runFolder))
        {
            throw new UsageException($"run folder {runFolder} does not exist");
        }
    }

    /// <summary>Builds the network of a checkpoint already read (<see cref="Read"/>), from those very bytes.</summary>
    public static Agents.ActorCritic Network(CheckpointFile file)
    {
        try
        {
            (Agents.ActorCritic network, SharedAdam optimizer) = Checkpoint.Load(file);
            optimizer.Dispose();
            return network;
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>Loads <paramref name="checkpoint"/>, or the latest checkpoint of <paramref name="runFolder"/>.</summary>
    public static (CheckpointHeader Header, Agents.ActorCritic Network) Load(string runFolder, string? checkpoint = null)
    {
        CheckpointFile file = Read(runFolder, checkpoint);
        return (file.Header, Network(file));
    }
}
