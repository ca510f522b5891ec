using System.Globalization;
using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Tests.Reliability;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

/// <summary>
/// A dense reward for tests: the paper's rule, plus <see cref="Bonus"/> on every step the agent's cell does not
/// change (a stay, or a move into a wall). Best achievable: the return of waiting max(0, T − d) steps and then
/// walking straight to the target, on time when it can be (the paper's best plus the bonus of the wait).
/// </summary>
public sealed record StillnessBonusRules : EpisodeRules
{
    /// <summary>What each still step pays.</summary>
    public const float Bonus = 1f;

    /// <inheritdoc/>
    public override float Reward(in StepEvent step) => base.Reward(step) + (step.From == step.To ? Bonus : 0f);

    /// <inheritdoc/>
    public override int BestAchievable(int maxReward, int distance, int instruction) =>
        base.BestAchievable(maxReward, distance, instruction) + ((int)Bonus * Math.Max(0, instruction - distance));
}

/// <summary>
/// A rule that pays on several steps is counted whole everywhere: the environment's episode return, the training
/// statistics, metrics.csv and TensorBoard (charts/mean_reward, charts/fraction_of_best), training and eval
/// episode logs (totalReward = the sum of the step rewards).
/// </summary>
public sealed class DenseRewardTests
{
    private static readonly GridWorldOptions Dense = new() { Rules = new StillnessBonusRules() };

    public static TheoryData<int, int, int, int, int, GridAction[], float[], float, int, bool> Episodes => new()
    {
        // Wait 3 steps (1 each), walk 2, arrive at t = T = 5 (10): 13; best 10 + (5 − 2) = 13.
        { 0, 0, 0, 2, 5, [GridAction.Stay, GridAction.Stay, GridAction.Stay, GridAction.Right, GridAction.Right], [1, 1, 1, 0, 10], 13, 13, true },
        // Push into the left wall until L = T + m = 12: twelve still steps, truncated: 12; d = 8 > T = 2: best 10 − 6 = 4.
        { 0, 0, 4, 4, 2, [.. Enumerable.Repeat(GridAction.Left, 12)], [.. Enumerable.Repeat(1f, 12)], 12, 4, false },
        // Arrive at t = 1 with T = 3: 10 − 2 = 8, nothing still; best 10 + (3 − 1) = 12.
        { 2, 2, 2, 3, 3, [GridAction.Right], [8], 8, 12, true },
    };

    [Theory]
    [MemberData(nameof(Episodes))]
    public void TheWorldSumsEveryStepsReward(int ar, int ac, int tr, int tc, int instruction, GridAction[] actions, float[] rewards, float total, int best, bool terminated)
    {
        var world = new GridWorld(Dense);
        (_, StepInfo start) = world.ResetTo(new Cell(ar, ac), new Cell(tr, tc), instruction);
        Assert.Equal(best, start.BestAchievableReward);
        Assert.Equal(0f, start.EpisodeReturn);
        var builder = new EpisodeRecordBuilder(0);
        StepResult last = default;
        for (int i = 0; i < actions.Length; i++)
        {
            last = world.Step(actions[i]);
            Assert.Equal(rewards[i], last.Reward);
            builder.Add((int)actions[i], 0f, new float[5], last.Reward, last.Info);
        }

        Assert.True(world.IsDone);
        Assert.Equal((terminated, !terminated), (last.Terminated, last.Truncated));
        Assert.Equal(total, last.Info.EpisodeReturn);
        EpisodeRecord record = builder.Finish(last.Info, Dense, "baseline", 1);
        Assert.Equal(total, record.TotalReward);
        Assert.Equal(rewards, record.Steps.Select(s => s.Reward));
        Assert.Equal(best, record.BestAchievableReward);
        Assert.Equal(instruction + 10, record.Timeout);
    }

    [Fact]
    public void AVectorWorldsFinishedEpisodesCarryTheWholeReturn()
    {
        const int count = 4;
        var vector = new VectorGridWorld(Dense with { Size = 3, MinInstruction = 1, MaxInstruction = 4 }, count);
        vector.Reset(5);
        var sums = new float[count];
        var random = new SeededRandom(11);
        var actions = new int[count];
        int finished = 0, stillPaid = 0;
        for (int step = 0; step < 200; step++)
        {
            for (int i = 0; i < count; i++)
            {
                actions[i] = random.NextInt(GridActions.Count);
            }

            vector.Step(actions);
            for (int i = 0; i < count; i++)
            {
                sums[i] += vector.Rewards[i];
                stillPaid += !vector.Terminated[i] && vector.Rewards[i] == StillnessBonusRules.Bonus ? 1 : 0;
                Assert.Equal(sums[i], vector.Infos[i].EpisodeReturn);
            }

            foreach (FinishedEpisode episode in vector.Finished)
            {
                Assert.Equal(sums[episode.EnvironmentIndex], episode.Reward);
                sums[episode.EnvironmentIndex] = 0;
                finished++;
            }
        }

        Assert.True(finished > 20);
        Assert.True(stillPaid > 20);
    }

    [Fact]
    public void TrainingStatisticsMetricsTensorBoardAndEpisodeLogsCountEveryStepsReward()
    {
        using var folder = new TemporaryFolder();
        var config = new TrainConfig
        {
            Agent = CoreKind.Baseline,
            GridSize = 3,
            MinT = 1,
            MaxT = 3,
            MaxReward = 2,
            Hidden = 16,
            Workers = 1,
            EnvsPerWorker = 4,
            Steps = 5,
            Frames = 600,
            EpisodeLogEvery = 1,
            Seed = 3,
        };
        GridWorldOptions rules = config.World with { Rules = new StillnessBonusRules() };
        string log = folder["worker-0.msgpack"];
        using (var network = new ActorCritic(config.Network))
        using (var optimizer = SharedAdam.For(network, config))
        using (var writer = new EpisodeLogWriter(log))
        {
            var shared = new SharedTraining(config, network, optimizer, 0, "dense") { RunId = "dense-id" };
            new A3CWorker(shared, 0, environmentSeed: 17, writer) { World = rules }.Run(CancellationToken.None);
            IntervalTotals totals = shared.Statistics.Drain();
            using (var metrics = new MetricsLog(folder["metrics.csv"], folder["tb"]))
            {
                metrics.Write(shared.Frames, 1.0, totals, 100);
            }

            writer.Flush();
            IReadOnlyList<EpisodeRecord> records = EpisodeLogReader.Read(File.ReadAllBytes(log), log).Records;

            // Every finished episode is logged (--episode-log-every 1); each step's reward is the rule's, recomputed
            // from the logged cells, and the episode's total is their sum.
            Assert.Equal(totals.Episodes, records.Count);
            Assert.True(records.Count > 30, $"only {records.Count} episodes");
            int stillSteps = 0;
            foreach (EpisodeRecord record in records)
            {
                Assert.Equal(("dense", "dense-id", 0), (record.Run, record.RunId, record.Worker));
                Cell before = record.AgentStart;
                float sum = 0f;
                for (int k = 0; k < record.Steps.Count; k++)
                {
                    EpisodeStep step = record.Steps[k];
                    int t = k + 1;
                    bool arrived = step.Agent == record.Target;
                    Assert.Equal(arrived, k == record.Steps.Count - 1 && record.ArrivalTime == t);
                    float expected = (arrived ? Math.Max(0, 2 - Math.Abs(t - record.Instruction)) : 0) + (step.Agent == before ? 1f : 0f);
                    stillSteps += step.Agent == before ? 1 : 0;
                    Assert.Equal(expected, step.Reward);
                    sum += step.Reward;
                    before = step.Agent;
                }

                Assert.Equal(sum, record.TotalReward);
                int d = record.AgentStart.ManhattanDistance(record.Target);
                Assert.Equal(Math.Max(0, 2 - Math.Max(0, d - record.Instruction)) + Math.Max(0, record.Instruction - d), record.BestAchievableReward);
            }

            Assert.True(stillSteps > 10, $"only {stillSteps} still steps: the rule was not exercised");
            double reward = records.Sum(r => (double)r.TotalReward), best = records.Sum(r => (double)r.BestAchievableReward);
            Assert.Equal(reward, totals.Reward);
            Assert.Equal(best, totals.BestReward);

            // metrics.csv and TensorBoard: the mean over episodes and the fraction of the best, from the whole returns.
            string[] header = File.ReadAllLines(folder["metrics.csv"])[0].Split(',');
            string[] row = File.ReadAllLines(folder["metrics.csv"])[1].Split(',');
            double Column(string name) => double.Parse(row[Array.IndexOf(header, name)], CultureInfo.InvariantCulture);
            Assert.Equal(reward / records.Count, Column("charts/mean_reward"), 5);
            Assert.Equal(reward / best, Column("charts/fraction_of_best"), 5);
            Assert.Equal(records.Count, Column("charts/episodes"));
            var points = TensorBoardEvents.Read(folder["tb"]);
            Assert.Equal((float)(reward / records.Count), Assert.Single(points, p => p.Tag == "charts/mean_reward").Value, 5);
            Assert.Equal((float)(reward / best), Assert.Single(points, p => p.Tag == "charts/fraction_of_best").Value, 5);
            Assert.All(points, p => Assert.Equal(shared.Frames, p.Step));
        }
    }

    [Fact]
    public void EvaluationRecordsCountEveryStepsReward()
    {
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Baseline, Hidden = 16, Seed = 5 });
        IReadOnlyList<EvaluationEpisode> episodes = PolicyEvaluator.Run(network, Dense with { Size = 3 }, instruction: 3, episodes: 6, seed: 2, greedy: false, record: true);
        Assert.Contains(episodes, e => e.Record!.Steps.Any(s => s.Reward == StillnessBonusRules.Bonus));
        foreach (EvaluationEpisode episode in episodes)
        {
            EpisodeRecord record = episode.Record!;
            float sum = 0f;
            foreach (EpisodeStep step in record.Steps)
            {
                sum += step.Reward;
            }

            Assert.Equal(sum, record.TotalReward);
            Assert.Equal(sum, episode.Reward);
            Assert.Equal(-1, record.Worker);
        }
    }
}
