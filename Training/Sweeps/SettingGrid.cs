using GridTime.Agents;
using GridTime.Training.Config;

namespace GridTime.Training.Sweeps;

/// <summary>One swept setting: its kebab-case name and its values, each as GridTime writes it ("0.0001").</summary>
/// <param name="Name">The setting's flag without dashes, e.g. "learning-rate".</param>
/// <param name="Values">Its values in the order given, each read like the flag and written back invariantly.</param>
public sealed record SweptSetting(string Name, IReadOnlyList<string> Values);

/// <summary>
/// The setting grids of a sweep, from <c>--set NAME=V1,V2</c> flags: every combination of their values is one
/// setting combination of the sweep (the first setting's values vary slowest).
/// </summary>
public static class SettingGrid
{
    /// <summary>Settings a sweep chooses itself per cell (or that name its folder) and so cannot be swept with --set.</summary>
    public static readonly string[] OwnedBySweep = ["agent", "seed", "run-dir"];

    /// <summary>
    /// Settings that change what a run shows, never what it learns or how it is scored: swept, they would only make
    /// cells that are the same experiment twice.
    /// </summary>
    public static readonly string[] ChangeNoResult = ["progress-seconds", "episode-log-every"];

    /// <summary>
    /// Reads the <c>--set</c> flags. Each is NAME=V1[,V2...] with NAME a training setting in kebab-case; the values
    /// are read as that setting's flag reads them and must pass its bounds (<paramref name="problems"/>: the sweep's
    /// <see cref="SweepProblems"/>).
    /// </summary>
    /// <exception cref="UsageException">
    /// Not NAME=VALUES, an unknown name (naming the closest valid ones), a setting the sweep owns, a setting given
    /// twice, an empty or repeated value, or a value that is not of the setting's kind or out of its bounds.
    /// </exception>
    public static IReadOnlyList<SweptSetting> Parse(IEnumerable<string> flags, TrainConfig template, Func<TrainConfig, IReadOnlyList<string>> problems)
    {
        var settings = new List<SweptSetting>();
        foreach (string flag in flags)
        {
            int equals = flag.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == flag.Length - 1)
            {
                throw new UsageException($"--set {flag}: expected NAME=VALUE[,VALUE...], e.g. --set learning-rate=1e-4,5e-4");
            }

            string name = flag[..equals].Trim().TrimStart('-');
            if (OwnedBySweep.Contains(name))
            {
                throw new UsageException($"--set {name}: the sweep sets {name} itself (use --agents, --seeds and --run-dir)");
            }

            if (ChangeNoResult.Contains(name))
            {
                throw new UsageException($"--set {name}: {name} changes only what a run shows, not what it learns: every value would train the same cells again; give it once as --{name}");
            }

            if (!Settings<TrainConfig>.SettingNames.Contains(name))
            {
                throw new UsageException($"--set {name}: no such setting; the closest are {string.Join(", ", Closest(name, Settings<TrainConfig>.SettingNames.Except(OwnedBySweep)))}");
            }

            if (settings.Any(s => s.Name == name))
            {
                throw new UsageException($"--set {name} is given twice: give all its values in one --set {name}=V1,V2");
            }

            var values = new List<string>();
            foreach (string text in flag[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries))
            {
                if (text.Length > 1 && text[0] == '0' && char.IsAsciiDigit(text[1]))
                {
                    // "0,01" split at its decimal comma gives 0 and 01: refuse rather than sweep 0 and 1.
                    throw new UsageException($"--set {name}: the value {text} looks like the end of a number written with a decimal comma; values are separated by commas, so write decimals with a point (0.01)");
                }

                object value = Settings<TrainConfig>.ParseSetting(name, text, $"--set {name}");
                IReadOnlyList<string> found = problems(Settings<TrainConfig>.With(template, [new(name, value)]));
                if (found.Count > 0)
                {
                    throw new UsageException($"--set {name}={text}: {string.Join("; ", found)}");
                }

                string written = Settings<TrainConfig>.Format(value);
                if (values.Contains(written))
                {
                    throw new UsageException($"--set {name}: the value {text} is given twice");
                }

                values.Add(written);
            }

            settings.Add(new SweptSetting(name, values));
        }

        return settings;
    }

    /// <summary>
    /// The problems of <paramref name="config"/> as a sweep over <paramref name="agents"/> uses it: each agent's cells
    /// take what applies to it (<see cref="TrainConfig.ForAgent"/>), so a setting of a part only some agents have is
    /// fine, but one that no agent of the sweep has is refused.
    /// </summary>
    public static IReadOnlyList<string> SweepProblems(TrainConfig config, IReadOnlyList<CoreKind> agents)
    {
        var problems = new List<string>();
        foreach (CoreKind agent in agents)
        {
            problems.AddRange(config.ForAgent(agent).Problems().Where(p => !problems.Contains(p)));
        }

        // A setting that every agent's own config refuses applies to none of them.
        IReadOnlyList<string>[] own = [.. agents.Select(agent => (config with { Agent = agent }).Problems())];
        problems.AddRange(own[0].Where(p => own.All(o => o.Any(q => Flag(q) == Flag(p)))).Where(p => !problems.Contains(p)));
        return problems;
    }

    // The flag a problem names: "--time-left-loss: ..." → "--time-left-loss".
    private static string Flag(string problem) => problem.Split(':')[0];

    /// <summary>Every combination of the settings' values (one empty combination when nothing is swept), first setting slowest.</summary>
    public static IReadOnlyList<IReadOnlyList<KeyValuePair<string, string>>> Combinations(IReadOnlyList<SweptSetting> settings)
    {
        IEnumerable<IReadOnlyList<KeyValuePair<string, string>>> combinations = [[]];
        foreach (SweptSetting setting in settings)
        {
            combinations = [.. combinations.SelectMany(c => setting.Values.Select(v => (IReadOnlyList<KeyValuePair<string, string>>)[.. c, new(setting.Name, v)]))];
        }

        return [.. combinations];
    }

    /// <summary>The up to three names nearest to <paramref name="name"/> by edit distance (Levenshtein), nearest first.</summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> names) =>
        [.. names.OrderBy(n => ClosestNames.Distance(name, n)).ThenBy(n => n, StringComparer.Ordinal).Take(3)];
}
