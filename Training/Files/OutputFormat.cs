using System.Text;

namespace GridTime.Training.Files;

/// <summary>
/// The kinds of file GridTime's commands write, by which <see cref="OutputFile.Check(string, string, OutputFormat, string[])"/>
/// refuses to replace a file of another kind (a checkpoint, a run's eval.csv, an eval.png under a GIF) or to give a
/// file the name of another kind (a GIF called x.png). Why: an output path typed wrong by one word replaced a run's
/// trained weights with a picture, and the command said nothing (exit 0).
/// </summary>
public enum OutputFormat
{
    /// <summary>A PNG picture (.png).</summary>
    Png,

    /// <summary>A GIF animation (.gif).</summary>
    Gif,

    /// <summary>A CSV table (.csv): text.</summary>
    Csv,

    /// <summary>Markdown (.md): text.</summary>
    Markdown,

    /// <summary>An ONNX model (.onnx).</summary>
    Onnx,

    /// <summary>MessagePack episode records (.msgpack).</summary>
    Msgpack,
}

/// <summary>What <see cref="OutputFormat"/> values are called, named and how a file of each kind begins.</summary>
public static class OutputFormats
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly Dictionary<string, string> KnownExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "a PNG",
        [".gif"] = "a GIF",
        [".csv"] = "a CSV table",
        [".md"] = "a Markdown file",
        [".onnx"] = "an ONNX model",
        [".msgpack"] = "an episode log",
        [".ckpt"] = "a checkpoint",
        [".json"] = "a JSON file",
    };

    /// <summary>The file name extension of <paramref name="format"/>, with its dot.</summary>
    public static string Extension(this OutputFormat format) => format switch
    {
        OutputFormat.Png => ".png",
        OutputFormat.Gif => ".gif",
        OutputFormat.Csv => ".csv",
        OutputFormat.Markdown => ".md",
        OutputFormat.Onnx => ".onnx",
        OutputFormat.Msgpack => ".msgpack",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>The format of one of GridTime's own output names (eval.csv, comparison.png, summary.md), by its extension.</summary>
    /// <exception cref="ArgumentException">The name has no extension of an <see cref="OutputFormat"/>.</exception>
    public static OutputFormat ForName(string name) =>
        Enum.GetValues<OutputFormat>().Where(format => string.Equals(Path.GetExtension(name), format.Extension(), StringComparison.OrdinalIgnoreCase)).Select(format => (OutputFormat?)format).FirstOrDefault()
        ?? throw new ArgumentException($"{name} is not named for a format GridTime writes", nameof(name));

    /// <summary>"a PNG", "a CSV table", ...: <paramref name="format"/> in a sentence.</summary>
    public static string Describe(this OutputFormat format) => KnownExtensions[format.Extension()];

    /// <summary>
    /// The kind of file a name's extension promises when it is one of the kinds GridTime reads or writes ("a checkpoint"
    /// for x.ckpt), or null for any other name.
    /// </summary>
    public static string? PromisedBy(string path) => KnownExtensions.GetValueOrDefault(Path.GetExtension(path));

    /// <summary>The kind <see cref="Sniff"/> gives a non-empty file it cannot tell (an ONNX model, another program's file).</summary>
    public const string Unknown = "a file of a kind GridTime does not tell apart";

    /// <summary>
    /// The kind of an existing file from its first bytes: "a PNG", "a GIF", "a checkpoint", "an agent file", "an episode
    /// log" (MessagePack records whose first key is "schema"), "a TensorBoard event file", "a text file" (no NUL byte,
    /// valid UTF-8), <see cref="Unknown"/> for any other non-empty file, null for an empty one.
    /// </summary>
    public static string? Sniff(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return null;
        }

        if (head.StartsWith(PngSignature))
        {
            return "a PNG";
        }

        if (head.StartsWith("GIF8"u8))
        {
            return "a GIF";
        }

        if (head.StartsWith("GTCKPT"u8))
        {
            return "a checkpoint";
        }

        if (head.StartsWith("GTAGENT"u8))
        {
            return "an agent file";
        }

        // A MessagePack map (fixmap, map16 or map32) whose first key is the string "schema": GridTime's episode records.
        int keyAt = head[0] is >= 0x80 and <= 0x8f ? 1 : head[0] == 0xde ? 3 : head[0] == 0xdf ? 5 : -1;
        if (keyAt > 0 && head.Length > keyAt + 7 && head.Slice(keyAt, 7).SequenceEqual(SchemaKey))
        {
            return "an episode log";
        }

        // A TFRecord whose first event names the event file version (TensorBoard's file_version "brain.Event:2").
        if (head.Length >= 16 && head[..Math.Min(head.Length, 64)].IndexOf("brain.Event"u8) >= 0)
        {
            return "a TensorBoard event file";
        }

        return !head.Contains((byte)0) && IsUtf8(head) ? "a text file" : Unknown;
    }

    // fixstr of length 6 (0xa6), then "schema".
    private static readonly byte[] SchemaKey = [0xa6, (byte)'s', (byte)'c', (byte)'h', (byte)'e', (byte)'m', (byte)'a'];

    /// <summary>
    /// Whether an existing file at <paramref name="path"/> of the kind <see cref="Sniff"/> found may be replaced by
    /// <paramref name="format"/>: an empty file, a file of the same kind, or one GridTime cannot tell apart under a name
    /// of the format's own extension (an earlier model.onnx).
    /// </summary>
    public static bool MayReplace(this OutputFormat format, string? existing, string path) => existing switch
    {
        null => true,
        Unknown => string.Equals(Path.GetExtension(path), format.Extension(), StringComparison.OrdinalIgnoreCase),
        _ => existing == (format is OutputFormat.Csv or OutputFormat.Markdown ? "a text file" : format.Describe()),
    };

    // Valid UTF-8 up to a character cut at the end of the sample.
    private static bool IsUtf8(ReadOnlySpan<byte> head)
    {
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
        try
        {
            char[] chars = new char[head.Length];
            decoder.GetChars(head, chars, flush: false);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
