namespace GridTime.Training.Files;

/// <summary>
/// Several output files of one command written as a set: each is first written whole to its temporary file
/// ("NAME.tmp-PID" in the same folder, flushed to disk, see <see cref="OutputFile"/>); only when every one of
/// them is complete are they renamed over their final names, one after another. A failure or an interruption
/// before <see cref="Commit"/> leaves every previous file untouched, and disposing removes the temporary files
/// that were not renamed.
/// </summary>
public sealed class OutputSet : IDisposable
{
    private readonly List<(string Temporary, string Path)> _staged = [];

    /// <summary>The final paths staged so far, in order.</summary>
    public IReadOnlyList<string> Paths => [.. _staged.Select(s => s.Path)];

    /// <summary>Writes <paramref name="path"/>'s temporary file with <paramref name="write"/>; removed again if that fails.</summary>
    public void Add(string path, Action<Stream> write)
    {
        string temporary = OutputFile.TemporaryPath(path);
        try
        {
            // Missing folders on the way are made (as mkdir -p); a file where one must be fails here as an IOException.
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);

            // A file under this process's temporary name is a leftover of a dead process with the same id.
            File.Delete(temporary);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        _staged.Add((temporary, path));
    }

    /// <summary>Stages <paramref name="content"/> as <paramref name="path"/>.</summary>
    public void Add(string path, byte[] content) => Add(path, stream => stream.Write(content));

    /// <summary>Stages <paramref name="text"/> (UTF-8, no byte-order mark) as <paramref name="path"/>.</summary>
    public void AddText(string path, string text) => Add(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    /// <summary>
    /// Renames every staged file over its final name, in the order staged; checks <paramref name="stop"/> first,
    /// so an interruption that arrived while the files were being made leaves the previous set intact.
    /// </summary>
    public void Commit(CancellationToken stop = default)
    {
        stop.ThrowIfCancellationRequested();
        while (_staged.Count > 0)
        {
            (string temporary, string path) = _staged[0];
            File.Move(temporary, path, overwrite: true);
            _staged.RemoveAt(0);
        }
    }

    /// <summary>Removes the temporary files not renamed (after a failure or an interruption).</summary>
    public void Dispose()
    {
        foreach ((string temporary, _) in _staged)
        {
            TryDelete(temporary);
        }

        _staged.Clear();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind under a temporary name: it is never taken for an output.
        }
    }
}
