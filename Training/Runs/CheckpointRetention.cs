using System.Globalization;
using GridTime.Training.Config;

namespace GridTime.Training.Runs;

/// <summary>
/// Keeps a run's checkpoints/ folder small: after a periodic checkpoint is written, all but the newest K periodic
/// checkpoints (frames-N.ckpt) are removed. latest.ckpt is never touched, and the newest kept checkpoint is read
/// and verified first: if it is not whole, nothing is removed, so resume (which falls back to the newest periodic
/// checkpoint that verifies, <see cref="ResumePoint"/>) always has one. A crash while removing leaves only extra old
/// files, removed at the next checkpoint. The default K is the number of checkpoints eval chooses among
/// (<see cref="TrainConfig.DefaultKeepCheckpoints"/>).
/// </summary>
public static class CheckpointRetention
{
    /// <summary>
    /// Removes the periodic checkpoints of <paramref name="folder"/> older than its newest <paramref name="keep"/>
    /// (0 keeps all) and returns the paths removed, oldest first.
    /// </summary>
    public static IReadOnlyList<string> Prune(RunFolder folder, int keep)
    {
        if (keep <= 0 || !Directory.Exists(folder.CheckpointFolder))
        {
            return [];
        }

        // frames-N.ckpt names hold N zero-padded to 11 digits, but order by N itself in case a name is longer.
        var periodic = Directory.GetFiles(folder.CheckpointFolder, "frames-*.ckpt")
            .Select(path => (Path: path, Frames: Frames(path)))
            .Where(c => c.Frames is not null)
            .OrderByDescending(c => c.Frames)
            .ToList();
        if (periodic.Count <= keep)
        {
            return [];
        }

        try
        {
            Checkpoint.Read(periodic[0].Path);
        }
        catch (InvalidDataException)
        {
            return []; // the newest is not whole: keep every older one for resume to fall back on
        }

        var removed = new List<string>();
        foreach ((string path, _) in periodic.Skip(keep).Reverse())
        {
            File.Delete(path);
            removed.Add(path);
        }

        return removed;
    }

    // N of frames-N.ckpt, or null for another name.
    private static long? Frames(string path) =>
        long.TryParse(Path.GetFileNameWithoutExtension(path).AsSpan("frames-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out long frames) ? frames : null;
}
