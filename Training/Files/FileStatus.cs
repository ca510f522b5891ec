using System.Runtime.InteropServices;

namespace GridTime.Training.Files;

/// <summary>What a path is on disk: its type and identity, from Linux's <c>statx(2)</c>.</summary>
/// <param name="Kind">Regular file, directory, symlink, FIFO, device or socket.</param>
/// <param name="Device">The device holding it (major &lt;&lt; 32 | minor).</param>
/// <param name="Inode">Its inode on that device: with <paramref name="Device"/>, the same file under any name.</param>
/// <param name="Size">Its size in bytes (0 for FIFOs and most devices).</param>
public readonly record struct FileStatus(FileKind Kind, ulong Device, ulong Inode, long Size)
{
    // struct statx has the same layout on every Linux architecture (statx(2)); only these fields are read.
    private const int StatxSize = 256;
    private const int ModeOffset = 28;
    private const int InodeOffset = 32;
    private const int SizeOffset = 40;
    private const int DeviceMajorOffset = 136;
    private const int DeviceMinorOffset = 140;
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>
    /// The status of <paramref name="path"/>, or null when nothing is there. With <paramref name="followLinks"/>
    /// false a symlink is reported as <see cref="FileKind.Symlink"/> instead of what it points at.
    /// </summary>
    /// <exception cref="IOException">The path cannot be examined (permissions, a name too long).</exception>
    public static unsafe FileStatus? Of(string path, bool followLinks = true)
    {
        byte* buffer = stackalloc byte[StatxSize];
        if (statx(AtCurrentDirectory, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            const int NoEntry = 2, NotADirectory = 20;
            return error is NoEntry or NotADirectory ? null : throw new IOException($"cannot examine {path}: {Marshal.GetPInvokeErrorMessage(error)}");
        }

        ushort mode = *(ushort*)(buffer + ModeOffset);
        FileKind kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Symlink,
            0x1000 => FileKind.Fifo,
            0x2000 or 0x6000 => FileKind.Device,
            _ => FileKind.Socket,
        };
        ulong device = ((ulong)*(uint*)(buffer + DeviceMajorOffset) << 32) | *(uint*)(buffer + DeviceMinorOffset);
        return new FileStatus(kind, device, *(ulong*)(buffer + InodeOffset), (long)*(ulong*)(buffer + SizeOffset));
    }

    /// <summary>Whether two statuses name the same file (device and inode).</summary>
    public bool SameFileAs(FileStatus other) => Device == other.Device && Inode == other.Inode;

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern unsafe int statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);
}

/// <summary>The type of a file system entry.</summary>
public enum FileKind
{
    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (only when links are not followed).</summary>
    Symlink,

    /// <summary>A named pipe: reading it waits for a writer, and it may never end.</summary>
    Fifo,

    /// <summary>A character or block device such as /dev/zero or /dev/null.</summary>
    Device,

    /// <summary>A Unix socket.</summary>
    Socket,
}
