namespace GridTime.Training.Config;

/// <summary>
/// The valid names closest to a misspelled one, for "did you mean" hints: by edit distance (Levenshtein: insertions,
/// deletions, substitutions) after ignoring case, '-' and '_' (so learning_rate, LearningRate and --learning-rate
/// are all near learningRate), within a third of the name's length (at least 2).
/// </summary>
public static class ClosestNames
{
    /// <summary>
    /// Up to <paramref name="count"/> names of <paramref name="valid"/> closest to <paramref name="given"/>, closest first
    /// (a name that begins with what was given counts as one edit away, --episode finds --episode-number, unless a name is what
    /// was given but for case and separators); empty when none is close.
    /// </summary>
    public static IReadOnlyList<string> Of(string given, IEnumerable<string> valid, int count = 3)
    {
        string plain = Plain(given);
        int limit = Math.Max(2, plain.Length / 3);
        string[] names = [.. valid];
        // A name that is what was given but for case and separators is what was meant: the longer names it begins
        // (learning_rate: learningRateSchedule beside learningRate) are then only as near as their edit distance.
        bool prefixes = plain.Length > 2 && !names.Any(name => Plain(name) == plain);
        return [.. names
            .Select(name => (Name: name, Distance: prefixes && Plain(name).StartsWith(plain, StringComparison.Ordinal) ? 1 : Distance(plain, Plain(name))))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(count)
            .Select(c => c.Name)];
    }

    /// <summary>" (did you mean a, b or c?)" for the names closest to <paramref name="given"/>, or "" when none is close.</summary>
    public static string Hint(string given, IEnumerable<string> valid)
    {
        IReadOnlyList<string> closest = Of(given, valid);
        return closest.Count switch
        {
            0 => "",
            1 => $" (did you mean {closest[0]}?)",
            _ => $" (did you mean {string.Join(", ", closest.Take(closest.Count - 1))} or {closest[^1]}?)",
        };
    }

    /// <summary>The Levenshtein distance between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        int[] previous = [.. Enumerable.Range(0, b.Length + 1)];
        int[] current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static string Plain(string name) => new([.. name.TrimStart('-').Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant)]);
}
