using System.Security.Cryptography;
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
/// shared optimizer's state. Layout: "GTCKPT02", a 32-bit length, that many bytes of UTF-8 JSON
/// (<see cref="CheckpointHeader"/>), the agent file, the optimizer state, and a SHA-256 of all the bytes
/// before it, so that any damage (a torn copy, a flipped bit) is found before a single weight is used.
/// </summary>
public static class Checkpoint
{
    /// <summary>Suffix of a checkpoint being written; such a file is never complete and is removed on resume.</summary>
    public const string TemporarySuffix = ".tmp";

    private const int ChecksumLength = 32;

    // GTCKPT02 ends with a SHA-256 of everything before it; GTCKPT01 (no checksum) is still read.
    private static readonly byte[] Magic = "GTCKPT02"u8.ToArray();
    private static readonly byte[] UncheckedMagic = "GTCKPT01"u8.ToArray();

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

        byte[] checksum = SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.Write(checksum);
        foreach (string path in paths)
        {
            // Written whole to a temporary file, then renamed: a crash leaves the previous file intact.
            string temporary = path + TemporarySuffix;
            try
            {
                using (var file = File.Create(temporary))
                {
                    int half = (int)buffer.Length / 2;
                    file.Write(buffer.GetBuffer(), 0, half);
                    FaultInjection.PauseIfAsked(FaultInjection.CheckpointWrite);
                    file.Write(buffer.GetBuffer(), half, (int)buffer.Length - half);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temporary, path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TryDelete(temporary);
                throw new IOException($"cannot write checkpoint {path}: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// Reads a whole checkpoint: header, network, and the optimizer state (into a new <see cref="SharedAdam"/>).
    /// A file that is not a checkpoint or is damaged gives an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static (CheckpointHeader Header, ActorCritic Network, SharedAdam Optimizer) Load(string path)
    {
        byte[] bytes = ReadVerified(path);
        using var stream = new MemoryStream(bytes, writable: false);
        using var reader = new BinaryReader(stream);
        CheckpointHeader header = ReadHeader(reader, path);
        ActorCritic network = AgentFile.Load(stream, path);
        SharedAdam? optimizer = null;
        try
        {
            optimizer = SharedAdam.For(network, header.Config);
            optimizer.Load(reader);
            return (header, network, optimizer);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException)
        {
            optimizer?.Dispose();
            network.Dispose();
            throw new InvalidDataException(e is EndOfStreamException ? $"{path} is truncated (optimizer state incomplete)" : $"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a whole, undamaged checkpoint (magic, header, checksum) and
    /// returns its header; throws <see cref="InvalidDataException"/> naming the file and the problem.
    /// </summary>
    public static CheckpointHeader Verify(string path)
    {
        byte[] bytes = ReadVerified(path);
        using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
        return ReadHeader(reader, path);
    }

    // The file's bytes, with the checksum of a GTCKPT02 file checked (and cut off).
    private static byte[] ReadVerified(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read checkpoint {path}: {e.Message}", e);
        }

        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"{path} is empty, not a GridTime checkpoint");
        }

        if (bytes.AsSpan().StartsWith(UncheckedMagic))
        {
            return bytes;
        }

        if (!bytes.AsSpan().StartsWith(Magic))
        {
            throw new InvalidDataException($"{path} is not a GridTime checkpoint");
        }

        if (bytes.Length < Magic.Length + ChecksumLength
            || !SHA256.HashData(bytes.AsSpan(0, bytes.Length - ChecksumLength)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - ChecksumLength)))
        {
            throw new InvalidDataException($"{path} is damaged or truncated (its checksum does not match its content)");
        }

        return bytes[..^ChecksumLength];
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        long start = reader.BaseStream.Position;
        byte[] magic = reader.ReadBytes(UncheckedMagic.Length);
        reader.BaseStream.Position = start;
        return JsonHeader.Read<CheckpointHeader>(reader, magic.AsSpan().SequenceEqual(UncheckedMagic) ? UncheckedMagic : Magic, path, "GridTime checkpoint", ConfigBinding<TrainConfig>.Json);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: a .tmp file is never taken for a checkpoint and is removed on resume.
        }
    }
}
