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
    /// <paramref name="episodeLog"/> is given, it receives every episode, in order of T and episode.
    /// <paramref name="stop"/> is checked between T values and between the steps of a batch of episodes; when it
    /// is cancelled every thread stops and an <see cref="OperationCanceledException"/> is thrown (nothing returned).
    /// <paramref name="finished"/>, when given, is told each T as soon as it is done, on the thread that played it;
    /// <paramref name="stepped"/>, when given, is told (T, steps taken) after every step of a T's batch of episodes.
    /// </summary>
    public static EvaluationTable Run(
        ActorCritic network, GridWorldOptions rules, int from, int to, int episodes, ulong seed, bool greedy, Action<EpisodeRecord>? episodeLog = null, CancellationToken stop = default,
        Action<int>? finished = null, Action<int, int>? stepped = null) =>
        Run(network, rules, [.. Enumerable.Range(from, to - from + 1)], episodes, seed, greedy, episodeLog, stop, finished, stepped);

    /// <summary>
    /// The same for the T values of <paramref name="instructions"/> (in the order given; the table's rows follow it).
    /// Each T's episodes end at arrival or at the rules' timeout L (T + m for the paper's rule), so a large T plays
    /// proportionally longer episodes; only one T's episodes per thread are in memory at a time (their records,
    /// when <paramref name="episodeLog"/> is given, are kept until the end).
    /// </summary>
    public static EvaluationTable Run(
        ActorCritic network, GridWorldOptions rules, IReadOnlyList<int> instructions, int episodes, ulong seed, bool greedy, Action<EpisodeRecord>? episodeLog = null,
        CancellationToken stop = default, Action<int>? finished = null, Action<int, int>? stepped = null)
    {
        stop.ThrowIfCancellationRequested();
        TorchSharp.torch.set_num_threads(1);
        int count = instructions.Count;
        var rows = new EvaluationRow[count];
        var played = new IReadOnlyList<EvaluationEpisode>[count];
        int next = -1;
        Exception? failure = null;
        var threads = Enumerable.Range(0, Math.Min(System.Environment.ProcessorCount, count)).Select(_ => new Thread(() =>
        {
            try
            {
                int i;
                while (Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < count)
                {
                    stop.ThrowIfCancellationRequested();
                    int instruction = instructions[i];
                    played[i] = PolicyEvaluator.Run(
                        network, rules, instruction, episodes, seed, greedy, record: episodeLog is not null, stop, stepped: stepped is null ? null : step => stepped(instruction, step));
                    rows[i] = EvaluationRow.From(instructions[i], played[i]);
                    finished?.Invoke(instructions[i]);
                }
            }
            catch (Exception e)
            {
                // An exception must not escape a thread (it would end the process): the caller rethrows it.
                Interlocked.CompareExchange(ref failure, e, null);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        if (episodeLog is not null)
        {
            foreach (EvaluationEpisode e in played.SelectMany(p => p))
            {
                episodeLog(e.Record!);
            }
        }

        return new EvaluationTable(rows);
    }
}
