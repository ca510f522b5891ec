using System.CommandLine;
using System.Reflection;
using GridTime.Training;
using GridTime.Training.Config;

namespace GridTime.Cli;

/// <summary>
/// Turns the settings of a settings record (<see cref="Settings{T}"/>) into command-line flags (help text from the
/// properties' doc comments) and merges a JSON file and flags into one record: defaults, then the file, then the flags.
/// </summary>
/// <typeparam name="T">The settings record, for example <see cref="TrainConfig"/>.</typeparam>
public sealed class ConfigBinding<T>
    where T : class, new()
{
    private readonly List<(PropertyInfo Property, Option<string> Option)> _fields = [];

    /// <summary>Builds one string-valued flag per setting of <typeparamref name="T"/>.</summary>
    public ConfigBinding()
    {
        var defaults = new T();
        IReadOnlyDictionary<string, string> docs = XmlDocs.Summaries(typeof(T));
        foreach (PropertyInfo property in Settings<T>.Properties)
        {
            string help = docs.GetValueOrDefault(property.Name, property.Name);
            string fixedNote = property.IsDefined(typeof(FixedOnResumeAttribute), inherit: true) ? " " + FixedOnResumeAttribute.HelpNote : "";
            var option = new Option<string>(Settings<T>.FlagOf(property.Name))
            {
                Description = $"{help} [default: {Settings<T>.Format(property.GetValue(defaults))}]{fixedNote}",
                HelpName = Settings<T>.HelpName(property.PropertyType),
            };
            _fields.Add((property, option));
        }
    }

    /// <summary>The flags, to add to a command.</summary>
    public IEnumerable<Option> Options => _fields.Select(f => (Option)f.Option);

    /// <summary>The flags the user gave explicitly, by property name.</summary>
    public IReadOnlyList<string> GivenFlags(ParseResult parsed) =>
        [.. _fields.Where(f => parsed.GetResult(f.Option) is not null).Select(f => f.Property.Name)];

    /// <summary>Applies the flags given in <paramref name="parsed"/> on top of <paramref name="baseline"/>.</summary>
    public T ApplyFlags(T baseline, ParseResult parsed)
    {
        T merged = Settings<T>.Clone(baseline);
        foreach ((PropertyInfo property, Option<string> option) in _fields)
        {
            if (parsed.GetResult(option) is null)
            {
                continue;
            }

            string text = parsed.GetValue(option) ?? "";
            property.SetValue(merged, Settings<T>.ParseValue(property.PropertyType, text, option.Name));
        }

        return merged;
    }
}
