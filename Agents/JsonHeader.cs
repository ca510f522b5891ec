using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridTime.Agents;

/// <summary>
/// The framing every GridTime binary file starts with: 8 ASCII magic bytes naming the format, a 32-bit
/// length, and that many bytes of UTF-8 JSON describing what follows.
/// </summary>
public static class JsonHeader
{
    /// <summary>Largest header accepted when reading (anything larger means a damaged file).</summary>
    public const int MaximumLength = 1 << 20;

    /// <summary>Writes the magic and <paramref name="value"/> as a length-prefixed JSON block.</summary>
    public static void Write<T>(BinaryWriter writer, byte[] magic, T value, JsonSerializerOptions json)
    {
        byte[] header = JsonSerializer.SerializeToUtf8Bytes(value, json);
        writer.Write(magic);
        writer.Write(header.Length);
        writer.Write(header);
    }

    /// <summary>
    /// Reads what <see cref="Write"/> wrote. A wrong magic, an implausible length, a short read or bad JSON
    /// throws <see cref="InvalidDataException"/> naming <paramref name="description"/> and, for a wrong magic,
    /// the expected <paramref name="kind"/> of file.
    /// </summary>
    public static T Read<T>(BinaryReader reader, byte[] magic, string description, string kind, JsonSerializerOptions json) =>
        Deserialize<T>(ReadObject(reader, magic, description, kind), description, json);

    /// <summary>
    /// The header's JSON object, for a reader that needs to know which keys it holds (a file written before a
    /// setting existed); errors as <see cref="Read"/>.
    /// </summary>
    public static JsonObject ReadObject(BinaryReader reader, byte[] magic, string description, string kind)
    {
        try
        {
            if (!reader.ReadBytes(magic.Length).AsSpan().SequenceEqual(magic))
            {
                throw new InvalidDataException($"{description} is not a {kind}");
            }

            int length = reader.ReadInt32();
            if (length is < 2 or > MaximumLength)
            {
                throw new InvalidDataException($"{description} is damaged (header of {length} bytes)");
            }

            return JsonNode.Parse(reader.ReadBytes(length), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new InvalidDataException($"{description} has an empty header");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            throw new InvalidDataException($"{description} is damaged or truncated ({e.Message})", e);
        }
    }

    /// <summary>A header object read by <see cref="ReadObject"/> as a <typeparamref name="T"/>; errors as <see cref="Read"/>.</summary>
    public static T Deserialize<T>(JsonObject header, string description, JsonSerializerOptions json)
    {
        try
        {
            return header.Deserialize<T>(json) ?? throw new InvalidDataException($"{description} has an empty header");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{description} is damaged or truncated ({e.Message})", e);
        }
    }
}
