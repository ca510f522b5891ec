using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GridTime.Training.Terminal;

/// <summary>What a long task has done at one moment, for <see cref="ProgressDisplay"/>.</summary>
/// <param name="Done">Amount done, in the units of <paramref name="Total"/>.</param>
/// <param name="Total">Amount of the whole task (greater than 0).</param>
/// <param name="Position">Where the task is, in its own terms ("1,200,000/10,000,000 frames", "T 23, 17/60 done").</param>
/// <param name="Details">Further figures, most important first; on a narrow terminal the last are left out.</param>
public sealed record ProgressState(double Done, double Total, string Position, IReadOnlyList<string> Details);

/// <summary>
/// Shows the progress of a long task. On a terminal: a live display of two lines, redrawn in place (by
/// Spectre.Console) a few times a second and fitted to the terminal's width whatever it is: a bar with the share
/// done, the position and the time left, then the details that fit. Otherwise (a file, a pipe, CI): one plain line
/// every <c>interval</c> and, after those, one at the end. Messages appear above the live display. The time left comes from the
/// recent rate (<see cref="RateEstimate"/>) and is shown only once there is one. Thread-safe.
/// </summary>
public sealed class ProgressDisplay
{
    private const double RefreshSeconds = 0.2;
    private const int MinimumBar = 10;

    private readonly Lock _lock = new();
    private readonly TextWriter _plain;
    private readonly IAnsiConsole? _console;
    private readonly TimeSpan _interval;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private LiveDisplayContext? _live;
    private RateEstimate? _rate;
    private ProgressState? _state;
    private double _lastRefresh = double.NegativeInfinity;
    private double _lastPlain;
    private bool _plainWritten;
    private ProgressState? _lastWritten;
    private bool _ended;

    private ProgressDisplay(TextWriter? output, TimeSpan interval)
    {
        _interval = interval;
        _plain = output ?? Console.Out;
        if (output is null && !Console.IsOutputRedirected)
        {
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            _console = console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi ? console : null;
        }
    }

    /// <summary>Whether the display is live (a terminal) rather than plain periodic lines.</summary>
    public bool IsLive => _console is not null;

    /// <summary>
    /// Runs <paramref name="work"/> with a progress display and returns its result; the last state shown stays on
    /// the screen (on a terminal) or is written as the last line. <paramref name="output"/>: write plain lines there
    /// instead of the console (tests, logs); <paramref name="interval"/>: seconds between plain lines.
    /// </summary>
    public static T Run<T>(TimeSpan interval, Func<ProgressDisplay, T> work, TextWriter? output = null)
    {
        var display = new ProgressDisplay(output, interval);
        if (display._console is not { } console)
        {
            try
            {
                return work(display);
            }
            finally
            {
                display.Finish(); // also when the work stops by throwing (Ctrl+C in eval): its last line says "stopped"
            }
        }

        var live = new LiveDisplay(console, new Text("")) { AutoClear = false, Overflow = VerticalOverflow.Ellipsis };
        return live.Start(context =>
        {
            display._live = context;
            try
            {
                return work(display);
            }
            finally
            {
                display.Finish();
                display._live = null;
            }
        });
    }

    /// <summary>Shows <paramref name="state"/> (throttled to a few redraws a second; plain lines every interval).</summary>
    public void Report(ProgressState state)
    {
        lock (_lock)
        {
            double now = _clock.Elapsed.TotalSeconds;
            _rate ??= new RateEstimate(state.Total);
            _rate.Add(now, state.Done);
            _state = state;
            if (_live is not null && now - _lastRefresh >= RefreshSeconds)
            {
                Redraw(now);
            }
            else if (_live is null && now - _lastPlain >= _interval.TotalSeconds)
            {
                _plain.WriteLine(PlainLine(state));
                _lastPlain = now;
                _plainWritten = true;
                _lastWritten = state;
            }
        }
    }

    /// <summary>Writes <paramref name="text"/> on its own line (above the live display on a terminal).</summary>
    public void Message(string text)
    {
        lock (_lock)
        {
            if (_console is not null && _live is not null)
            {
                _console.Write(new Text(text + "\n"));
            }
            else
            {
                _plain.WriteLine(text);
            }
        }
    }

    /// <summary>The time left at the recent rate, as h:mm:ss, or "…" while there is no rate yet.</summary>
    public string TimeLeft()
    {
        lock (_lock)
        {
            return _rate?.Remaining is TimeSpan left ? Clock(left) : "…";
        }
    }

    /// <summary>Units per second at the recent rate, or null while there is none yet.</summary>
    public double? Rate
    {
        get
        {
            lock (_lock)
            {
                return _rate?.Rate;
            }
        }
    }

    /// <summary>A duration as h:mm:ss.</summary>
    public static string Clock(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}:{span.Minutes:00}:{span.Seconds:00}");

    /// <summary>A share as a percentage with one decimal ("95.1%"; "-" when not a number).</summary>
    public static string Percent(double share) => double.IsFinite(share) ? (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : "-";

    /// <summary>
    /// The two lines of the live display for a terminal <paramref name="width"/> columns wide, each shorter than it
    /// (a line that fills the last column would make some terminals wrap): bar, share, position and
    /// <paramref name="end"/> ("ETA 0:02:41", or "stopped" once a task has ended before its total); then as many
    /// details as fit, in order.
    /// </summary>
    public static (string Bar, string Details) Lines(ProgressState state, string end, int width)
    {
        int room = Math.Max(20, width - 1);
        double share = Math.Clamp(state.Done / state.Total, 0, 1);
        string percent = (share * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";
        string tail = $" {percent,4}  {state.Position}  {end}";
        if (tail.Length > room - MinimumBar - 2)
        {
            tail = $" {percent,4}  {end}"; // too narrow for the position: share and time left only
        }

        int barWidth = Math.Max(0, Math.Min(40, room - tail.Length - 2));
        int filled = (int)Math.Round(share * barWidth);
        string bar = barWidth > 0 ? "[" + new string('#', filled) + new string('.', barWidth - filled) + "]" + tail : tail.TrimStart();
        return (Fit(bar, room), Fit(Join(state.Details, room), room));
    }

    /// <summary>The plain line of <paramref name="state"/> (for logs: nothing is left out).</summary>
    public string PlainLine(ProgressState state)
    {
        double share = Math.Clamp(state.Done / state.Total, 0, 1);
        return string.Join("  ", [$"{state.Position} ({(share * 100).ToString("F0", CultureInfo.InvariantCulture)}%)", .. state.Details, End(state)]);
    }

    // "ETA 0:02:41" while the task runs; once it has ended, "done", or "stopped" when it ended short of its total
    // (Ctrl+C, a failure): a time left would stay on the screen promising work that will not happen.
    private string End(ProgressState state) => !_ended ? $"ETA {TimeLeft()}" : state.Done >= state.Total ? "done" : "stopped";

    // As many details as fit in room, separated by two spaces, in order.
    private static string Join(IReadOnlyList<string> details, int room)
    {
        string line = "";
        foreach (string detail in details)
        {
            string longer = line.Length == 0 ? detail : line + "  " + detail;
            if (longer.Length > room)
            {
                break;
            }

            line = longer;
        }

        return line;
    }

    private static string Fit(string line, int room) => line.Length <= room ? line : line[..room];

    private void Redraw(double now)
    {
        if (_state is null || _live is null || _console is null)
        {
            return;
        }

        (string bar, string details) = Lines(_state, End(_state), _console.Profile.Width);
        IRenderable view = details.Length > 0 ? new Rows(new Text(bar), new Text(details)) : new Text(bar);
        _live.UpdateTarget(view);
        _live.Refresh();
        _lastRefresh = now;
    }

    private void Finish()
    {
        lock (_lock)
        {
            _ended = true;
            if (_state is null)
            {
                return;
            }

            if (_live is not null)
            {
                Redraw(_clock.Elapsed.TotalSeconds);
            }
            else if (_plainWritten && (!ReferenceEquals(_lastWritten, _state) || _state.Done < _state.Total))
            {
                _plain.WriteLine(PlainLine(_state)); // a task long enough for periodic lines ends with one, "stopped" when stopped short
            }
        }
    }
}
