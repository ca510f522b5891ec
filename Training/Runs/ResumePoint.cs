namespace GridTime.Training.Runs;

/// <summary>
/// Where a run continues from: its newest checkpoint that is whole and undamaged. latest.ckpt is tried
/// first, then the periodic frames-N.ckpt from newest to oldest, each read once and checked in full (magic,
/// header, checksum); the bytes checked are the bytes training resumes from. What was wrong with the files
/// passed over is kept in <see cref="Skipped"/>.
/// </summary>
/// <param name="File">The checkpoint to resume from, as read and verified.</param>
/// <param name="Skipped">One line per newer checkpoint that could not be used, saying why.</param>
public sealed record ResumePoint(CheckpointFile File, IReadOnlyList<string> Skipped)
{
    /// <summary>The checkpoint file resumed from.</summary>
    public string Checkpoint => File.Path;

    /// <summary>Its header (frames, time, config, provenance).</summary>
    public CheckpointHeader Header => File.Header;

    /// <summary>The resume point of <paramref name="folder"/>, or null when it has no checkpoint file at all.</summary>
    /// <exception cref="InvalidDataException">Every checkpoint of the run is damaged (the message lists them).</exception>
    public static ResumePoint? Find(RunFolder folder)
    {
        var candidates = new List<string>();
        if (System.IO.File.Exists(folder.LatestCheckpoint))
        {
            candidates.Add(folder.LatestCheckpoint);
        }

        if (Directory.Exists(folder.CheckpointFolder))
        {
            // frames-N.ckpt names hold N zero-padded to 11 digits: name order is frame order.
            candidates.AddRange(Directory.GetFiles(folder.CheckpointFolder, "frames-*.ckpt").OrderDescending(StringComparer.Ordinal));
        }

        if (candidates.Count == 0)
        {
            return null;
        }

        var skipped = new List<string>();
        foreach (string path in candidates)
        {
            try
            {
                return new ResumePoint(Runs.Checkpoint.Read(path), skipped);
            }
            catch (InvalidDataException e)
            {
                skipped.Add(e.Message);
            }
        }

        throw new InvalidDataException($"no usable checkpoint in {folder.Path}: {string.Join("; ", skipped)}");
    }

    /// <summary>Whether latest.ckpt was passed over (damaged) and an older checkpoint is used instead.</summary>
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

        if (FellBack(folder) && System.IO.File.Exists(folder.LatestCheckpoint))
        {
            string kept = folder.LatestCheckpoint + ".damaged";
            System.IO.File.Move(folder.LatestCheckpoint, kept, overwrite: true);
            done.Add($"kept the damaged latest checkpoint as {kept}");
        }

        return done;
    }
}
