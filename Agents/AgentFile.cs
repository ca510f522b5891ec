using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GridTime.Agents;

/// <summary>
/// Saves and loads a network with the options that shape it, so a file alone rebuilds it.
/// Layout: the 8 ASCII bytes "GTAGENT1", a 32-bit length and that many bytes of UTF-8 JSON
/// (<see cref="AgentOptions"/>), then TorchSharp's own parameter format (<c>Module.save</c>).
/// </summary>
public static class AgentFile
{
    private static readonly byte[] Magic = "GTAGENT1"u8.ToArray();

    /// <summary>JSON settings shared by every GridTime file (enums by name, camelCase).</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) }, // "rewardShape": 1 is refused, as on the command line
    };

    /// <summary>Writes <paramref name="network"/> to <paramref name="stream"/>.</summary>
    public static void Save(ActorCritic network, Stream stream)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        JsonHeader.Write(writer, Magic, network.Options, Json);
        network.save(writer);
    }

    /// <summary>Writes <paramref name="network"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public static void Save(ActorCritic network, string path)
    {
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        {
            Save(network, stream);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Reads a network saved by <see cref="Save(ActorCritic, Stream)"/>. Throws <see cref="InvalidDataException"/>
    /// with the reason when the stream is not such a file or is damaged.
    /// </summary>
    public static ActorCritic Load(Stream stream, string description = "agent file")
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        JsonObject header = JsonHeader.ReadObject(reader, Magic, description, "GridTime agent file");
        AgentOptions options = JsonHeader.Deserialize<AgentOptions>(header, description, Json)
            .AsWrittenBefore([.. JsonSerializer.SerializeToNode(AgentOptions.Default, Json)!.AsObject().Select(field => field.Key).Where(key => !header.ContainsKey(key))]);
        try
        {
            var network = new ActorCritic(options);
            network.load(reader, strict: true);
            return network;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"{description} is damaged or truncated ({e.Message})", e);
        }
    }

    /// <summary>Reads a network from <paramref name="path"/> (see <see cref="Load(Stream, string)"/>).</summary>
    public static ActorCritic Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }
}
