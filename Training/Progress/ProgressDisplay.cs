using System.Globalization;

namespace GridTime.Training.Progress;

/// <summary>What a long task has done at one moment, for <see cref="ProgressDisplay"/>.</summary>
/// <param name="Done">Amount done, in the units of <paramref name="Total"/>.</param>
/// <param name="Total">Amount of the whole task (greater than 0).</param>
/// <param name="Position">Where the task is, in its own terms ("1,200,000/10,000,000 frames", "T 23, 17/60 done").</param>
/// <param name="Details">Further figures, most important first; on a narrow terminal the last are left out.</param>
public sealed record ProgressState(double Done, double Total, string Position, IReadOnlyList<string> Details);

/// <summary>
/// Shows the progress of a long task. On a terminal (when the program has set <see cref="Terminal"/>): a live display
/// of two lines, redrawn in place a few times a second and fitted to the terminal's width whatever it is: a bar with the share
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
    private readonly ILiveTerminal? _console;
    private readonly TimeSpan _interval;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private bool _live;
    private RateEstimate? _rate;
    private ProgressState? _state;
    private double _lastRefresh = double.NegativeInfinity;
    private double _lastPlain;
    private bool _longEnoughForLines; // a plain line has been written, or was due when the task reached its total
    private ProgressState? _lastWritten;
    private bool _ended;

    private ProgressDisplay(TextWriter? output, TimeSpan interval)
    {
        _interval = interval;
        _plain = output ?? Console.Out;
        if (output is null && !Console.IsOutputRedirected)
        {
            _console = Terminal?.Invoke();
        }
    }

    /// <summary>
    /// Gives the terminal to draw live displays on, or null where the console cannot redraw in place (set once by the
    /// gridtime program at start); while unset, every display writes plain lines.
    /// </summary>
    public static Func<ILiveTerminal?>? Terminal { get; set; }

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

        return console.Run(() =>
        {
            display._live = true;
            try
            {
                return work(display);
            }
            finally
            {
                display.Finish();
                display._live = false;
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
            if (_live && now - _lastRefresh >= RefreshSeconds)
            {
                Redraw(now);
            }
            else if (!_live && now - _lastPlain >= _interval.TotalSeconds)
            {
                if (state.Done >= state.Total)
                {
                    // Written once, by Finish, ending "done": written now it would end "ETA 0:00:00" and be the last line.
                    _longEnoughForLines = true;
                    return;
                }

                _plain.WriteLine(PlainLine(state));
                _lastPlain = now;
                _longEnoughForLines = true;
                _lastWritten = state;
            }
        }
    }

    /// <summary>Writes <paramref name="text"/> on its own line (above the live display on a terminal).</summary>
    public void Message(string text)
    {
        lock (_lock)
        {
            if (_console is not null && _live)
            {
                _console.Write(text);
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
        if (_state is null || !_live || _console is null)
        {
            return;
        }

        (string bar, string details) = Lines(_state, End(_state), _console.Width);
        _console.Show(bar, details);
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

            if (_live)
            {
                Redraw(_clock.Elapsed.TotalSeconds);
            }
            else if (_longEnoughForLines && (!ReferenceEquals(_lastWritten, _state) || _state.Done < _state.Total))
            {
                _plain.WriteLine(PlainLine(_state)); // a task long enough for periodic lines ends with one, "stopped" when stopped short
            }
        }
    }
}

/// <summary>A terminal that redraws a few lines in place (the gridtime program's, drawn by Spectre.Console).</summary>
public interface ILiveTerminal
{
    /// <summary>The terminal's width in columns.</summary>
    int Width { get; }

    /// <summary>Runs <paramref name="work"/> with the live lines on the screen; what they show last stays there.</summary>
    T Run<T>(Func<T> work);

    /// <summary>Replaces the live lines with <paramref name="bar"/> and, unless empty, <paramref name="details"/> under it.</summary>
    void Show(string bar, string details);

    /// <summary>Writes <paramref name="text"/> as a line above the live lines.</summary>
    void Write(string text);
}
