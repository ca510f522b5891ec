using GridTime.Environment;
using GridTime.Environment.Episodes;
using MessagePack;

namespace GridTime.Tests.Training;

public sealed class EpisodeLogTests
{
    private static EpisodeRecord Record(int episode, int steps) => new()
    {
        Run = "test-run",
        Worker = 1,
        Episode = episode,
        Frames = 1000 * episode,
        Agent = "nac",
        GridSize = 5,
        Seed = 7,
        Instruction = 8,
        Timeout = 18,
        MaxReward = 10,
        AgentStart = new Cell(0, 1),
        Target = new Cell(3, 3),
        Steps = [.. Enumerable.Range(0, steps).Select(i => new EpisodeStep(i % 5, new Cell(i % 5, 1), i == steps - 1 ? 9f : 0f, 0.5f * i, [0.1f, 0.2f, 0.3f, 0.2f, 0.2f]))],
        ArrivalTime = episode % 2 == 0 ? steps : null,
        TotalReward = 9f,
        BestAchievableReward = 10,
    };

    [Fact]
    public void RecordsRoundTripThroughAFile()
    {
        using var folder = new TemporaryFolder();
        string path = folder["log.msgpack"];
        using (var writer = new EpisodeLogWriter(path))
        {
            writer.Append(Record(0, 3));
            writer.Append(Record(1, 12));
        }

        EpisodeLog log = EpisodeLogReader.Read(path);
        Assert.Null(log.TruncatedAt);
        Assert.Equal(2, log.Records.Count);
        EpisodeRecord read = log.Records[1], written = Record(1, 12);
        Assert.Equal(written with { Steps = [] }, read with { Steps = [] });
        Assert.Equal(written.Steps.Select(s => (s.Action, s.Agent, s.Reward, s.Value)), read.Steps.Select(s => (s.Action, s.Agent, s.Reward, s.Value)));
        Assert.Equal(written.Steps[4].Probabilities, read.Steps[4].Probabilities);
        Assert.Equal("timeout", read.Outcome);
    }

    [Fact]
    public void RecordsAreSelfDescribingMapsWithStringKeys()
    {
        // Read with MessagePack's generic, schema-less deserializer, as another language would.
        byte[] bytes = EpisodeLogFormat.Encode(Record(2, 4));
        var map = MessagePackSerializer.Deserialize<Dictionary<object, object>>(bytes, MessagePack.Resolvers.ContractlessStandardResolver.Options);
        Assert.Equal(2, Convert.ToInt32(map["schema"]));
        Assert.Equal(Crc32.Compute(bytes.AsSpan(0, bytes.Length - 5 - 6)), Convert.ToUInt32(map["crc32"])); // "crc32" key 6 bytes, uint32 5 bytes
        Assert.Equal("nac", map["agent"]);
        Assert.Equal(8, Convert.ToInt32(map["T"]));
        Assert.Equal(4, ((object[])map["actions"]).Length);
        Assert.Equal("arrived", ((Dictionary<object, object>)map["outcome"])["result"]);
    }

    [Fact]
    public void ATruncatedLastRecordIsReportedAndEarlierRecordsSurvive()
    {
        using var folder = new TemporaryFolder();
        string path = folder["log.msgpack"];
        using (var writer = new EpisodeLogWriter(path))
        {
            for (int i = 0; i < 4; i++)
            {
                writer.Append(Record(i, 6));
            }
        }

        long whole = new FileInfo(path).Length;
        long lastStart = whole - EpisodeLogFormat.Encode(Record(3, 6)).Length;
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(whole - 17);
        }

        EpisodeLog log = EpisodeLogReader.Read(path);
        Assert.Equal(3, log.Records.Count);
        Assert.Equal(lastStart, log.TruncatedAt);
        Assert.Contains($"at byte {lastStart}", log.TruncationReport(path));
        Assert.Contains(path, log.TruncationReport(path));
    }

    [Fact]
    public void AppendingAfterACrashCutsTheIncompleteRecordFirst()
    {
        using var folder = new TemporaryFolder();
        string path = folder["log.msgpack"];
        using (var writer = new EpisodeLogWriter(path))
        {
            writer.Append(Record(0, 4));
            writer.Append(Record(1, 4));
        }

        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
        }

        using (var writer = new EpisodeLogWriter(path))
        {
            Assert.True(writer.DroppedIncompleteRecord);
            writer.Append(Record(2, 4));
        }

        EpisodeLog log = EpisodeLogReader.Read(path);
        Assert.Null(log.TruncatedAt);
        Assert.Equal([0L, 2L], log.Records.Select(r => r.Episode));
    }

    [Fact]
    public void GarbageIsADamagedLogNotATruncation()
    {
        using var folder = new TemporaryFolder();
        string path = folder["log.msgpack"];
        File.WriteAllBytes(path, [.. EpisodeLogFormat.Encode(Record(0, 2)), 0xc1, 0x00, 0x01]);
        var error = Assert.Throws<InvalidDataException>(() => EpisodeLogReader.Read(path));
        Assert.Contains("damaged episode log", error.Message);
    }
}
