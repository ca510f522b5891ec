using System.Globalization;

namespace GridTime.Training;

/// <summary>
/// Shows training progress: on a terminal, one status line rewritten in place a few times a second;
/// otherwise (a log file, CI) one plain line every <c>interval</c>.
/// </summary>
public sealed class ProgressReporter(long budget, TimeSpan interval, TextWriter? output = null)
{
    private readonly TextWriter _output = output ?? Console.Out;
    private readonly bool _terminal = output is null && !Console.IsOutputRedirected;
    private DateTime _lastPlain = DateTime.MinValue;
    private int _lastLength;

    /// <summary>Reports the current state; throttles itself.</summary>
    public void Report(long frames, double framesPerSecond, long episodes, double fractionOfBest, double exactRate, TimeSpan elapsed, bool force = false)
    {
        double remaining = framesPerSecond > 0 ? Math.Max(0, budget - frames) / framesPerSecond : double.NaN;
        string eta = double.IsFinite(remaining) ? TimeSpan.FromSeconds(Math.Round(remaining)).ToString("c", CultureInfo.InvariantCulture) : "--:--:--";
        double share = Math.Min(1, (double)frames / budget);

        // Before the first episode ends there is no reward to show: "-", not NaN.
        string Percent(double value) => double.IsFinite(value) ? value.ToString("P1", CultureInfo.InvariantCulture) : "-";
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{frames,12:N0}/{budget:N0} frames ({share,4:P0})  {framesPerSecond,7:N0} frames/s  {episodes,9:N0} episodes  "
            + $"reward {Percent(fractionOfBest),6} of best  exact {Percent(exactRate),6}  elapsed {elapsed:hh\\:mm\\:ss}  ETA {eta}");
        if (_terminal)
        {
            string bar = new string('#', (int)(share * 20)).PadRight(20, '.');
            string text = $"[{bar}] {line}";
            _output.Write("\r" + text.PadRight(_lastLength));
            _lastLength = text.Length;
            if (force)
            {
                _output.WriteLine();
                _lastLength = 0;
            }
        }
        else if (force || DateTime.UtcNow - _lastPlain >= interval)
        {
            _output.WriteLine(line);
            _lastPlain = DateTime.UtcNow;
        }
    }

    /// <summary>Writes a message on its own line (after the status line on a terminal).</summary>
    public void Message(string text)
    {
        if (_terminal && _lastLength > 0)
        {
            _output.WriteLine();
            _lastLength = 0;
        }

        _output.WriteLine(text);
    }
}
