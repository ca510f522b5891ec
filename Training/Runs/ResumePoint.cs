namespace GridTime.Training.Runs;

/// <summary>
/// Where a run continues from: its newest checkpoint that is whole and undamaged (latest.ckpt, or the newest
/// periodic frames-N.ckpt when it has more frames), each read once and checked in full (magic, header,
/// checksum); the bytes checked are the bytes training resumes from. What was wrong with the files passed over
/// is kept in <see cref="Skipped"/>.
/// </summary>
/// <param name="File">The checkpoint to resume from, as read and verified.</param>
/// <param name="Skipped">One line per newer checkpoint that could not be used, saying why.</param>
public sealed record ResumePoint(CheckpointFile File, IReadOnlyList<string> Skipped)
{
    /// <summary>The checkpoint file resumed from.</summary>
    public string Checkpoint => File.Path;

    /// <summary>Its header (frames, time, config, provenance).</summary>
    public CheckpointHeader Header => File.Header;

    /// <summary>
    /// The resume point of <paramref name="folder"/>, or null when it has no checkpoint file at all: of latest.ckpt
    /// and the newest periodic checkpoint that verifies, the one with more frames (latest.ckpt on a tie). latest.ckpt
    /// is usually the newer, but a write that failed (a full disk) can leave it behind a periodic checkpoint.
    /// </summary>
    /// <exception cref="InvalidDataException">Every checkpoint of the run is damaged (the message lists them).</exception>
    public static ResumePoint? Find(RunFolder folder)
    {
        bool hasLatest = System.IO.File.Exists(folder.LatestCheckpoint);

        // frames-N.ckpt names hold N zero-padded to 11 digits: name order is frame order.
        string[] periodic = Directory.Exists(folder.CheckpointFolder)
            ? [.. Directory.GetFiles(folder.CheckpointFolder, "frames-*.ckpt").OrderDescending(StringComparer.Ordinal)]
            : [];
        if (!hasLatest && periodic.Length == 0)
        {
            return null;
        }

        // A missing latest.ckpt is said as a damaged one is: the run resumes from an older checkpoint than it may expect.
        var skipped = new List<string>(hasLatest ? [] : [$"{folder.LatestCheckpoint} is missing"]);
        CheckpointFile? Verified(string path)
        {
            try
            {
                return Runs.Checkpoint.Read(path);
            }
            catch (InvalidDataException e)
            {
                skipped.Add(e.Message);
                return null;
            }
        }

        CheckpointFile? latest = hasLatest ? Verified(folder.LatestCheckpoint) : null;
        CheckpointFile? newestPeriodic = null;
        foreach (string path in periodic)
        {
            if (latest is not null && PeriodicFrames(path) is long frames && frames <= latest.Header.Frames)
            {
                break; // no periodic checkpoint newer than latest.ckpt remains
            }

            if ((newestPeriodic = Verified(path)) is not null)
            {
                break;
            }
        }

        CheckpointFile? chosen = latest is null || (newestPeriodic is not null && newestPeriodic.Header.Frames > latest.Header.Frames) ? newestPeriodic ?? latest : latest;
        return chosen is null
            ? throw new InvalidDataException($"no usable checkpoint in {folder.Path}: {string.Join("; ", skipped)}")
            : new ResumePoint(chosen, skipped) { LatestDamaged = hasLatest && latest is null, Latest = latest };
    }

    // N of frames-N.ckpt, or null for another name.
    private static long? PeriodicFrames(string path) =>
        long.TryParse(System.IO.Path.GetFileNameWithoutExtension(path).AsSpan("frames-".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long frames) ? frames : null;

    /// <summary>latest.ckpt as read and verified, whether resumed from or not (null when missing or damaged).</summary>
    public CheckpointFile? Latest { get; init; }

    /// <summary>Whether latest.ckpt exists but failed its check (it is then kept aside by <see cref="Prepare"/>).</summary>
    public bool LatestDamaged { get; init; }

    /// <summary>Whether a checkpoint other than latest.ckpt is resumed from (latest.ckpt damaged, missing or older).</summary>
    public bool FellBack(RunFolder folder) => Checkpoint != folder.LatestCheckpoint;

    /// <summary>
    /// Makes the folder ready to continue (hold the run's lock): removes checkpoint files left half-written
    /// by a crash (*.tmp) and, when latest.ckpt was damaged, keeps it as latest.ckpt.damaged rather than
    /// letting the next checkpoint replace it. Returns one line per thing done.
    /// </summary>
    public IReadOnlyList<string> Prepare(RunFolder folder)
    {
        var done = new List<string>();
        foreach (string temporary in Directory.GetFiles(folder.CheckpointFolder, "*" + Runs.Checkpoint.TemporarySuffix))
        {
            System.IO.File.Delete(temporary);
            done.Add($"removed {temporary}, a checkpoint the previous process did not finish writing");
        }

        if (LatestDamaged && System.IO.File.Exists(folder.LatestCheckpoint))
        {
            string kept = folder.LatestCheckpoint + ".damaged";
            System.IO.File.Move(folder.LatestCheckpoint, kept, overwrite: true);
            done.Add($"kept the damaged latest checkpoint as {kept}");
        }

        return done;
    }
}
