using GridTime.Environment.Episodes;
using GridTime.Training.Evaluation;

namespace GridTime.Training.Api;

/// <summary>
/// Reads what runs and evaluations write, for analysis from code: episode logs (schema in docs/episode-log.md) and
/// eval.csv. Each throws <see cref="InvalidDataException"/> naming the file when it is not one.
/// </summary>
public static class RunResults
{
    /// <summary>
    /// Every complete episode of an episode log (<c>runs/NAME/episodes/worker-K.msgpack</c> or <c>eval-episodes.msgpack</c>):
    /// per step the action, reward, value and positions (<see cref="EpisodeRecord"/>). An incomplete last record (a crash
    /// mid-write) is left out and reported by <see cref="EpisodeLog.TruncatedAt"/>.
    /// </summary>
    public static EpisodeLog ReadEpisodes(string path) => EpisodeLogReader.Read(path);

    /// <summary>
    /// The per-T table of an <c>eval.csv</c> (<see cref="EvaluationRow"/>: episodes, mean reward, mean best, exact-arrival
    /// rate, early, late, timeouts per T), with the horizons <see cref="EvaluationTable.H90"/> and <see cref="EvaluationTable.HExact"/>.
    /// </summary>
    public static EvaluationTable ReadEval(string path) => EvaluationTable.FromCsv(File.ReadAllText(path), path);
}
