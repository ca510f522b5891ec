using System.Buffers;
using MessagePack;

namespace GridTime.Environment.Episodes;

/// <summary>What reading an episode log found.</summary>
/// <param name="Records">Every complete record, in file order.</param>
/// <param name="TruncatedAt">Byte offset where an incomplete last record starts, or null if the file ends cleanly.</param>
public sealed record EpisodeLog(IReadOnlyList<EpisodeRecord> Records, long? TruncatedAt)
{
    /// <summary>A one-line description of the truncation, or null.</summary>
    public string? TruncationReport(string path) =>
        TruncatedAt is long offset ? $"{path}: the last record, at byte {offset}, is incomplete (the writer stopped mid-record); {Records.Count} complete records read" : null;
}

/// <summary>Reads episode logs written by <see cref="EpisodeLogWriter"/>.</summary>
public static class EpisodeLogReader
{
    /// <summary>
    /// Reads every complete record of <paramref name="path"/>. An incomplete last record (a crash while
    /// writing) is reported in <see cref="EpisodeLog.TruncatedAt"/>; anything else that is not a valid
    /// record throws <see cref="InvalidDataException"/> naming the file and offset.
    /// </summary>
    public static EpisodeLog Read(string path) => Read(File.ReadAllBytes(path), path);

    /// <summary>
    /// Reads every complete record of a whole episode log already in memory (<paramref name="bytes"/>, as read from
    /// the file <paramref name="path"/>, which names it in messages); otherwise as <see cref="Read(string)"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A record that is not valid (not at the end of the bytes).</exception>
    public static EpisodeLog Read(byte[] bytes, string path)
    {
        var records = new List<EpisodeRecord>();
        var reader = new MessagePackReader(new ReadOnlySequence<byte>(bytes));
        while (!reader.End)
        {
            long offset = reader.Consumed;
            try
            {
                records.Add(EpisodeLogFormat.Decode(ref reader));
            }
            catch (EndOfStreamException)
            {
                return new EpisodeLog(records, offset);
            }
            catch (Exception e) when (e is MessagePackSerializationException or InvalidDataException or OverflowException)
            {
                string reason = e is InvalidDataException ? e.Message : "not a MessagePack episode record";
                throw new InvalidDataException($"{path}: damaged episode log at byte {offset}: {reason}", e);
            }
        }

        return new EpisodeLog(records, null);
    }
}
