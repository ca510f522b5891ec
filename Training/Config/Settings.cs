using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using GridTime.Agents;
using GridTime.Training.Files;

namespace GridTime.Training.Config;

/// <summary>
/// A settings record's settings, one per settable public property: their names (camelCase keys in JSON, kebab-case
/// as flags), their JSON form, and their values read from text and files the same way everywhere (culture-invariant,
/// one message per refusal). The command line binds its flags through this (the program's ConfigBinding).
/// </summary>
/// <typeparam name="T">The settings record, for example <see cref="TrainConfig"/>.</typeparam>
public static class Settings<T>
    where T : class, new()
{
    /// <summary>JSON settings of config files: camelCase keys, enums by name, unknown keys refused.</summary>
    public static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) }, // "rewardShape": 1 is refused, as on the command line
    };

    /// <summary>The keys of a config file: the settings' names in camelCase.</summary>
    public static IReadOnlyCollection<string> Keys { get; } = [.. JsonSerializer.SerializeToNode(new T(), Json)!.AsObject().Select(field => field.Key)];

    /// <summary>The keys of <see cref="Keys"/> that <paramref name="fields"/> lacks (a file written before those settings existed).</summary>
    public static IReadOnlyCollection<string> KeysAbsentFrom(JsonObject fields) => [.. Keys.Where(key => !fields.ContainsKey(key))];

    /// <summary>The flag of a property ("--learning-rate"; a <see cref="FlagAttribute"/> names it otherwise), for messages.</summary>
    public static string FlagOf(string propertyName) =>
        "--" + (typeof(T).GetProperty(propertyName) is { } property ? NameOf(property) : KebabCase(propertyName));

    /// <summary>A setting's name as its flag spells it without the dashes: its <see cref="FlagAttribute"/>'s, or the property name in kebab-case.</summary>
    public static string NameOf(PropertyInfo property) => property.GetCustomAttribute<FlagAttribute>()?.Name ?? KebabCase(property.Name);

    /// <summary>The names of every setting ("learning-rate", ...), as their flags without the dashes.</summary>
    public static IReadOnlyList<string> SettingNames => [.. Properties.Select(NameOf)];

    /// <summary>The settable public properties of <typeparamref name="T"/>, in declaration order: one setting each.</summary>
    public static IReadOnlyList<PropertyInfo> Properties { get; } = [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null)];

    /// <summary>
    /// Reads <paramref name="text"/> as the value of the setting <paramref name="name"/> (kebab-case), the same way
    /// its flag is read (culture-invariant); a value of the wrong kind is a <see cref="UsageException"/> naming
    /// <paramref name="context"/>.
    /// </summary>
    public static object ParseSetting(string name, string text, string context)
    {
        PropertyInfo property = Properties.Single(p => NameOf(p) == name);
        return ParseValue(property.PropertyType, text, context);
    }

    /// <summary>A copy of <paramref name="baseline"/> with the settings <paramref name="values"/> (kebab-case name → value read by <see cref="ParseSetting"/>).</summary>
    public static T With(T baseline, IEnumerable<KeyValuePair<string, object>> values)
    {
        T merged = Clone(baseline);
        foreach ((string name, object value) in values)
        {
            Properties.Single(p => NameOf(p) == name).SetValue(merged, value);
        }

        return merged;
    }

    /// <summary>A setting's value as GridTime writes it (culture-invariant, shortest round-trip for numbers).</summary>
    public static string Format(object? value) => Show(value);

    /// <summary>Largest config file read: 1 MiB (a full config.json is about 1 KiB).</summary>
    public const long MaximumFileBytes = 1 << 20;

    /// <summary>
    /// Reads a config file (a --config file or a run's config.json): a JSON object of settings, keys in camelCase,
    /// each at most once; <paramref name="ignoredKeys"/> are dropped before binding.
    /// </summary>
    /// <exception cref="UsageException">
    /// Empty path, missing or unreadable file, not a regular file (FIFO, device, directory), more than
    /// <see cref="MaximumFileBytes"/>, invalid JSON, a duplicate or unknown key, or a value of the wrong type.
    /// </exception>
    public static T ReadFile(string path, params string[] ignoredKeys) => FromObject(ReadObject(path), path, ignoredKeys);

    /// <summary>
    /// The JSON object of a config file, read once (see <see cref="ReadFile"/> for what is refused), for callers that
    /// read more than the settings from it (a run's config.json); <see cref="FromObject"/> takes the settings.
    /// </summary>
    public static JsonObject ReadObject(string path)
    {
        string text = InputFile.ReadAllText(path, MaximumFileBytes, "config file");
        try
        {
            JsonNode node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })
                ?? throw new UsageException($"config file {path} is empty");
            return node as JsonObject ?? throw new UsageException($"config file {path} must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new UsageException($"config file {path} is not valid: {JsonErrors.Describe(e)}", e);
        }
    }

    /// <summary>The settings of a config file's object without <paramref name="ignoredKeys"/> (removed from it); <paramref name="path"/> names it in messages.</summary>
    public static T FromObject(JsonObject fields, string path, params string[] ignoredKeys)
    {
        foreach (string key in ignoredKeys)
        {
            fields.Remove(key);
        }

        // An unknown key is named with the valid keys closest to it (the serializer would only say it is unknown).
        IReadOnlyCollection<string> valid = Keys;
        foreach ((string key, _) in fields)
        {
            if (!valid.Contains(key))
            {
                throw new UsageException($"config file {path}: unknown key \"{key}\"{ClosestNames.Hint(key, valid)}");
            }
        }

        try
        {
            return fields.Deserialize<T>(Json) ?? throw new UsageException($"config file {path} is empty");
        }
        catch (JsonException e) when (e.Path is ['$', '.', .. string key] && typeof(T).GetProperties().FirstOrDefault(p => Json.PropertyNamingPolicy?.ConvertName(p.Name) == key) is { } property)
        {
            // Named as the flags are ("seed: expected whole number from 0 to ..."), not by .NET's type names.
            throw new UsageException($"config file {path}: \"{key}\": expected {Expected(property.PropertyType)}, got {fields[key]?.ToJsonString() ?? "null"}", e);
        }
        catch (JsonException e)
        {
            throw new UsageException($"config file {path} is not valid: {JsonErrors.Describe(e, fromText: false)}", e);
        }
    }

    /// <summary>"LearningRate" → "learning-rate".</summary>
    public static string KebabCase(string name)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    /// <summary>A deep copy of <paramref name="value"/> (through its JSON form).</summary>
    public static T Clone(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Json), Json)!;

    /// <summary>
    /// <paramref name="text"/> read as a value of <paramref name="type"/> (culture-invariant; frame counts also as 5e6 or 5_000_000;
    /// choices by their kebab-case names; a list of integers comma-separated; a nullable type as its underlying one); a
    /// value of the wrong kind is a <see cref="UsageException"/> naming <paramref name="flag"/>.
    /// </summary>
    public static object ParseValue(Type type, string text, string flag)
    {
        CultureInfo invariant = CultureInfo.InvariantCulture;
        type = Nullable.GetUnderlyingType(type) ?? type;
        object? value = type switch
        {
            _ when type == typeof(IReadOnlyList<int>) => ParseIntegers(text, flag),
            _ when type == typeof(IReadOnlyList<CoreKind>) => ParseCores(text, flag),
            _ when type == typeof(int) => int.TryParse(text, NumberStyles.Integer, invariant, out int i) ? i : null,
            _ when type == typeof(long) => ParseLong(text, flag),
            _ when type == typeof(ulong) => ulong.TryParse(text, NumberStyles.Integer, invariant, out ulong u) ? u : null,
            _ when type == typeof(double) => double.TryParse(text, NumberStyles.Float, invariant, out double d) ? d : null,
            _ when type == typeof(bool) => bool.TryParse(text, out bool b) ? b : null,
            _ when type == typeof(string) => text,
            _ when type == typeof(CoreKind) => ParseCore(text, flag),
            _ when type.IsEnum => ParseEnum(type, text),
            _ => throw new InvalidOperationException($"{flag}: unsupported setting type {type.Name}"),
        };
        // A whole number too large for an int is named as out of range, not as "not an integer" (a seed's refusal names its range already).
        if (value is null && type == typeof(int) && System.Text.RegularExpressions.Regex.IsMatch(text.Trim(), "^[+-]?[0-9]+$"))
        {
            throw new UsageException(string.Create(invariant, $"{flag}: {text.Trim()} is out of range (a whole number from {int.MinValue} to {int.MaxValue})"));
        }

        return value ?? throw new UsageException($"{flag}: expected {Expected(type)}, got '{text}'");
    }

    /// <summary>Longest list of integers a setting takes.</summary>
    public const int MaximumListLength = 10_000;

    // "200,500,1000": whole numbers (no sign), at most MaximumListLength of them.
    private static IReadOnlyList<int> ParseIntegers(string text, string flag)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > MaximumListLength)
        {
            throw new UsageException($"{flag} holds {parts.Length} values, more than {MaximumListLength}");
        }

        var values = new List<int>(parts.Length);
        foreach (string part in parts)
        {
            values.Add(int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
                ? v
                : throw new UsageException($"{flag} must be comma-separated whole numbers, got '{part}' in '{text}'"));
        }

        return values;
    }

    // "baseline,nac": agents by name, each once, at least one.
    private static IReadOnlyList<CoreKind> ParseCores(string text, string flag)
    {
        CoreKind[] kinds = [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(name => ParseCore(name, flag)).Distinct()];
        return kinds.Length > 0 ? kinds : throw new UsageException($"{flag} lists no agent");
    }

    // Frame counts are easier to type as 5e6 or 5_000_000.
    private static object? ParseLong(string text, string flag)
    {
        string plain = text.Replace("_", "", StringComparison.Ordinal);
        if (long.TryParse(plain, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l))
        {
            return l;
        }

        if (!double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d != Math.Floor(d))
        {
            return null;
        }

        return Math.Abs(d) < 9e18 ? (long)d : throw new UsageException($"{flag}: {text} is far too large (a setting of this kind is at most about 10^13)");
    }

    // Any other choice (reward shape, agent start, ...) by its kebab-case name, as config.json spells it.
    private static object? ParseEnum(Type type, string text) =>
        Enum.GetValues(type).Cast<object>().FirstOrDefault(value => KebabName(value) == text.Trim().ToLowerInvariant());

    private static string KebabName(object value) => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString()!);

    private static CoreKind ParseCore(string text, string flag)
    {
        try
        {
            return CoreKinds.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{flag}: {e.Message}", e);
        }
    }

    // What a value of this type must be, for a refusal: "-1" is an integer, so for a seed say which ones are taken.
    private static string Expected(Type type) => type == typeof(ulong) ? $"whole number from 0 to {ulong.MaxValue}" : HelpName(type);

    /// <summary>What a value of <paramref name="type"/> is, as help names it: integer, number, true|false, or the choices.</summary>
    public static string HelpName(Type type)
    {
        Type plain = Nullable.GetUnderlyingType(type) ?? type;
        return plain switch
        {
            _ when plain == typeof(IReadOnlyList<int>) => "integer,integer,...",
            _ when plain == typeof(IReadOnlyList<CoreKind>) => "agent,agent,...",
            _ when plain == typeof(IReadOnlyList<string>) => "text",
            _ when plain == typeof(int) || plain == typeof(long) || plain == typeof(ulong) => "integer",
            _ when plain == typeof(double) => "number",
            _ when plain == typeof(bool) => "true|false",
            _ when plain == typeof(CoreKind) => string.Join("|", CoreKinds.All.Select(k => k.Name())),
            _ when plain.IsEnum => string.Join("|", Enum.GetValues(plain).Cast<object>().Select(KebabName)),
            _ => "text",
        };
    }

    /// <summary>A setting's value as GridTime writes it (see <see cref="Format"/>).</summary>
    private static string Show(object? value) => value switch
    {
        IEnumerable<int> list => string.Join(',', list.Select(v => v.ToString(CultureInfo.InvariantCulture))),
        IEnumerable<CoreKind> kinds => string.Join(',', kinds.Select(k => k.Name())),
        IReadOnlyList<string> texts => string.Join(' ', texts),
        bool flag => flag ? "true" : "false",
        CoreKind kind => kind.Name(),
        Enum choice => KebabName(choice),
        double d => d.ToString("G", CultureInfo.InvariantCulture),
        0 => "0",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

/// <summary>Reads the summaries of a type's properties from the XML documentation file beside its assembly.</summary>
public static class XmlDocs
{
    /// <summary>Property name → summary text (whitespace collapsed); empty when the documentation file is missing.</summary>
    public static IReadOnlyDictionary<string, string> Summaries(Type type)
    {
        string file = Path.ChangeExtension(type.Assembly.Location, ".xml");
        var summaries = new Dictionary<string, string>();
        if (!File.Exists(file))
        {
            return summaries;
        }

        string prefix = $"P:{type.FullName}.";
        foreach (XElement member in XDocument.Load(file).Descendants("member"))
        {
            string? name = member.Attribute("name")?.Value;
            XElement? summary = member.Element("summary");
            if (name is not null && summary is not null && name.StartsWith(prefix, StringComparison.Ordinal))
            {
                string text = string.Concat(summary.Nodes().Select(n => n switch
                {
                    XElement e => e.Attribute("cref")?.Value.Split('.').Last() ?? e.Value,
                    XText t => t.Value,
                    _ => "",
                }));
                summaries[name[prefix.Length..]] = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            }
        }

        return summaries;
    }
}
