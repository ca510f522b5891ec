using System.Buffers;
using MessagePack;

namespace GridTime.Environment.Episodes;

/// <summary>
/// Encodes and decodes <see cref="EpisodeRecord"/>s as self-describing MessagePack maps with string keys
/// (see docs/episode-log.md), so any MessagePack library in any language reads them.
/// </summary>
public static class EpisodeLogFormat
{
    /// <summary>Key of the record's CRC-32, the last field of every schema 2 record.</summary>
    public const string ChecksumKey = "crc32";

    /// <summary>The MessagePack bytes of one record (one map).</summary>
    public static byte[] Encode(EpisodeRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (64 * record.Steps.Count));
        var writer = new MessagePackWriter(buffer);
        // The provenance keys of evaluation episodes are written only when set, so training logs are unchanged.
        (string Key, string Value)[] provenance = [.. new[] { ("runId", record.RunId), ("checkpoint", record.Checkpoint), ("checkpointSha256", record.CheckpointSha256) }.Where(p => p.Item2.Length > 0)];
        writer.WriteMapHeader(21 + provenance.Length); // the number of keys written below
        Write(ref writer, "schema", record.Schema);
        writer.Write("run");
        writer.Write(record.Run);
        Write(ref writer, "worker", record.Worker);
        Write(ref writer, "episode", record.Episode);
        Write(ref writer, "frames", record.Frames);
        foreach ((string key, string value) in provenance)
        {
            writer.Write(key);
            writer.Write(value);
        }

        writer.Write("agent");
        writer.Write(record.Agent);
        Write(ref writer, "grid", record.GridSize);
        writer.Write("seed");
        writer.Write(record.Seed);
        Write(ref writer, "T", record.Instruction);
        Write(ref writer, "L", record.Timeout);
        Write(ref writer, "m", record.MaxReward);
        writer.Write("agentStart");
        WriteCell(ref writer, record.AgentStart);
        writer.Write("target");
        WriteCell(ref writer, record.Target);

        int count = record.Steps.Count;
        writer.Write("actions");
        writer.WriteArrayHeader(count);
        foreach (EpisodeStep step in record.Steps)
        {
            writer.Write(step.Action);
        }

        writer.Write("cells");
        writer.WriteArrayHeader(count);
        foreach (EpisodeStep step in record.Steps)
        {
            WriteCell(ref writer, step.Agent);
        }

        writer.Write("rewards");
        writer.WriteArrayHeader(count);
        foreach (EpisodeStep step in record.Steps)
        {
            writer.Write(step.Reward);
        }

        writer.Write("values");
        writer.WriteArrayHeader(count);
        foreach (EpisodeStep step in record.Steps)
        {
            writer.Write(step.Value);
        }

        writer.Write("probs");
        writer.WriteArrayHeader(count);
        foreach (EpisodeStep step in record.Steps)
        {
            writer.WriteArrayHeader(step.Probabilities.Length);
            foreach (float p in step.Probabilities)
            {
                writer.Write(p);
            }
        }

        writer.Write("outcome");
        writer.WriteMapHeader(3);
        writer.Write("result");
        writer.Write(record.Outcome);
        writer.Write("arrivalTime");
        if (record.ArrivalTime is int arrival)
        {
            writer.Write(arrival);
        }
        else
        {
            writer.WriteNil();
        }

        writer.Write("totalReward");
        writer.Write(record.TotalReward);
        Write(ref writer, "bestReward", record.BestAchievableReward);

        // Last: a CRC-32 of every byte of the record before this key, so damage anywhere is detected.
        writer.Flush();
        uint checksum = Crc32.Compute(buffer.WrittenSpan);
        writer.Write(ChecksumKey);
        writer.WriteUInt32(checksum); // always 5 bytes (0xce + big-endian uint32)
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes one record at the reader's position. Throws <see cref="EndOfStreamException"/> when the data
    /// ends inside the record and <see cref="InvalidDataException"/> when it is not a valid record.
    /// </summary>
    public static EpisodeRecord Decode(ref MessagePackReader reader)
    {
        SequencePosition start = reader.Position;
        bool checksummed = false;
        int fields = reader.ReadMapHeader();
        var record = new EpisodeRecord();
        int[] actions = [];
        Cell[] cells = [];
        float[] rewards = [], values = [];
        float[][] probabilities = [];
        for (int f = 0; f < fields; f++)
        {
            SequencePosition keyStart = reader.Position;
            string key = reader.ReadString() ?? throw new InvalidDataException("a field without a name");
            switch (key)
            {
                case "schema":
                    record = record with { Schema = reader.ReadInt32() };
                    if (record.Schema is < 1 or > EpisodeRecord.CurrentSchema)
                    {
                        throw new InvalidDataException($"episode schema {record.Schema} is not supported (this GridTime reads 1..{EpisodeRecord.CurrentSchema})");
                    }

                    break;
                case ChecksumKey:
                    uint expected = reader.ReadUInt32();
                    if (Crc32.Compute(reader.Sequence.Slice(start, keyStart).ToArray()) != expected)
                    {
                        throw new InvalidDataException("the record's checksum does not match its content (damaged)");
                    }

                    checksummed = true;
                    break;
                case "run": record = record with { Run = reader.ReadString() ?? "" }; break;
                case "worker": record = record with { Worker = reader.ReadInt32() }; break;
                case "episode": record = record with { Episode = reader.ReadInt64() }; break;
                case "frames": record = record with { Frames = reader.ReadInt64() }; break;
                case "runId": record = record with { RunId = reader.ReadString() ?? "" }; break;
                case "checkpoint": record = record with { Checkpoint = reader.ReadString() ?? "" }; break;
                case "checkpointSha256": record = record with { CheckpointSha256 = reader.ReadString() ?? "" }; break;
                case "agent": record = record with { Agent = reader.ReadString() ?? "" }; break;
                case "grid": record = record with { GridSize = reader.ReadInt32() }; break;
                case "seed": record = record with { Seed = reader.ReadUInt64() }; break;
                case "T": record = record with { Instruction = reader.ReadInt32() }; break;
                case "L": record = record with { Timeout = reader.ReadInt32() }; break;
                case "m": record = record with { MaxReward = reader.ReadInt32() }; break;
                case "agentStart": record = record with { AgentStart = ReadCell(ref reader) }; break;
                case "target": record = record with { Target = ReadCell(ref reader) }; break;
                case "actions": actions = ReadArray(ref reader, (ref MessagePackReader r) => r.ReadInt32()); break;
                case "cells": cells = ReadArray(ref reader, ReadCell); break;
                case "rewards": rewards = ReadArray(ref reader, (ref MessagePackReader r) => r.ReadSingle()); break;
                case "values": values = ReadArray(ref reader, (ref MessagePackReader r) => r.ReadSingle()); break;
                case "probs": probabilities = ReadArray(ref reader, (ref MessagePackReader r) => ReadArray(ref r, (ref MessagePackReader q) => q.ReadSingle())); break;
                case "outcome": record = ReadOutcome(ref reader, record); break;
                case "bestReward": record = record with { BestAchievableReward = reader.ReadInt32() }; break;
                default: reader.Skip(); break; // fields added later are ignored
            }
        }

        if (record.Schema >= 2 && !checksummed)
        {
            throw new InvalidDataException($"a schema {record.Schema} record without its checksum (damaged)");
        }

        int count = actions.Length;
        if (cells.Length != count || rewards.Length != count || values.Length != count || probabilities.Length != count)
        {
            throw new InvalidDataException("the per-step arrays of an episode differ in length");
        }

        var steps = new EpisodeStep[count];
        for (int i = 0; i < count; i++)
        {
            steps[i] = new EpisodeStep(actions[i], cells[i], rewards[i], values[i], probabilities[i]);
        }

        return record with { Steps = steps };
    }

    private delegate T ReadItem<T>(ref MessagePackReader reader);

    private static T[] ReadArray<T>(ref MessagePackReader reader, ReadItem<T> read)
    {
        int count = reader.ReadArrayHeader();
        var items = new T[count];
        for (int i = 0; i < count; i++)
        {
            items[i] = read(ref reader);
        }

        return items;
    }

    private static EpisodeRecord ReadOutcome(ref MessagePackReader reader, EpisodeRecord record)
    {
        int fields = reader.ReadMapHeader();
        for (int f = 0; f < fields; f++)
        {
            switch (reader.ReadString())
            {
                case "arrivalTime":
                    record = record with { ArrivalTime = reader.TryReadNil() ? null : reader.ReadInt32() };
                    break;
                case "totalReward":
                    record = record with { TotalReward = reader.ReadSingle() };
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return record;
    }

    private static void Write(ref MessagePackWriter writer, string key, long value)
    {
        writer.Write(key);
        writer.Write(value);
    }

    private static void WriteCell(ref MessagePackWriter writer, Cell cell)
    {
        writer.WriteArrayHeader(2);
        writer.Write(cell.Row);
        writer.Write(cell.Column);
    }

    private static Cell ReadCell(ref MessagePackReader reader)
    {
        if (reader.ReadArrayHeader() != 2)
        {
            throw new InvalidDataException("a cell must be [row, column]");
        }

        return new Cell(reader.ReadInt32(), reader.ReadInt32());
    }
}
