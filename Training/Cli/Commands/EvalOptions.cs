using System.CommandLine;
using GridTime.Training;
using GridTime.Training.Evaluation;

namespace GridTime.Cli.Commands;

/// <summary>The evaluation flags shared by <c>eval</c> and <c>reproduce</c>, read into one <see cref="EvalSettings"/>.</summary>
public sealed class EvalOptions
{
    private static readonly EvalSettings Defaults = new();
    private readonly Option<int> _from = new("--t-from") { Description = "Smallest T evaluated.", DefaultValueFactory = _ => Defaults.From };
    private readonly Option<int> _to = new("--t-to") { Description = "Largest T evaluated.", DefaultValueFactory = _ => Defaults.To };
    private readonly Option<int> _episodes = new("--episodes") { Description = "Evaluation episodes per T.", DefaultValueFactory = _ => Defaults.Episodes };
    private readonly Option<string>? _list;
    private readonly Option<ulong> _seed;
    private readonly Option<bool> _greedy = new("--greedy") { Description = "Take the most probable action instead of sampling from the policy." };
    private readonly Option<int> _selectLast = new("--select-last")
    {
        Description = "Represent each run by the best of its last K checkpoints, chosen on validation episodes from the training range of T only (1 = the latest checkpoint).",
        DefaultValueFactory = _ => Defaults.SelectLast,
        HelpName = "K",
    };

    /// <summary>
    /// The flags, with the seed flag called <paramref name="seedFlag"/> (reproduce's --seed means something else), and
    /// --t-list when <paramref name="withList"/> (not for reproduce, whose comparison is of horizons over a range).
    /// </summary>
    public EvalOptions(string seedFlag, bool withList = false)
    {
        _list = withList
            ? new Option<string>("--t-list")
            {
                Description = "Evaluate only these T (comma-separated, e.g. 200,500,1000) instead of --t-from..--t-to. Per-T figures only: "
                    + "the horizons H90 and Hexact need every T from the training range on, so they are given for a range only.",
                HelpName = "T,T,...",
            }
            : null;
        _seed = new Option<ulong>(seedFlag) { Description = "Seed of the evaluation's start positions (the same for every T) and of its action sampling.", DefaultValueFactory = _ => Defaults.Seed };
    }

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in new Option?[] { _from, _to, _list, _episodes, _seed, _greedy, _selectLast }.OfType<Option>())
        {
            command.Options.Add(option);
        }
    }

    /// <summary>True when --select-last was given on the command line (not just its default).</summary>
    public bool SelectLastGiven(ParseResult parsed) => parsed.GetResult(_selectLast) is { Implicit: false };

    /// <summary>
    /// The T values of <paramref name="list"/> (<see cref="EvalSettings.ParseList"/>), or null when it was not given; a
    /// <see cref="UsageException"/> when it is bad or given with <paramref name="from"/> or <paramref name="to"/>.
    /// </summary>
    public static IReadOnlyList<int>? ReadList(ParseResult parsed, Option<string>? list, Option<int> from, Option<int> to)
    {
        if (list is null || parsed.GetResult(list) is null)
        {
            return null;
        }

        if (parsed.GetResult(from) is { Implicit: false } || parsed.GetResult(to) is { Implicit: false })
        {
            throw new UsageException("--t-list cannot be combined with --t-from or --t-to (give either chosen T values or a range)");
        }

        return EvalSettings.ParseList(parsed.GetValue(list) ?? "");
    }

    /// <summary>The settings the flags give; throws a <see cref="UsageException"/> for a bad value.</summary>
    public EvalSettings Read(ParseResult parsed)
    {
        IReadOnlyList<int>? list = ReadList(parsed, _list, _from, _to);
        var settings = new EvalSettings(parsed.GetValue(_from), parsed.GetValue(_to), parsed.GetValue(_episodes), parsed.GetValue(_seed), parsed.GetValue(_greedy), parsed.GetValue(_selectLast), list);
        if (list is not null)
        {
            settings = settings with { From = list[0], To = list[^1] };
        }

        settings.Validate();
        return settings;
    }
}
