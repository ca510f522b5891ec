using System.Diagnostics;
using System.Globalization;

namespace GridTime.Training.Sweeps;

/// <summary>
/// The lines a sweep run on this machine prints as cells start and finish: which cell of how many, and when the sweep
/// should end, estimated as cells left x the mean time of the cells that finished done / cells run at once. A cell that
/// failed or was stopped is left out of the mean: it may have stopped at once or after hours, and says nothing of how
/// long the others take.
/// </summary>
/// <param name="total">Cells in this sweep run.</param>
/// <param name="parallel">Cells run at once.</param>
/// <param name="seconds">The clock, in seconds from any fixed start (a stopwatch when not given).</param>
public sealed class SweepProgress(int total, int parallel, Func<double>? seconds = null)
{
    private readonly Func<double> _seconds = seconds ?? StopwatchSeconds();
    private readonly Dictionary<SweepCell, int> _numbers = [];
    private readonly Dictionary<SweepCell, double> _startedAt = [];
    private int _started, _finished, _done;
    private double _doneSeconds;

    /// <summary>"[2/6] CELL: started; 5 cells left, about 12 min more" (no estimate before a cell has finished done).</summary>
    public string Started(SweepCell cell)
    {
        _numbers[cell] = ++_started;
        _startedAt[cell] = _seconds();
        return $"[{_started}/{total}] {cell.Name}: started{Eta()}";
    }

    /// <summary>"[2/6] CELL: done in 4.2 min; ..." with <paramref name="outcome"/> "done" or another word (failed, stopped).</summary>
    public string Finished(SweepCell cell, string outcome)
    {
        double taken = _seconds() - _startedAt[cell];
        _finished++;
        if (outcome == "done")
        {
            _done++;
            _doneSeconds += taken;
        }

        return $"[{_numbers[cell]}/{total}] {cell.Name}: {outcome} in {Show(taken)}{Eta()}";
    }

    private string Eta() => _done == 0 || _finished == total
        ? ""
        : $"; {SweepCell.Count(total - _finished)} left, about {Show((total - _finished) * _doneSeconds / _done / Math.Min(parallel, total - _finished))} more";

    private static Func<double> StopwatchSeconds()
    {
        var clock = Stopwatch.StartNew();
        return () => clock.Elapsed.TotalSeconds;
    }

    private static string Show(double seconds) => seconds < 90
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F0} s")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:F1} min");
}
