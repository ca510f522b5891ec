using System.Globalization;
using GridTime.Environment;
using GridTime.Training.Terminal;

namespace GridTime.Training.Evaluation;

/// <summary>
/// Reports an evaluation over T = from..to to a <see cref="ProgressDisplay"/> as each T is finished (called from the
/// evaluation's threads). A T's share of the work is its episodes' longest length, the timeout L = T + m steps, so the
/// bar and the time left account for larger T taking longer.
/// </summary>
public sealed class EvaluationProgress
{
    private readonly Lock _lock = new();
    private readonly ProgressDisplay _display;
    private readonly GridWorldOptions _rules;
    private readonly int _count;
    private readonly int _episodes;
    private readonly double _total;
    private double _done;
    private int _finished;

    /// <summary>Progress of <paramref name="episodes"/> episodes for each T of <paramref name="from"/>..<paramref name="to"/> under <paramref name="rules"/>.</summary>
    public EvaluationProgress(ProgressDisplay display, GridWorldOptions rules, int from, int to, int episodes)
    {
        _display = display;
        _rules = rules;
        _episodes = episodes;
        _count = to - from + 1;
        _total = Enumerable.Range(from, _count).Sum(Work);
        display.Report(State(null));
    }

    /// <summary>Counts <paramref name="instruction"/> as finished and shows the new state.</summary>
    public void Finished(int instruction)
    {
        lock (_lock)
        {
            _done += Work(instruction);
            _finished++;
            _display.Report(State(instruction));
        }
    }

    private double Work(int instruction) => (double)_episodes * (instruction + _rules.MaxReward);

    private ProgressState State(int? last) => new(_done, _total,
        string.Create(CultureInfo.InvariantCulture, $"{_finished}/{_count} T values{(last is int t ? $", T {t} done" : "")}"),
        [string.Create(CultureInfo.InvariantCulture, $"{(long)_finished * _episodes:N0}/{(long)_count * _episodes:N0} episodes")]);
}
