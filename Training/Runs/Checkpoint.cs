using System.Text;
using GridTime.Agents;
using GridTime.Training.A3C;
using GridTime.Training.Config;

namespace GridTime.Training.Runs;

/// <summary>Counters saved with a checkpoint.</summary>
/// <param name="Frames">Frames consumed by learning.</param>
/// <param name="WallSeconds">Training time so far, over all sessions of the run.</param>
/// <param name="Config">The run's settings.</param>
public sealed record CheckpointHeader(long Frames, double WallSeconds, TrainConfig Config);

/// <summary>
/// A snapshot of a run: counters and config (JSON), the shared network (<see cref="AgentFile"/>) and the
/// shared optimizer's state. Layout: "GTCKPT01", a 32-bit length, that many bytes of UTF-8 JSON
/// (<see cref="CheckpointHeader"/>), the agent file, the optimizer state.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "GTCKPT01"u8.ToArray();

    /// <summary>
    /// Serialises the snapshot in memory under the optimizer lock (so weights, moments and frame count agree),
    /// then writes it to a temporary file and renames it to each of <paramref name="paths"/>.
    /// </summary>
    public static void Save(SharedTraining shared, double wallSeconds, params string[] paths)
    {
        using var buffer = new MemoryStream();
        lock (shared.Optimizer.Lock)
        {
            using var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
            JsonHeader.Write(writer, Magic, new CheckpointHeader(shared.Frames, wallSeconds, shared.Config), ConfigBinding<TrainConfig>.Json);
            writer.Flush();
            AgentFile.Save(shared.Network, buffer);
            shared.Optimizer.Save(writer);
        }

        foreach (string path in paths)
        {
            string temporary = path + ".tmp";
            using (var file = File.Create(temporary))
            {
                buffer.Position = 0;
                buffer.CopyTo(file);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>Reads only the header of a checkpoint.</summary>
    public static CheckpointHeader ReadHeader(string path)
    {
        using var stream = OpenChecked(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path);
    }

    /// <summary>
    /// Reads a whole checkpoint: header, network, and the optimizer state (into a new <see cref="SharedAdam"/>).
    /// A file that is not a checkpoint or is damaged gives an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static (CheckpointHeader Header, ActorCritic Network, SharedAdam Optimizer) Load(string path)
    {
        using var stream = OpenChecked(path);
        using var reader = new BinaryReader(stream);
        CheckpointHeader header = ReadHeader(reader, path);
        ActorCritic network = AgentFile.Load(stream, path);
        var optimizer = SharedAdam.For(network, header.Config);
        try
        {
            optimizer.Load(reader);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path} is truncated (optimizer state incomplete)", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        return (header, network, optimizer);
    }

    private static FileStream OpenChecked(string path)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read checkpoint {path}: {e.Message}", e);
        }
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path) =>
        JsonHeader.Read<CheckpointHeader>(reader, Magic, path, "GridTime checkpoint", ConfigBinding<TrainConfig>.Json);
}
