using GridTime.Training.A3C;
using GridTime.Training.Runs;

namespace GridTime.Training.Commands;

/// <summary>Opens the checkpoint of a run for commands that read runs; bad input becomes a <see cref="UsageException"/>.</summary>
public static class RunLoading
{
    /// <summary>
    /// Reads and verifies <paramref name="checkpoint"/>, or the latest checkpoint of <paramref name="runFolder"/>,
    /// once (<see cref="Checkpoint.Read"/>): load the network from the result, never from the path again.
    /// </summary>
    public static CheckpointFile Read(string runFolder, string? checkpoint = null)
    {
        var folder = new RunFolder(runFolder);
        if (checkpoint is null)
        {
            RequireRunFolder(runFolder);
        }

        string path = checkpoint ?? folder.LatestCheckpoint;
        if (Directory.Exists(path))
        {
            throw new UsageException($"checkpoint {path} is a folder, not a checkpoint file (give a .ckpt file, or the run folder with --run)");
        }

        if (!File.Exists(path))
        {
            throw new UsageException(checkpoint is null ? $"{runFolder} has no checkpoint (expected {path})" : $"checkpoint {path} does not exist");
        }

        try
        {
            return Checkpoint.Read(path);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message, e);
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
