using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridTime.Agents;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Files;

namespace GridTime.Training.Runs;

/// <summary>Counters and provenance saved with a checkpoint.</summary>
/// <param name="Frames">Frames consumed by learning.</param>
/// <param name="WallSeconds">Training time so far, over all sessions of the run.</param>
/// <param name="Config">The run's settings at the moment of the checkpoint.</param>
public sealed record CheckpointHeader(long Frames, double WallSeconds, TrainConfig Config)
{
    /// <summary>
    /// The identity of the run the checkpoint belongs to (<see cref="RunIdentity"/>); null in checkpoints made
    /// by a GridTime from before run identities, whose run cannot be verified.
    /// </summary>
    public string? RunId { get; init; }

    /// <summary>The GridTime version that wrote the checkpoint (version+commit); null in older checkpoints.</summary>
    public string? Version { get; init; }

    /// <summary>Every setting changed by a resume so far, with the frame at which the change began (oldest first).</summary>
    public IReadOnlyList<SettingChange> Changes { get; init; } = [];
}

/// <summary>One setting changed when a run was resumed.</summary>
/// <param name="Frames">The frame count at which the new value began to apply.</param>
/// <param name="Setting">The setting's flag name without dashes, e.g. "learning-rate".</param>
/// <param name="From">The value before (as written in config.json).</param>
/// <param name="To">The value from then on.</param>
public sealed record SettingChange(long Frames, string Setting, string From, string To);

/// <summary>
/// A checkpoint file read once and verified: the bytes that were checked are the bytes that get used, so a
/// file replaced on disk between choosing and loading (a training run writing latest.ckpt) cannot slip in.
/// </summary>
/// <param name="Path">Where it was read from.</param>
/// <param name="Content">Its verified content, without the trailing checksum.</param>
/// <param name="Sha256">SHA-256 of the whole file as read, lowercase hex (what <c>sha256sum</c> prints).</param>
/// <param name="Header">Its header.</param>
/// <param name="Warning">Set when the file's format cannot be verified (an unchecked GTCKPT01 file); says why, naming the file.</param>
public sealed record CheckpointFile(string Path, byte[] Content, string Sha256, CheckpointHeader Header, string? Warning);

/// <summary>
/// A snapshot of a run: counters, config and provenance (JSON), the shared network (<see cref="AgentFile"/>)
/// and the shared optimizer's state. Layout: "GTCKPT02", a 32-bit length, that many bytes of UTF-8 JSON
/// (<see cref="CheckpointHeader"/>), the agent file, the optimizer state, and a SHA-256 of all the bytes
/// before it, so that any damage (a torn copy, a flipped bit) is found before a single weight is used.
/// </summary>
public static class Checkpoint
{
    /// <summary>Suffix of a checkpoint being written; such a file is never complete and is removed on resume.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Largest checkpoint file read (4 GiB of weights and moments is far beyond any network GridTime can train).</summary>
    public const long MaximumBytes = 4L << 30;

    private const int ChecksumLength = 32;

    // GTCKPT02 ends with a SHA-256 of everything before it; GTCKPT01 (no checksum, early GridTime) is read with a warning.
    private static readonly byte[] Magic = "GTCKPT02"u8.ToArray();
    private static readonly byte[] UncheckedMagic = "GTCKPT01"u8.ToArray();

    /// <summary>
    /// Serialises the snapshot in memory under the optimizer lock (so weights, moments and frame count agree),
    /// then writes it to a temporary file and renames it to each of <paramref name="paths"/>; its header names the
    /// run (<see cref="SharedTraining.RunId"/>) and no setting changes.
    /// </summary>
    public static void Save(SharedTraining shared, double wallSeconds, params string[] paths) => Save(shared, wallSeconds, [], _ => paths);

    /// <summary>
    /// A run's checkpoint: as <see cref="Save(SharedTraining, double, string[])"/>, with the settings resumes changed so
    /// far (<paramref name="changes"/>), to <paramref name="folder"/>'s periodic checkpoint of the frames the snapshot
    /// holds (read under the lock, so that the name is the frames inside even when a worker finished an update after
    /// the interval was seen) and to latest.ckpt, the same bytes.
    /// </summary>
    public static void Save(SharedTraining shared, double wallSeconds, RunFolder folder, IReadOnlyList<SettingChange> changes) =>
        Save(shared, wallSeconds, changes, frames => [folder.PeriodicCheckpoint(frames), folder.LatestCheckpoint]);

    private static void Save(SharedTraining shared, double wallSeconds, IReadOnlyList<SettingChange> changes, Func<long, string[]> pathsOf)
    {
        using var buffer = new MemoryStream();
        string[] paths;
        lock (shared.Optimizer.Lock)
        {
            using var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true);
            var header = new CheckpointHeader(shared.Frames, wallSeconds, shared.Config) { RunId = shared.RunId, Changes = changes, Version = RunFolder.GridTimeVersion };
            paths = pathsOf(header.Frames);
            JsonHeader.Write(writer, Magic, header, Settings<TrainConfig>.Json);
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
    /// Reads <paramref name="path"/> once and checks it whole (magic, checksum, header). A file that is not a
    /// regular file, not a checkpoint, too large or damaged gives an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static CheckpointFile Read(string path)
    {
        byte[] bytes = ReadBytes(path);
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (bytes.AsSpan().StartsWith(UncheckedMagic))
        {
            // An unchecked file is parsed in full now (network and optimizer) so that damage or trailing bytes,
            // such as a GTCKPT02 file relabelled GTCKPT01, are refused rather than loaded.
            CheckpointHeader old = ParseWhole(path, bytes, optimizerConfig: null, keep: false).Header;
            return new CheckpointFile(path, bytes, sha256, old,
                $"{path} is a GTCKPT01 checkpoint (older GridTime) without a checksum: damage to it cannot be detected");
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

        byte[] content = bytes[..^ChecksumLength];
        using var reader = new BinaryReader(new MemoryStream(content, writable: false));
        return new CheckpointFile(path, content, sha256, ReadHeader(reader, path), null);
    }

    /// <summary>
    /// Checks that <paramref name="path"/> is a whole, undamaged checkpoint (magic, header, checksum) and
    /// returns its header; throws <see cref="InvalidDataException"/> naming the file and the problem.
    /// </summary>
    public static CheckpointHeader Verify(string path) => Read(path).Header;

    /// <summary>Reads and loads <paramref name="path"/> (see <see cref="Read"/> and <see cref="Load(CheckpointFile, TrainConfig?)"/>).</summary>
    public static (CheckpointHeader Header, ActorCritic Network, SharedAdam Optimizer) Load(string path)
    {
        CheckpointFile file = Read(path);
        (ActorCritic network, SharedAdam optimizer) = Load(file);
        return (file.Header, network, optimizer);
    }

    /// <summary>
    /// Builds the network and optimizer from a file already read and verified. The optimizer takes its
    /// hyperparameters (betas, epsilon, learning-rate scales) from <paramref name="optimizerConfig"/> when given
    /// (a resume that changes them), otherwise from the checkpoint's own config; its moments come from the file.
    /// </summary>
    public static (ActorCritic Network, SharedAdam Optimizer) Load(CheckpointFile file, TrainConfig? optimizerConfig = null)
    {
        (_, ActorCritic network, SharedAdam optimizer) = ParseWhole(file.Path, file.Content, optimizerConfig, keep: true);
        return (network, optimizer);
    }

    // Parses header, network and optimizer and checks that nothing follows them.
    private static (CheckpointHeader Header, ActorCritic Network, SharedAdam Optimizer) ParseWhole(string path, byte[] content, TrainConfig? optimizerConfig, bool keep)
    {
        using var stream = new MemoryStream(content, writable: false);
        using var reader = new BinaryReader(stream);
        CheckpointHeader header = ReadHeader(reader, path);
        ActorCritic network = AgentFile.Load(stream, path);
        SharedAdam? optimizer = null;
        try
        {
            optimizer = SharedAdam.For(network, optimizerConfig ?? header.Config);
            optimizer.Load(reader);
            if (stream.Position != stream.Length)
            {
                throw new InvalidDataException($"{path} is damaged ({stream.Length - stream.Position} bytes after the optimizer state)");
            }

            if (!keep)
            {
                optimizer.Dispose();
                network.Dispose();
            }

            return (header, network, optimizer);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or ArgumentException)
        {
            optimizer?.Dispose();
            network.Dispose();
            throw new InvalidDataException(e is EndOfStreamException ? $"{path} is truncated (optimizer state incomplete)" : e is InvalidDataException ? e.Message : $"{path}: {e.Message}", e);
        }
    }

    private static byte[] ReadBytes(string path)
    {
        try
        {
            return InputFile.ReadAllBytes(path, MaximumBytes, "checkpoint");
        }
        catch (UsageException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        long start = reader.BaseStream.Position;
        byte[] magic = reader.ReadBytes(UncheckedMagic.Length);
        reader.BaseStream.Position = start;
        JsonSerializerOptions json = Settings<TrainConfig>.Json;
        JsonObject fields = JsonHeader.ReadObject(reader, magic.AsSpan().SequenceEqual(UncheckedMagic) ? UncheckedMagic : Magic, path, "GridTime checkpoint");
        CheckpointHeader header = JsonHeader.Deserialize<CheckpointHeader>(fields, path, json);
        return fields[json.PropertyNamingPolicy!.ConvertName(nameof(CheckpointHeader.Config))] is JsonObject config
            ? header with { Config = header.Config.AsWrittenBefore(Settings<TrainConfig>.KeysAbsentFrom(config)) }
            : header;
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
