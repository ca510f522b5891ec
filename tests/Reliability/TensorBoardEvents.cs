namespace GridTime.Tests.Reliability;

/// <summary>
/// Reads the scalars of TensorBoard event files (TFRecord framing: length, CRC, an Event protocol buffer, CRC),
/// enough to check what TensorBoard would show: Event.wall_time (field 1), step (2), file_version (3) and
/// Summary.Value {tag (1), simple_value (2), tensor (8) with string_val (8)}.
/// </summary>
public static class TensorBoardEvents
{
    /// <summary>Every (tag, step, value) in the event files of <paramref name="folder"/>.</summary>
    public static List<(string Tag, long Step, float Value)> Read(string folder) =>
        [.. Events(folder).SelectMany(e => e.Scalars.Select(v => (v.Tag, e.Step, v.Value)))];

    /// <summary>Every event of the event files of <paramref name="folder"/>: wall time, step, file version, scalars and the texts of its tensors.</summary>
    public static List<(double WallTime, long Step, string? FileVersion, List<(string Tag, float Value)> Scalars, List<(string Tag, string Text)> Texts)> Events(string folder)
    {
        var events = new List<(double, long, string?, List<(string, float)>, List<(string, string)>)>();
        foreach (string file in Directory.GetFiles(folder, "events.out.tfevents*"))
        {
            byte[] bytes = File.ReadAllBytes(file);
            int at = 0;
            while (at + 12 <= bytes.Length)
            {
                int length = (int)BitConverter.ToUInt64(bytes, at);
                events.Add(ReadEvent(bytes.AsSpan(at + 12, length)));
                at += 12 + length + 4;
            }
        }

        return events;
    }

    private static (double, long, string?, List<(string, float)>, List<(string, string)>) ReadEvent(ReadOnlySpan<byte> message)
    {
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var scalars = new List<(string, float)>();
        var texts = new List<(string, string)>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int field = (int)(key >> 3), type = (int)(key & 7);
            if (field == 1 && type == 1)
            {
                wallTime = BitConverter.ToDouble(message.Slice(at, 8));
                at += 8;
            }
            else if (field == 2 && type == 0)
            {
                step = (long)Varint(message, ref at);
            }
            else if (field == 3 && type == 2)
            {
                int length = (int)Varint(message, ref at);
                version = System.Text.Encoding.UTF8.GetString(message.Slice(at, length));
                at += length;
            }
            else if (field == 5 && type == 2)
            {
                int length = (int)Varint(message, ref at);
                ReadSummary(message.Slice(at, length), scalars);
                ReadTexts(message.Slice(at, length), texts);
                at += length;
            }
            else
            {
                Skip(message, ref at, type);
            }
        }

        return (wallTime, step, version, scalars, texts);
    }

    // Summary.value (1) → Value {tag (1), tensor (8) → TensorProto {string_val (8)}}.
    private static void ReadTexts(ReadOnlySpan<byte> summary, List<(string, string)> texts)
    {
        foreach (ReadOnlySpan<byte> value in Fields(summary, 1))
        {
            string tag = "";
            foreach (ReadOnlySpan<byte> name in Fields(value, 1))
            {
                tag = System.Text.Encoding.UTF8.GetString(name);
            }

            foreach (ReadOnlySpan<byte> tensor in Fields(value, 8))
            {
                foreach (ReadOnlySpan<byte> text in Fields(tensor, 8))
                {
                    texts.Add((tag, System.Text.Encoding.UTF8.GetString(text)));
                }
            }
        }
    }

    // The length-delimited occurrences of field `number` in a message.
    private static List<byte[]> Fields(ReadOnlySpan<byte> message, int number)
    {
        var found = new List<byte[]>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            if ((int)(key >> 3) == number && (key & 7) == 2)
            {
                int length = (int)Varint(message, ref at);
                found.Add(message.Slice(at, length).ToArray());
                at += length;
            }
            else
            {
                Skip(message, ref at, (int)(key & 7));
            }
        }

        return found;
    }

    private static void ReadSummary(ReadOnlySpan<byte> summary, List<(string, float)> values)
    {
        int at = 0;
        while (at < summary.Length)
        {
            ulong key = Varint(summary, ref at);
            if ((key >> 3) != 1 || (key & 7) != 2)
            {
                Skip(summary, ref at, (int)(key & 7));
                continue;
            }

            int length = (int)Varint(summary, ref at);
            ReadOnlySpan<byte> value = summary.Slice(at, length);
            at += length;
            string tag = "";
            float? number = null;
            int v = 0;
            while (v < value.Length)
            {
                ulong inner = Varint(value, ref v);
                if (inner == ((1 << 3) | 2))
                {
                    int n = (int)Varint(value, ref v);
                    tag = System.Text.Encoding.UTF8.GetString(value.Slice(v, n));
                    v += n;
                }
                else if (inner == ((2 << 3) | 5))
                {
                    number = BitConverter.ToSingle(value.Slice(v, 4));
                    v += 4;
                }
                else
                {
                    Skip(value, ref v, (int)(inner & 7));
                }
            }

            if (number is float simple)
            {
                values.Add((tag, simple)); // a value with a simple_value: a scalar (a text has a tensor instead)
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = bytes[at++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
    }

    private static void Skip(ReadOnlySpan<byte> bytes, ref int at, int type)
    {
        switch (type)
        {
            case 0: Varint(bytes, ref at); break;
            case 1: at += 8; break;
            case 2: int n = (int)Varint(bytes, ref at); at += n; break;
            case 5: at += 4; break;
            default: throw new InvalidDataException($"protobuf wire type {type}");
        }
    }
}
