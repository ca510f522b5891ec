using System.Buffers;
using GridTime.Environment.Episodes;
using GridTime.Training.Files;
using MessagePack;

namespace GridTime.Training.Runs;

/// <summary>
/// Makes a worker's episode log fit a run resumed at a checkpoint, as <see cref="MetricsLog.Repair"/> does for
/// metrics.csv: records of episodes played after that checkpoint belong to training that is about to be redone
/// from it, by a network that no longer exists, so they are dropped (with a torn last record), and the log holds
/// each stretch of training once. A record carries the frames trained when its episode ended; an episode ending in
/// a rollout that was under way when the checkpoint at F frames was taken is stamped F (the rollout's update came
/// after), so records stamped F or more are the redone stretch's, and those below F are kept, byte for byte.
/// </summary>
public static class EpisodeLogRepair
{
    /// <summary>Largest episode log repaired (as large as <c>replay</c> reads).</summary>
    public const long MaximumBytes = 1L << 30;

    /// <summary>
    /// Drops the records of <paramref name="path"/> whose frame count is not below <paramref name="resumeFrames"/>, and
    /// a torn last record; rewrites the file whole (temporary file, rename) only when something is dropped.
    /// Returns one line per change made. A damaged record is an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static IReadOnlyList<string> Repair(string path, long resumeFrames)
    {
        if (FileStatus.Of(path) is not { Kind: FileKind.Regular })
        {
            return [];
        }

        byte[] bytes = InputFile.ReadAllBytes(path, MaximumBytes, "episode log");
        EpisodeLog log = EpisodeLogReader.Read(bytes, path);
        var kept = new List<(int Start, int Length)>();
        var reader = new MessagePackReader(new ReadOnlySequence<byte>(bytes));
        foreach (EpisodeRecord record in log.Records)
        {
            int start = (int)reader.Consumed;
            EpisodeLogFormat.Decode(ref reader);
            if (record.Frames < resumeFrames)
            {
                kept.Add((start, (int)reader.Consumed - start));
            }
        }

        int dropped = log.Records.Count - kept.Count;
        if (dropped == 0 && log.TruncatedAt is null)
        {
            return [];
        }

        OutputFile.Write(path, stream => kept.ForEach(k => stream.Write(bytes, k.Start, k.Length)));
        var changes = new List<string>();
        if (log.TruncationReport(path) is string torn)
        {
            changes.Add($"{torn}; cut");
        }

        if (dropped > 0)
        {
            changes.Add($"{path}: dropped {dropped} episode records played after the checkpoint at {resumeFrames:N0} frames (that training is redone)");
        }

        return changes;
    }
}
