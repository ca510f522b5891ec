using System.Globalization;
using GridTime.Environment.Episodes;
using GridTime.Training;
using GridTime.Training.Config;

namespace GridTime.Cli.Commands;

/// <summary>
/// What <c>replay</c> draws from an episode log: which records (by position, or by T, outcome and episode number;
/// one, the last, all, or a mosaic) and how (pixels per observation pixel, steps per second). Each property's doc
/// comment is its <c>--help</c> text and its default the command line's.
/// </summary>
public sealed record ReplaySettings
{
    /// <summary>Largest side of a <c>--grid</c> mosaic, in tiles.</summary>
    public const int MaximumGridSide = 10;

    /// <summary>Largest --scale.</summary>
    public const int MaximumScale = 32;

    /// <summary>Largest --fps.</summary>
    public const double MaximumFramesPerSecond = 100;

    /// <summary>Smallest --fps: a GIF stores a frame's delay in hundredths of a second, at most 65,535 (a slower one would be cut to it).</summary>
    public const double MinimumFramesPerSecond = 0.01;

    /// <summary>Replay the record at this position in the file (from 0), whatever it holds.</summary>
    [Flag(HelpName = "K")]
    public int? Record { get; init; }

    /// <summary>
    /// Only records whose 'episode' field is N: the N-th episode its worker (or the evaluation) played in its session,
    /// from 0; after a resume the count restarts, so several records can match.
    /// </summary>
    [Flag(HelpName = "N")]
    public long? EpisodeNumber { get; init; }

    /// <summary>Only episodes with instruction T.</summary>
    [Flag("t", HelpName = "T")]
    public int? Instruction { get; init; }

    /// <summary>Only episodes that ended so: exact (arrived exactly at T; 'on-time' is read the same), early, late or timeout (never arrived).</summary>
    [Flag(HelpName = "exact|early|late|timeout")]
    public string? Outcome { get; init; }

    /// <summary>Replay the last matching record instead of the first (with --grid: the last R x C).</summary>
    public bool Last { get; init; }

    /// <summary>Replay every matching record, one after another.</summary>
    public bool All { get; init; }

    /// <summary>Play the first R x C matching records side by side in one GIF (a mosaic of R rows and C columns, e.g. 3x3).</summary>
    [Flag(HelpName = "RxC")]
    public string? Grid { get; init; }

    /// <summary>Pixels per observation pixel (1..32).</summary>
    public int Scale { get; init; } = 4;

    /// <summary>Steps per second.</summary>
    [Flag("fps")]
    public double FramesPerSecond { get; init; } = 4;

    /// <summary>The mosaic's rows and columns (<see cref="ParseGrid"/>), or null without --grid.</summary>
    public (int Rows, int Columns)? Mosaic => Grid is string text ? ParseGrid(text) : null;

    /// <summary>The outcome --outcome names, or null without it; a name that is none is a <see cref="UsageException"/>.</summary>
    public EpisodeTiming? Timing => Outcome is null ? null : ParseOutcome(Outcome);

    /// <summary>Whether a record is chosen by what it is (--t, --outcome, --episode-number).</summary>
    public bool Filters => Instruction is not null || Outcome is not null || EpisodeNumber is not null;

    /// <summary>
    /// Throws a <see cref="UsageException"/> naming what is wrong: a bad --grid or --outcome, more than one of --record,
    /// --all and --grid (--last goes with --grid or alone), --record with a filter, --scale outside 1..<see cref="MaximumScale"/>,
    /// --fps outside <see cref="MinimumFramesPerSecond"/>..<see cref="MaximumFramesPerSecond"/>.
    /// </summary>
    public void Validate()
    {
        bool mosaic = Mosaic is not null;
        if ((Record is not null ? 1 : 0) + (All ? 1 : 0) + (mosaic ? 1 : 0) > 1 || (Last && (Record is not null || All)))
        {
            throw new UsageException("choose one of --record, --all and --grid (--last goes with --grid or alone)");
        }

        _ = Timing; // a bad --outcome is named before the combination below
        if (Record is not null && Filters)
        {
            throw new UsageException("--record picks a record by its position in the file; it does not combine with --t, --outcome or --episode-number");
        }

        if (Scale is < 1 or > MaximumScale)
        {
            throw new UsageException($"--scale must be 1..{MaximumScale}, got {Scale}");
        }

        if (!(FramesPerSecond >= MinimumFramesPerSecond && FramesPerSecond <= MaximumFramesPerSecond))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--fps must be {MinimumFramesPerSecond} to {MaximumFramesPerSecond}, got {FramesPerSecond}"));
        }
    }

    /// <summary>"3x3" → (3 rows, 3 columns); each side 1..<see cref="MaximumGridSide"/>.</summary>
    public static (int Rows, int Columns) ParseGrid(string text)
    {
        string[] parts = text.Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rows)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int columns)
            && rows is >= 1 and <= MaximumGridSide && columns is >= 1 and <= MaximumGridSide)
        {
            return (rows, columns);
        }

        throw new UsageException($"--grid must be ROWSxCOLUMNS with each 1..{MaximumGridSide} (e.g. 3x3), got '{text}'");
    }

    private static EpisodeTiming ParseOutcome(string text)
    {
        EpisodeTiming[] named = [.. EpisodeTimings.All.Where(t => t.Name() == (text == "on-time" ? "exact" : text))]; // its older name
        return named.Length == 1 ? named[0]
            : throw new UsageException($"--outcome must be one of {string.Join(", ", EpisodeTimings.All.Select(t => t.Name()))} ('on-time' reads as exact), got '{text}'");
    }
}
