using System.Buffers.Binary;
using System.Numerics;
using Google.Protobuf;
using Tensorboard;

namespace GridTime.Training.Runs;

/// <summary>
/// Writes one TensorBoard event file: TFRecord records (length, masked CRC-32C of the length, an <c>Event</c>
/// protocol buffer, masked CRC-32C of it) with TorchSharp's generated protocol-buffer types. Every event's wall time
/// is in Unix seconds, as TensorBoard reads it (TorchSharp's own SummaryWriter writes .NET ticks in the first event
/// and 0 in the others, which puts the run in the year 20 billion). Each call is flushed, so a crash loses nothing
/// written before it.
/// </summary>
public sealed class TensorBoardFile : IDisposable
{
    private static int _files;
    private readonly FileStream _file;

    /// <summary>Starts a new event file in <paramref name="folder"/> (created if missing) with its file-version event.</summary>
    public TensorBoardFile(string folder)
    {
        Directory.CreateDirectory(folder);
        double now = UnixSeconds(DateTimeOffset.UtcNow);
        // Unique for each file of the process (a resume rebuilds tb/ and starts a new file within the same second).
        int number = Interlocked.Increment(ref _files);
        Path = System.IO.Path.Combine(folder, $"events.out.tfevents.{(long)now}.{System.Environment.MachineName}.{System.Environment.ProcessId}.{number:D6}");
        _file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        Write(new Event { WallTime = now, FileVersion = "brain.Event:2" });
    }

    /// <summary>The event file's path.</summary>
    public string Path { get; }

    /// <summary>Seconds since 1970-01-01 UTC, the wall time of TensorBoard's events.</summary>
    public static double UnixSeconds(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).TotalSeconds;

    /// <summary>
    /// Writes scalars at <paramref name="step"/> (32-bit in TensorBoard: larger steps are written at int.MaxValue)
    /// with wall time <paramref name="wallTime"/> (Unix seconds); values that are not finite are left out.
    /// </summary>
    public void Scalars(long step, double wallTime, IEnumerable<(string Tag, double Value)> values)
    {
        var summary = new Summary();
        foreach ((string tag, double value) in values)
        {
            if (double.IsFinite(value))
            {
                summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
            }
        }

        if (summary.Value.Count > 0)
        {
            Write(new Event { WallTime = wallTime, Step = Math.Min(step, int.MaxValue), Summary = summary });
        }
    }

    /// <summary>Writes <paramref name="markdown"/> under <paramref name="tag"/> for TensorBoard's text tab.</summary>
    public void Text(string tag, string markdown, long step, double wallTime)
    {
        var value = new Summary.Types.Value
        {
            Tag = tag,
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = "text" } },
            Tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() },
        };
        value.Tensor.StringVal.Add(ByteString.CopyFromUtf8(markdown));
        var summary = new Summary();
        summary.Value.Add(value);
        Write(new Event { WallTime = wallTime, Step = Math.Min(step, int.MaxValue), Summary = summary });
    }

    private void Write(Event message)
    {
        byte[] data = message.ToByteArray();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(data));
        _file.Write(header);
        _file.Write(data);
        _file.Write(footer);
        _file.Flush();
    }

    /// <summary>
    /// The wall time (Unix seconds) at which each step's scalars were written, over every event file in
    /// <paramref name="folder"/> (the latest where a step was written more than once, as after a resume that redid it).
    /// A record whose checksums do not verify ends its file's reading (a crash can leave a half-written last record);
    /// a folder that does not exist has none.
    /// </summary>
    public static IReadOnlyDictionary<long, double> ScalarWallTimes(string folder)
    {
        var times = new Dictionary<long, double>();
        if (!Directory.Exists(folder))
        {
            return times;
        }

        foreach (string file in Directory.GetFiles(folder, "events.out.tfevents.*"))
        {
            if (Files.FileStatus.Of(file, followLinks: false) is not { Kind: Files.FileKind.Regular })
            {
                continue;
            }

            byte[] bytes = File.ReadAllBytes(file);
            for (int at = 0; at + 12 <= bytes.Length;)
            {
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)) != MaskedCrc(bytes.AsSpan(at, 8)) || length > (ulong)(bytes.Length - at - 16))
                {
                    break;
                }

                ReadOnlySpan<byte> data = bytes.AsSpan(at + 12, (int)length);
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length)) != MaskedCrc(data))
                {
                    break;
                }

                Event message = Event.Parser.ParseFrom(data.ToArray()); // the span overload needs generated code TorchSharp's types lack
                if (message.Summary?.Value.Any(v => v.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue) == true)
                {
                    times[message.Step] = times.TryGetValue(message.Step, out double earlier) ? Math.Max(earlier, message.WallTime) : message.WallTime;
                }

                at += 16 + (int)length;
            }
        }

        return times;
    }

    /// <summary>TFRecord's masked CRC-32C (Castagnoli): the CRC rotated right by 15 bits plus 0xa282ead8.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        crc ^= 0xFFFFFFFF;
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8U;
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
