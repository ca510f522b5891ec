using System.Globalization;
using GridTime.Training.Files;

namespace GridTime.Training.Runs;

/// <summary>
/// The rows of a run's metrics.csv (<see cref="MetricsLog"/>), read back by column name for plotting. A last line
/// without its line end (a training process writing it, or killed while it did) is left out and counted.
/// </summary>
/// <param name="Columns">The header's column names, in order.</param>
/// <param name="Rows">The values of each complete row, in column order (NaN where the log says NaN).</param>
/// <param name="TornLines">Lines left out: 1 when the file ends inside a line, else 0.</param>
public sealed record MetricsTable(IReadOnlyList<string> Columns, IReadOnlyList<double[]> Rows, int TornLines)
{
    /// <summary>Largest metrics.csv read: 256 MiB (a 10^13-frame run logged every 10^5 frames stays far below).</summary>
    public const long MaximumBytes = 256L << 20;

    /// <summary>The values of column <paramref name="name"/>, one per row.</summary>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public double[] Column(string name)
    {
        int index = Columns.ToList().IndexOf(name);
        return index >= 0 ? [.. Rows.Select(r => r[index])] : throw new KeyNotFoundException($"no column {name}");
    }

    /// <summary>
    /// Whether a row resting on <paramref name="episodes"/> episodes is too small to stand beside rows of about
    /// <paramref name="typicalEpisodes"/>: fewer than a quarter of them. Such a row (the few updates between the last log
    /// point and a Ctrl+C, say) is a mean over a handful of episodes and makes curves jump at the end.
    /// </summary>
    public static bool IsShort(double episodes, double typicalEpisodes) => episodes < typicalEpisodes / 4;

    /// <summary>
    /// Indices of the rows too small to mean anything (<see cref="IsShort"/> against the median of the rows' charts/episodes);
    /// none when the table has fewer than three rows or no charts/episodes column.
    /// </summary>
    public IReadOnlyList<int> ShortRows()
    {
        int index = Columns.ToList().IndexOf("charts/episodes");
        if (index < 0 || Rows.Count < 3)
        {
            return [];
        }

        double[] sorted = [.. Rows.Select(r => r[index]).Order()];
        double median = sorted[sorted.Length / 2];
        return [.. Enumerable.Range(0, Rows.Count).Where(r => IsShort(Rows[r][index], median))];
    }

    /// <summary>This table without the rows at <paramref name="indices"/>.</summary>
    public MetricsTable Without(IReadOnlyCollection<int> indices) =>
        this with { Rows = [.. Rows.Where((_, r) => !indices.Contains(r))] };

    /// <summary>Reads metrics.csv at <paramref name="path"/>.</summary>
    /// <exception cref="UsageException">Missing, not a regular file, too large, or not a metrics table (naming the line).</exception>
    public static MetricsTable Read(string path)
    {
        string text = InputFile.ReadAllText(path, MaximumBytes, "metrics file");
        string[] lines = text.Split('\n');
        int torn = lines[^1].Length > 0 ? 1 : 0;
        string[] complete = lines[..^1];
        if (complete.Length == 0 || !complete[0].StartsWith("frames,", StringComparison.Ordinal))
        {
            throw new UsageException($"metrics file {path} is not a metrics table: its first line does not start with 'frames,'");
        }

        string[] columns = complete[0].Split(',');
        var rows = new List<double[]>();
        for (int i = 1; i < complete.Length; i++)
        {
            string[] fields = complete[i].Split(',');
            var values = new double[columns.Length];
            for (int c = 0; c < columns.Length; c++)
            {
                if (fields.Length == columns.Length && fields[c] == "none")
                {
                    values[c] = double.NaN; // a horizon the monitoring evaluation did not reach (MetricsLog.NoHorizon): nothing to draw
                    continue;
                }

                if (fields.Length != columns.Length || !double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out values[c]))
                {
                    throw new UsageException($"metrics file {path}: line {i + 1} is not {columns.Length} numbers: '{complete[i]}'");
                }
            }

            rows.Add(values);
        }

        return new MetricsTable(columns, rows, torn);
    }
}
