namespace GridTime.Training.Files;

/// <summary>
/// Writes a command's output files whole or not at all: into a temporary file in the same folder (named for
/// this process, so two processes never share one), flushed to disk, then renamed over the final name, so the
/// previous version stays intact until the new one is complete. Before anything is written, a path that is
/// empty, an existing directory, a symlink, a FIFO or device, or the same file as one of the command's inputs
/// is refused.
/// </summary>
public static class OutputFile
{
    /// <summary>
    /// Refuses (<see cref="UsageException"/>, naming <paramref name="what"/> and the path) an output path that must
    /// not be written: empty, an existing directory, symlink or non-regular file, or the same file as one of
    /// <paramref name="inputs"/> (compared by device and inode, so other names and hard links count).
    /// </summary>
    public static void Check(string path, string what, params string[] inputs)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new UsageException($"the {what} path is empty");
        }

        // The folders it goes into: missing ones are made when it is written (OutputSet.Add), but a file where a
        // folder must be is bad input, said before any work.
        for (string? above = Path.GetDirectoryName(Path.GetFullPath(path)); above is not null; above = Path.GetDirectoryName(above))
        {
            if (Directory.Exists(above))
            {
                break;
            }

            if (File.Exists(above))
            {
                throw new UsageException($"{what} {path}: {above} is a file, not a folder");
            }
        }

        FileStatus? existing;
        try
        {
            existing = FileStatus.Of(path, followLinks: false);
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot write {what} {path}: {e.Message}", e);
        }

        if (existing is { Kind: not FileKind.Regular } other)
        {
            throw new UsageException($"{what} {path} is a {InputFile.Describe(other.Kind)}: refusing to replace it with a file");
        }

        if (existing is { } file)
        {
            foreach (string input in inputs)
            {
                if (FileStatus.Of(input) is { } read && read.SameFileAs(file))
                {
                    throw new UsageException($"{what} {path} is the input {input}: refusing to overwrite it");
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Check(string, string, string[])"/>, and the file is of <paramref name="format"/>: refused
    /// (<see cref="UsageException"/>) when the path's name promises another kind GridTime knows (a GIF named x.png,
    /// a plot named latest.ckpt) or when an existing file there is of another kind (a checkpoint, a CSV table, a PNG
    /// under a GIF), so that a mistyped --out never replaces a run's weights or results.
    /// </summary>
    public static void Check(string path, string what, OutputFormat format, params string[] inputs)
    {
        Check(path, what, inputs);
        if (OutputFormats.PromisedBy(path) is { } promised && promised != format.Describe())
        {
            throw new UsageException($"{what} {path}: the name promises {promised}, but this is {format.Describe()}; name it *{format.Extension()}");
        }

        string? existing = null;
        if (File.Exists(path))
        {
            try
            {
                using var stream = File.OpenRead(path);
                byte[] head = new byte[4096];
                existing = OutputFormats.Sniff(head.AsSpan(0, stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot write {what} {path}: {e.Message}", e);
            }
        }

        if (!format.MayReplace(existing, path))
        {
            throw new UsageException($"{what} {path} exists and is {existing}, not {format.Describe()}: refusing to replace it; move it out of the way or write elsewhere");
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> whole: <paramref name="write"/> fills a temporary file beside it, which is
    /// flushed to disk and renamed over <paramref name="path"/>. If anything fails the temporary file is removed,
    /// the previous file is untouched, and the exception goes on (an <see cref="IOException"/> for a failed write).
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        using var set = new OutputSet();
        set.Add(path, write);
        set.Commit();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte-order mark) through <see cref="Write"/>.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, stream => stream.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));

    /// <summary>The temporary name used for <paramref name="path"/> by this process: "NAME.tmp-PID" in the same folder.</summary>
    public static string TemporaryPath(string path) => $"{path}.tmp-{System.Environment.ProcessId}";
}
