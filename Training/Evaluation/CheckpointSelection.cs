using System.Globalization;
using GridTime.Agents;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Training.Evaluation;

/// <summary>How one candidate checkpoint did on the validation episodes.</summary>
/// <param name="File">The checkpoint, as read once (the bytes that were scored are the bytes to load).</param>
/// <param name="FractionOfBest">Its mean reward over the best achievable on the training range.</param>
/// <param name="ExactRate">Its exact-arrival rate on the training range.</param>
public sealed record CheckpointScore(CheckpointFile File, double FractionOfBest, double ExactRate)
{
    /// <summary>The checkpoint file's path.</summary>
    public string Path => File.Path;

    /// <summary>Frames it had trained on.</summary>
    public long Frames => File.Header.Frames;
}

/// <summary>
/// Honest selection of the checkpoint that represents a run: late in training the exact-arrival rate swings
/// from one interval to the next, so the last snapshot is a noisy sample of the policy. This picks, among
/// the last K checkpoints, the one with the highest fraction of best achievable reward (ties: exact-arrival
/// rate) on validation episodes drawn only from the training range of T, with a seed of their own, so
/// nothing about the T values a run is judged on enters the choice.
/// </summary>
public static class CheckpointSelection
{
    /// <summary>How many of a run's last checkpoints eval chooses among by default (<c>--select-last</c>), and so how many training keeps.</summary>
    public const int DefaultCandidates = TrainConfig.DefaultKeepCheckpoints;

    /// <summary>Seed offset of the validation episodes, so they never coincide with evaluation episodes.</summary>
    public const ulong ValidationSeedOffset = 0x7A11D;

    /// <summary>
    /// The candidates: the last <paramref name="count"/> periodic checkpoints and latest.ckpt, newest first, each
    /// read once and verified (<see cref="Checkpoint.Read"/>), so a file replaced meanwhile (training writing
    /// latest.ckpt) cannot change what is scored or loaded. <paramref name="stop"/> is checked between files.
    /// </summary>
    public static IReadOnlyList<CheckpointFile> Candidates(RunFolder run, int count, CancellationToken stop = default)
    {
        var periodic = Directory.Exists(run.CheckpointFolder)
            ? Directory.GetFiles(run.CheckpointFolder, "frames-*.ckpt").Order(StringComparer.Ordinal).Reverse().ToList()
            : [];
        var candidates = new List<string>();
        if (File.Exists(run.LatestCheckpoint))
        {
            candidates.Add(run.LatestCheckpoint);
        }

        candidates.AddRange(periodic);

        // A damaged candidate is passed over (said once on stderr); if all are damaged the run cannot be evaluated.
        var usable = new List<CheckpointFile>();
        var damaged = new List<string>();
        foreach (string path in candidates)
        {
            stop.ThrowIfCancellationRequested();
            if (usable.DistinctBy(c => c.Header.Frames).Count() >= Math.Max(1, count))
            {
                break; // enough candidates: older files are not read
            }

            try
            {
                usable.Add(Checkpoint.Read(path));
            }
            catch (InvalidDataException e)
            {
                damaged.Add(e.Message);
            }
        }

        if (usable.Count == 0 && damaged.Count > 0)
        {
            throw new InvalidDataException($"no usable checkpoint in {run.Path}: {string.Join("; ", damaged)}");
        }

        damaged.ForEach(reason => Console.Error.WriteLine($"gridtime: warning: {reason}; not a candidate"));

        // latest.ckpt is usually the newest periodic checkpoint's bytes: score each state once, named by the periodic file,
        // which does not change when training continues.
        IEnumerable<CheckpointFile> named = usable
            .GroupBy(c => c.Sha256)
            .Select(same => same.FirstOrDefault(c => Path.GetFullPath(c.Path) != Path.GetFullPath(run.LatestCheckpoint)) ?? same.First());
        return [.. named.OrderByDescending(c => c.Header.Frames).DistinctBy(c => c.Header.Frames).Take(Math.Max(1, count))];
    }

    /// <summary>
    /// Scores each candidate on the training range (built from its bytes as read, <see cref="Checkpoint.Load(CheckpointFile, Config.TrainConfig?)"/>)
    /// and returns the scores, best first. <paramref name="stop"/> is checked between and during candidates.
    /// </summary>
    public static IReadOnlyList<CheckpointScore> Rank(IReadOnlyList<CheckpointFile> candidates, int episodesPerT, ulong seed, CancellationToken stop = default)
    {
        var scores = new List<CheckpointScore>();
        foreach (CheckpointFile file in candidates)
        {
            stop.ThrowIfCancellationRequested();
            (ActorCritic network, A3C.SharedAdam optimizer) = Checkpoint.Load(file);
            using (network)
            using (optimizer)
            {
                CheckpointHeader header = file.Header;
                int from = header.Config.MinT, to = header.Config.MaxT;
                EvaluationTable table = AgentEvaluation.Run(network, header.Config.World, from, to, episodesPerT, seed + ValidationSeedOffset, greedy: false, stop: stop);
                scores.Add(new CheckpointScore(file, table.FractionOfBest(from, to), table.ExactRate(from, to)));
            }
        }

        return [.. scores.OrderByDescending(s => s.FractionOfBest).ThenByDescending(s => s.ExactRate).ThenByDescending(s => s.Frames)];
    }

    /// <summary>One line describing the choice.</summary>
    public static string Describe(IReadOnlyList<CheckpointScore> ranked)
    {
        string scores = string.Join(", ", ranked.OrderByDescending(s => s.Frames).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Frames:N0} frames {s.FractionOfBest:F3}/{s.ExactRate:F2}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"selected {System.IO.Path.GetFileName(ranked[0].Path)} ({ranked[0].Frames:N0} frames) among {ranked.Count} checkpoint{(ranked.Count == 1 ? "" : "s")} by fraction of best / exact rate on training-range validation episodes: {scores}");
    }
}
