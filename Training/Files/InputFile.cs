namespace GridTime.Training.Files;

/// <summary>
/// Reads the files a command takes as input (config files, checkpoints, episode logs) so that bad input is one
/// line, never a hang or an exhausted memory: only regular files (symlinks to them are followed), never more
/// than a stated size, and a missing, unreadable, FIFO, device or directory path is a <see cref="UsageException"/>
/// naming it.
/// </summary>
public static class InputFile
{
    /// <summary>
    /// Checks that <paramref name="path"/> names a readable regular file of at most <paramref name="maximumBytes"/>
    /// and returns its status; <paramref name="what"/> names the file in messages ("config file", "checkpoint").
    /// </summary>
    /// <exception cref="UsageException">Empty path, nothing there, not a regular file, or too large.</exception>
    public static FileStatus Check(string path, long maximumBytes, string what)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new UsageException($"the {what} path is empty");
        }

        FileStatus status;
        try
        {
            status = FileStatus.Of(path) ?? throw new UsageException($"{what} {path} does not exist");
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot read {what} {path}: {e.Message}", e);
        }

        if (status.Kind != FileKind.Regular)
        {
            throw new UsageException($"{what} {path} is a {Describe(status.Kind)}, not a regular file");
        }

        if (status.Size > maximumBytes)
        {
            throw new UsageException($"{what} {path} is {status.Size:N0} bytes, more than the {maximumBytes:N0} a {what} can be");
        }

        return status;
    }

    /// <summary>Reads a whole input file (see <see cref="Check"/>); a file that grows past the limit while read is refused too.</summary>
    /// <exception cref="UsageException">As <see cref="Check"/>, or the file cannot be read.</exception>
    public static byte[] ReadAllBytes(string path, long maximumBytes, string what)
    {
        Check(path, maximumBytes, what);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            using var content = new MemoryStream();
            byte[] chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                if (content.Length + read > maximumBytes)
                {
                    throw new UsageException($"{what} {path} is more than the {maximumBytes:N0} bytes a {what} can be");
                }

                content.Write(chunk, 0, read);
            }

            return content.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {what} {path}: {e.Message}", e);
        }
    }

    /// <summary>Reads a whole input text file as UTF-8 (see <see cref="ReadAllBytes"/>).</summary>
    public static string ReadAllText(string path, long maximumBytes, string what) =>
        System.Text.Encoding.UTF8.GetString(ReadAllBytes(path, maximumBytes, what));

    /// <summary>"directory", "FIFO (named pipe)", "device", ... for messages.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "regular file",
        FileKind.Directory => "directory",
        FileKind.Symlink => "symbolic link",
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.Device => "device",
        _ => "socket",
    };
}
