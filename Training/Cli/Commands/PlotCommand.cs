using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Rendering.Plots;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime plot</c>: the training curves of one or more runs from their metrics.csv, as one PNG of four panels
/// against frames trained (fraction of the best achievable reward, exact arrivals, the losses, frames per second),
/// for people who do not run TensorBoard. The subtitle and the PNG's tEXt chunks name every run, its id, agent and
/// frames.
/// </summary>
public static class PlotCommand
{
    /// <summary>
    /// The panels: title, y label, the metrics.csv columns drawn (with their legend suffix and line pattern), y from 0.
    /// A run keeps its colour in every panel; the losses of one run differ by line pattern.
    /// </summary>
    private static readonly (string Title, string YLabel, (string Column, string Suffix, CurvePattern Pattern)[] Columns, bool FromZero)[] Panels =
    [
        ("Fraction of the best achievable reward", "mean reward / best achievable", [("charts/fraction_of_best", "", CurvePattern.Solid)], true),
        ("Exact arrivals (share of episodes arriving at T)", "exact arrival rate", [("charts/exact_arrival_rate", "", CurvePattern.Solid)], true),
        ("Losses (mean per update)", "loss", [("losses/policy_loss", " policy", CurvePattern.Solid), ("losses/value_loss", " value", CurvePattern.Dashed), ("losses/entropy", " entropy", CurvePattern.Dotted)], false),
        ("Training speed", "frames per second", [("charts/frames_per_second", "", CurvePattern.Solid)], true),
    ];

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var runs = new Option<string[]>("--run") { Description = "Run folder whose metrics.csv is plotted (repeat for several).", Required = true, HelpName = "DIR" };
        var output = new Option<string>("--out") { Description = "The PNG to write.", Required = true, HelpName = "PATH.png" };
        var command = new Command("plot", "Plot training curves from metrics.csv (fraction of best, exact arrivals, losses, frames/s against frames) as a PNG.") { runs, output };
        command.SetAction(parsed =>
        {
            string[] folders = parsed.GetValue(runs) ?? [];
            var loaded = new List<(RunFolder Run, string Label, string Id, string Agent, MetricsTable Metrics, MetricsTable Drawn)>();
            foreach (string folder in folders)
            {
                var run = new RunFolder(folder);
                (TrainConfig Config, RunRecord? Record)? config = run.ReadConfig();
                MetricsTable metrics = MetricsTable.Read(run.MetricsFile);
                if (metrics.TornLines > 0)
                {
                    Console.Error.WriteLine($"gridtime: warning: {run.MetricsFile}: its last line is incomplete (still being written?) and is left out");
                }

                if (metrics.Rows.Count == 0)
                {
                    throw new UsageException($"metrics file {run.MetricsFile} has no rows yet");
                }

                // A row resting on a handful of episodes (the updates between the last log point and a Ctrl+C) is not drawn:
                // a mean over a few episodes would make every curve jump there.
                IReadOnlyList<int> shortRows = metrics.ShortRows();
                foreach (int row in shortRows)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{run.MetricsFile}: the row at {metrics.Rows[row][0]:N0} frames rests on {metrics.Column("charts/episodes")[row]:N0} episodes, fewer than a quarter of a typical row's; not drawn"));
                }

                loaded.Add((run, run.Name, config?.Record?.Id ?? "unknown", config?.Config.Agent.Name() ?? "unknown", metrics, metrics.Without(shortRows)));
            }

            loaded = [.. loaded.Zip(RunLoading.Labels([.. loaded.Select(l => l.Run)], folders), (l, label) => l with { Label = label })];

            if (loaded.Select(l => l.Run.Path).Distinct().Count() < loaded.Count)
            {
                throw new UsageException("a run is given twice");
            }

            // Refused before anything is written: an input, a directory, a symlink, a device or FIFO.
            string target = parsed.GetValue(output)!;
            RunLoading.RefuseRunsOwnFile(target, "plot");
            OutputFile.Check(target, "plot", OutputFormat.Png, [.. loaded.SelectMany(l => new[] { l.Run.MetricsFile, l.Run.ConfigFile })]);
            if (Path.GetDirectoryName(Path.GetFullPath(target)) is string parent && !Directory.Exists(parent))
            {
                throw new UsageException($"--out {target}: the folder {parent} does not exist");
            }

            string[] provenance = [.. loaded.Select(l => Provenance(l.Label, l.Agent, l.Id, l.Metrics))];
            string subtitle = string.Join("; ", provenance) + $"; GridTime {RunFolder.Versions["gridtime"]}";
            byte[] png = PanelGrid.EncodePng("Training curves (metrics.csv)", subtitle, [.. Panels.Select(p => Panel(p, loaded))]);
            OutputFile.Write(target, stream => stream.Write(png));
            Console.WriteLine($"wrote {target}: {string.Join(", ", Panels.Select(p => p.Title))}");
            foreach (string line in provenance)
            {
                Console.WriteLine($"  {line}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>"nac-s1 (nac, id 2026..., 60,160 frames, 12 rows)": a run as the plot names it.</summary>
    public static string Provenance(string name, string agent, string id, MetricsTable metrics) => string.Create(CultureInfo.InvariantCulture,
        $"{name} ({agent}, id {id}, {metrics.Column("frames")[^1]:N0} frames, {metrics.Rows.Count} rows)");

    private static Panel Panel((string Title, string YLabel, (string Column, string Suffix, CurvePattern Pattern)[] Columns, bool FromZero) panel, List<(RunFolder Run, string Label, string Id, string Agent, MetricsTable Metrics, MetricsTable Drawn)> runs)
    {
        var curves = new List<Curve>();
        for (int r = 0; r < runs.Count; r++)
        {
            (RunFolder run, MetricsTable metrics) = (runs[r].Run, runs[r].Drawn);
            double[] frames = metrics.Column("frames");
            foreach ((string column, string suffix, CurvePattern pattern) in panel.Columns)
            {
                double[] values = metrics.Columns.Contains(column) ? metrics.Column(column)
                    : throw new UsageException($"metrics file {run.MetricsFile} has no column {column}");
                curves.Add(new Curve(runs[r].Label + suffix, frames, values, Colour: r, Pattern: pattern));
            }
        }

        return new Panel(new PlotLayout(panel.Title, "frames trained", panel.YLabel, YFromZero: panel.FromZero), curves);
    }
}
