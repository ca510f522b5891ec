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
    private readonly List<(PropertyInfo Property, Option Option)> _fields = [];

    /// <summary>
    /// Builds one flag per setting of <typeparamref name="T"/>, but those in <paramref name="leaveOut"/> (property
    /// names), each named as <see cref="Settings{T}.NameOf"/> says unless <paramref name="renamed"/> maps its property
    /// name to another flag (reproduce's <c>--eval-seed</c>, whose <c>--seed</c> seeds the training). A value is read as
    /// text by <see cref="Settings{T}.ParseValue"/>, but a true|false setting's, whose bare flag is true (<c>--greedy</c>,
    /// or <c>--greedy false</c>), and a list of texts, whose flag is given once per value (<c>--sbatch-arg</c>).
    /// </summary>
    public ConfigBinding(IReadOnlyDictionary<string, string>? renamed = null, IReadOnlyCollection<string>? leaveOut = null)
    {
        var defaults = new T();
        IReadOnlyDictionary<string, string> docs = XmlDocs.Summaries(typeof(T));
        foreach (PropertyInfo property in Settings<T>.Properties.Where(p => leaveOut?.Contains(p.Name) != true))
        {
            string help = docs.GetValueOrDefault(property.Name, property.Name);
            string fixedNote = property.IsDefined(typeof(FixedOnResumeAttribute), inherit: true) ? " " + FixedOnResumeAttribute.HelpNote : "";
            object? byDefault = property.GetValue(defaults);
            string defaultNote = byDefault is null or IReadOnlyList<string> { Count: 0 } ? "" : $" [default: {Settings<T>.Format(byDefault)}]";
            string flag = renamed?.GetValueOrDefault(property.Name) ?? "--" + Settings<T>.NameOf(property);
            string description = $"{help}{defaultNote}{fixedNote}";
            string helpName = property.GetCustomAttribute<FlagAttribute>()?.HelpName ?? Settings<T>.HelpName(property.PropertyType);
            // A true|false setting is an Option<bool>: its bare flag is true, and it takes a following word only if
            // that is true or false (so `replay --all LOG` leaves LOG to the argument).
            Option option = property.PropertyType == typeof(bool) ? new Option<bool>(flag) { Description = description }
                : property.PropertyType == typeof(IReadOnlyList<string>) ? new Option<string[]>(flag) { Description = description, HelpName = helpName, AllowMultipleArgumentsPerToken = false }
                : new Option<string>(flag) { Description = description, HelpName = helpName };
            _fields.Add((property, option));
        }
    }

    /// <summary>The flags, to add to a command.</summary>
    public IEnumerable<Option> Options => _fields.Select(f => f.Option);

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in Options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The flags the user gave explicitly, by property name.</summary>
    public IReadOnlyList<string> GivenFlags(ParseResult parsed) =>
        [.. _fields.Where(f => parsed.GetResult(f.Option) is not null).Select(f => f.Property.Name)];

    /// <summary>Applies the flags given in <paramref name="parsed"/> on top of <paramref name="baseline"/>.</summary>
    public T ApplyFlags(T baseline, ParseResult parsed)
    {
        T merged = Settings<T>.Clone(baseline);
        foreach ((PropertyInfo property, Option option) in _fields)
        {
            if (parsed.GetResult(option) is null)
            {
                continue;
            }

            object value = option switch
            {
                Option<bool> flag => parsed.GetValue(flag),
                Option<string[]> texts => (IReadOnlyList<string>)(parsed.GetValue(texts) ?? []),
                Option<string> text => Settings<T>.ParseValue(property.PropertyType, parsed.GetValue(text) ?? "", option.Name),
                _ => throw new InvalidOperationException($"{option.Name}: no reading for {option.GetType().Name}"),
            };
            property.SetValue(merged, value);
        }

        return merged;
    }
}
