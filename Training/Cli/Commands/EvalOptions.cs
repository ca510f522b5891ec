using System.CommandLine;
using GridTime.Training;
using GridTime.Training.Evaluation;

namespace GridTime.Cli.Commands;

/// <summary>
/// The evaluation flags of <c>eval</c>, <c>sweep</c> and <c>reproduce</c>: the settings of <see cref="EvalSettings"/>,
/// bound as train's are (<see cref="ConfigBinding{T}"/>: help from the record's doc comments, its defaults).
/// </summary>
public sealed class EvalOptions
{
    private readonly ConfigBinding<EvalSettings> _binding;

    /// <summary>
    /// The flags, with the seed's called <paramref name="seedFlag"/> (a sweep's --seed means its training seeds), and
    /// --t-list only when <paramref name="withList"/> (a sweep compares horizons, which need a range).
    /// </summary>
    public EvalOptions(string seedFlag, bool withList = false)
    {
        _binding = new ConfigBinding<EvalSettings>(
            renamed: new Dictionary<string, string> { [nameof(EvalSettings.Seed)] = seedFlag },
            leaveOut: withList ? [] : [nameof(EvalSettings.List)]);
    }

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command) => _binding.AddTo(command);

    /// <summary>True when --select-last was given on the command line (not just its default).</summary>
    public bool SelectLastGiven(ParseResult parsed) => _binding.GivenFlags(parsed).Contains(nameof(EvalSettings.SelectLast));

    /// <summary>
    /// The settings the flags give, validated, a list put in order with its ends as the range; --t-list with --t-from or
    /// --t-to is a <see cref="UsageException"/>, as is any bad value.
    /// </summary>
    public EvalSettings Read(ParseResult parsed)
    {
        RefuseListWithRange(_binding.GivenFlags(parsed));
        EvalSettings settings = _binding.ApplyFlags(new EvalSettings(), parsed);
        settings.Validate();
        return settings.Normalized();
    }

    /// <summary>
    /// A <see cref="UsageException"/> when the settings <paramref name="given"/> (property names, of <see cref="EvalSettings"/>
    /// or <see cref="ProbeSettings"/>) hold both a list of T and an end of a range.
    /// </summary>
    public static void RefuseListWithRange(IReadOnlyList<string> given)
    {
        if (given.Contains(nameof(EvalSettings.List)) && (given.Contains(nameof(EvalSettings.From)) || given.Contains(nameof(EvalSettings.To))))
        {
            throw new UsageException("--t-list cannot be combined with --t-from or --t-to (give either chosen T values or a range)");
        }
    }
}
