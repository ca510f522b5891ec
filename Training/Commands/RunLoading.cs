using GridTime.Training.A3C;
using GridTime.Training.Runs;

namespace GridTime.Training.Commands;

/// <summary>Opens the checkpoint of a run for commands that read runs; bad input becomes a <see cref="UsageException"/>.</summary>
public static class RunLoading
{
    /// <summary>Loads <paramref name="checkpoint"/>, or the latest checkpoint of <paramref name="runFolder"/>.</summary>
    public static (CheckpointHeader Header, Agents.ActorCritic Network) Load(string runFolder, string? checkpoint = null)
    {
        var folder = new RunFolder(runFolder);
        if (checkpoint is null && !Directory.Exists(folder.Path))
        {
            throw new UsageException($"run folder {runFolder} does not exist");
        }

        string path = checkpoint ?? folder.LatestCheckpoint;
        if (!File.Exists(path))
        {
            throw new UsageException(checkpoint is null ? $"{runFolder} has no checkpoint (expected {path})" : $"checkpoint {path} does not exist");
        }

        try
        {
            (CheckpointHeader header, Agents.ActorCritic network, SharedAdam optimizer) = Checkpoint.Load(path);
            optimizer.Dispose();
            return (header, network);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message, e);
        }
    }
}
