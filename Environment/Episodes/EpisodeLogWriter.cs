namespace GridTime.Environment.Episodes;

/// <summary>
/// Appends episode records to a file. Records are encoded whole and written to a buffered stream, so the
/// file only ever grows by complete records except for a crash in the middle of a write; nothing is
/// flushed per step or per episode (call <see cref="Flush"/> at checkpoints). Not thread-safe: give each
/// writing thread its own file.
/// </summary>
public sealed class EpisodeLogWriter : IDisposable
{
    private readonly FileStream _file;

    /// <summary>
    /// Opens <paramref name="path"/> for appending, creating it (and its folder) if needed. If a crash left an
    /// incomplete last record, it is cut off first, so new records follow the last complete one and the file
    /// stays readable from start to end.
    /// </summary>
    public EpisodeLogWriter(string path)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        long? incomplete = File.Exists(path) ? EpisodeLogReader.Read(path).TruncatedAt : null;
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 1 << 16);
        if (incomplete is long offset)
        {
            _file.SetLength(offset);
            DroppedIncompleteRecord = true;
        }

        _file.Seek(0, SeekOrigin.End);
    }

    /// <summary>True when opening cut off an incomplete last record left by a crash.</summary>
    public bool DroppedIncompleteRecord { get; }

    /// <summary>The file written to.</summary>
    public string Path { get; }

    /// <summary>Records appended by this writer.</summary>
    public long Count { get; private set; }

    /// <summary>Appends one record.</summary>
    public void Append(EpisodeRecord record)
    {
        _file.Write(EpisodeLogFormat.Encode(record));
        Count++;
    }

    /// <summary>Pushes buffered records to the operating system.</summary>
    public void Flush() => _file.Flush();

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
