using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;

namespace GridTime.Training.Evaluation;

/// <summary>Evaluates one network for every T of a range, using all cores (each T on its own thread).</summary>
public static class AgentEvaluation
{
    /// <summary>
    /// Plays <paramref name="episodes"/> episodes for every T in [<paramref name="from"/>, <paramref name="to"/>]
    /// and returns the table. Each T uses the same start positions (<see cref="PolicyEvaluator"/>). When
    /// <paramref name="episodeLog"/> is given, every episode is appended to it.
    /// </summary>
    public static EvaluationTable Run(ActorCritic network, GridWorldOptions rules, int from, int to, int episodes, ulong seed, bool greedy, EpisodeLogWriter? episodeLog = null)
    {
        TorchSharp.torch.set_num_threads(1);
        int count = to - from + 1;
        var rows = new EvaluationRow[count];
        var played = new IReadOnlyList<EvaluationEpisode>[count];
        int next = -1;
        var threads = Enumerable.Range(0, Math.Min(System.Environment.ProcessorCount, count)).Select(_ => new Thread(() =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                played[i] = PolicyEvaluator.Run(network, rules, from + i, episodes, seed, greedy, record: episodeLog is not null);
                rows[i] = EvaluationRow.From(from + i, played[i]);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (episodeLog is not null)
        {
            foreach (EvaluationEpisode e in played.SelectMany(p => p))
            {
                episodeLog.Append(e.Record!);
            }
        }

        return new EvaluationTable(rows);
    }
}
