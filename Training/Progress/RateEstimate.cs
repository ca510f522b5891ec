namespace GridTime.Training.Progress;

/// <summary>
/// The recent rate of a long task and the time it has left, from samples (seconds since start, amount done).
/// The time before the first progress (start-up: loading, compiling, threads starting) is not counted, and the
/// rate is taken over the last <see cref="WindowSeconds"/> only, so the estimate follows the current speed. No
/// estimate is given until progress has been seen over at least <see cref="MinimumSeconds"/>: a time left from a
/// fraction of a second of work is a guess.
/// </summary>
public sealed class RateEstimate(double total)
{
    /// <summary>Seconds of progress needed before a rate is given.</summary>
    public const double MinimumSeconds = 2;

    /// <summary>Seconds of the most recent samples the rate is taken over.</summary>
    public const double WindowSeconds = 30;

    private readonly Queue<(double Seconds, double Done)> _samples = new();
    private double? _startDone;

    /// <summary>Adds a sample: <paramref name="done"/> (units of the total) at <paramref name="seconds"/> since the task began.</summary>
    public void Add(double seconds, double done)
    {
        if (_startDone is null)
        {
            _startDone = done; // what was done before this session (a resumed run) is not this session's speed
            return;
        }

        if (_samples.Count == 0 && done <= _startDone)
        {
            return; // not started yet: the first progress becomes the origin
        }

        _samples.Enqueue((seconds, done));
        while (_samples.Count > 2 && _samples.Peek().Seconds < seconds - WindowSeconds)
        {
            _samples.Dequeue();
        }

        Done = done;
    }

    /// <summary>The amount done at the last sample.</summary>
    public double Done { get; private set; }

    /// <summary>Units per second over the recent window, or null while progress has lasted less than <see cref="MinimumSeconds"/>.</summary>
    public double? Rate
    {
        get
        {
            if (_samples.Count < 2)
            {
                return null;
            }

            (double firstSeconds, double firstDone) = _samples.Peek();
            (double lastSeconds, double lastDone) = _samples.Last();
            double span = lastSeconds - firstSeconds;
            return span >= MinimumSeconds ? (lastDone - firstDone) / span : null;
        }
    }

    /// <summary>The time left at the recent rate (none when all is done), or null when there is no rate yet (or no progress at it).</summary>
    public TimeSpan? Remaining => Done >= total ? TimeSpan.Zero : Rate is double rate && rate > 0 ? TimeSpan.FromSeconds((total - Done) / rate) : null;
}
