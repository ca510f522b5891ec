using System.Globalization;
using GridTime.Environment;
using GridTime.Training.Progress;

namespace GridTime.Training.Evaluation;

/// <summary>
/// Reports an evaluation of the T values it plays to a <see cref="ProgressDisplay"/> (called from the evaluation's
/// threads), as each step of a T's batch of episodes is taken and as each T is finished, so that a line appears every
/// interval even while one long T is played. A T's share of the work is its episodes' longest length, the timeout
/// L = T + m steps: the bar and the time left account for larger T taking longer, and count only the T evaluated.
/// </summary>
public sealed class EvaluationProgress
{
    private readonly Lock _lock = new();
    private readonly ProgressDisplay _display;
    private readonly GridWorldOptions _rules;
    private readonly int _count;
    private readonly int _episodes;
    private readonly double _total;
    private readonly Dictionary<int, double> _partial = [];
    private double _done;
    private int _finished;

    /// <summary>Progress of <paramref name="episodes"/> episodes for each T of <paramref name="instructions"/> under <paramref name="rules"/>.</summary>
    public EvaluationProgress(ProgressDisplay display, GridWorldOptions rules, IReadOnlyList<int> instructions, int episodes)
    {
        _display = display;
        _rules = rules;
        _episodes = episodes;
        _count = instructions.Count;
        _total = instructions.Sum(Work);
        display.Report(State(null));
    }

    /// <summary>Counts <paramref name="steps"/> steps of <paramref name="instruction"/>'s batch as done and shows the new state.</summary>
    public void Stepped(int instruction, int steps)
    {
        lock (_lock)
        {
            _partial[instruction] = Math.Min(Work(instruction), (double)_episodes * steps);
            _display.Report(State(null));
        }
    }

    /// <summary>Counts <paramref name="instruction"/> as finished and shows the new state.</summary>
    public void Finished(int instruction)
    {
        lock (_lock)
        {
            _partial.Remove(instruction);
            _done += Work(instruction);
            _finished++;
            _display.Report(State(instruction));
        }
    }

    private double Work(int instruction) => (double)_episodes * (instruction + _rules.MaxReward);

    private ProgressState State(int? last) => new(_done + _partial.Values.Sum(), _total,
        string.Create(CultureInfo.InvariantCulture, $"{_finished}/{_count} T values{(last is int t ? $", T {t} done" : "")}"),
        [string.Create(CultureInfo.InvariantCulture, $"{(long)_finished * _episodes:N0}/{(long)_count * _episodes:N0} episodes")]);
}
