using System.Globalization;
using System.Security.Cryptography;
using GridTime.Agents;
using GridTime.Tests.Training;
using GridTime.Training.Evaluation;
using GridTime.Training.Runs;

namespace GridTime.Tests.Evaluation;

[Collection(ConsoleCollection.Name)]
public sealed class TimeProbeTests
{
    [Fact]
    public void AStateThatHoldsTExactlyIsReadWithRSquaredOneAndNoError()
    {
        // The state is t itself (and a constant unit): fitted on t = 1..12, measured on t = 1..1000.
        float[] fit = [.. Enumerable.Range(1, 12).SelectMany(t => new float[] { t, 1 })];
        LinearReadout readout = LinearReadout.Fit(fit, 2, [.. Enumerable.Range(1, 12).Select(t => (double)t)], 1, ridge: 0);
        var score = new FitScore();
        var predicted = new double[1];
        for (int t = 1; t <= 1000; t++)
        {
            readout.Predict([t, 1], predicted);
            score.Add(t, predicted[0]);
        }

        Assert.Equal(1, score.R2, 9);
        Assert.Equal(0, score.MeanAbsoluteError, 6);
        Assert.Equal(1000, score.Count);
    }

    [Fact]
    public void LeastSquaresRecoversAKnownLinearRelation()
    {
        // y1 = 2·x1 − 3·x2 + 5 and y2 = x3 − 1 on 50 points of a fixed pseudo-random design.
        var random = new Random(4);
        float[] x = [.. Enumerable.Range(0, 150).Select(_ => (float)random.Next(-20, 21))];
        double[] y = [.. Enumerable.Range(0, 50).SelectMany(i => new double[] { (2.0 * x[3 * i]) - (3.0 * x[(3 * i) + 1]) + 5, x[(3 * i) + 2] - 1.0 })];
        LinearReadout readout = LinearReadout.Fit(x, 3, y, 2, ridge: 0);
        Assert.Equal(2, readout.Weight(0, 0), 9);
        Assert.Equal(-3, readout.Weight(1, 0), 9);
        Assert.Equal(0, readout.Weight(2, 0), 9);
        Assert.Equal(5, readout.Intercept(0), 9);
        Assert.Equal(1, readout.Weight(2, 1), 9);
        Assert.Equal(-1, readout.Intercept(1), 9);
    }

    [Fact]
    public void TheRidgePenaltyShrinksTheSlopeButNotTheIntercept()
    {
        // x = 1, 2, 3 and y = 2x with λ = 1: centred x = (−1, 0, 1), y = (−2, 0, 2); w = Σxy / (Σx² + λ) = 4 / 3
        // (plain least squares: 2), b = ȳ − x̄·w = 4 − 2 · 4/3 = 4/3.
        LinearReadout readout = LinearReadout.Fit([1f, 2f, 3f], 1, [2.0, 4.0, 6.0], 1, ridge: 1);
        Assert.Equal(4.0 / 3, readout.Weight(0, 0), 12);
        Assert.Equal(4.0 / 3, readout.Intercept(0), 12);
    }

    [Fact]
    public void FitScoreIsTheTextbookRSquaredAndMeanAbsoluteError()
    {
        // Targets 1, 2, 3 (mean 2, Σ(y − ȳ)² = 2), predictions 1, 2, 4: Σ(y − ŷ)² = 1, R² = 1 − 1/2, MAE = 1/3.
        var score = new FitScore();
        score.Add(1, 1);
        score.Add(2, 2);
        score.Add(3, 4);
        Assert.Equal(0.5, score.R2, 12);
        Assert.Equal(1.0 / 3, score.MeanAbsoluteError, 12);
        Assert.True(double.IsNaN(new FitScore().R2));
    }

    [Fact]
    public void TheCounterCoresAccumulatorGivesTheElapsedTimeExactlyFarBeyondTheFit()
    {
        // Untrained, the counter's accumulator already holds a(t) = w·t (w the step NAC's weights, not 0): a linear
        // read-out fitted on T 5..12 reads t exactly at T = 200 as well, whatever the rest of the state does.
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Counter, Hidden = 16, Seed = 5 });
        IReadOnlyList<ProbeRow> rows = TimeProbe.Run(network, GridTime.Environment.GridWorldOptions.Default, [3, 8, 200], episodes: 4, seed: 2, ridge: 0);
        Assert.Equal(["below", "training", "beyond"], rows.Select(r => r.Split));
        Assert.All(rows, r => Assert.True(r.Steps > 0));
        Assert.All(rows.Where(r => r.Steps > r.Instruction), r => Assert.Equal(1, r.Elapsed.R2, 4));
        Assert.All(rows, r => Assert.InRange(r.Elapsed.MeanAbsoluteError, 0, 0.05));
    }

    [Fact]
    public void EveryCoreIsProbedOnItsWholeState()
    {
        // Every step every episode took is measured once: per T, the steps equal the episodes' lengths (eval's episodes).
        foreach (CoreKind kind in CoreKinds.All)
        {
            using var network = new ActorCritic(new AgentOptions { Core = kind, Hidden = 16, Seed = 3 });
            IReadOnlyList<ProbeRow> rows = TimeProbe.Run(network, GridTime.Environment.GridWorldOptions.Default, [6, 20], episodes: 3, seed: 4, ridge: 0.01);
            long[] lengths = [.. new[] { 6, 20 }.Select(t => PolicyEvaluator.Run(network, GridTime.Environment.GridWorldOptions.Default, t, 3, 4, greedy: true)
                .Sum(e => (long)(e.ArrivalTime ?? t + 10)))];
            Assert.Equal(lengths, rows.Select(r => r.Steps));
            Assert.All(rows, r => Assert.True(double.IsFinite(r.Elapsed.MeanAbsoluteError) && double.IsFinite(r.Left.MeanAbsoluteError), kind.Name()));
        }
    }

    [Fact]
    public void ProbeWritesProbeCsvWithProvenanceForATrainedRun()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "counter", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4",
            "--steps", "5", "--frames", "2000", "--log-interval", "1000", "--checkpoint-interval", "1000", "--episode-log-every", "0");
        Assert.True(code == 0, error);

        (code, string output, error) = Gridtime.Run("probe", "--run", run, "--t-list", "12,5,30", "--episodes", "3");
        Assert.True(code == 0, error);
        Assert.Contains("fitted on T 5..12", output);
        Assert.DoesNotContain("note: ", output); // the counter has no time-left output of its own
        string[] csv = File.ReadAllLines(Path.Combine(run, "probe.csv"));
        Assert.Equal("T,split,steps,elapsed_r2,elapsed_mae,time_left_r2,time_left_mae,ridge,"
            + "run,run_id,checkpoint,checkpoint_sha256,checkpoint_frames,eval_seed,actions,t_from,t_to,t_list,episodes_per_t,gridtime_version", csv[0]);
        Assert.Equal(4, csv.Length);
        string[][] rows = [.. csv.Skip(1).Select(l => l.Split(','))];
        Assert.Equal(["5", "12", "30"], rows.Select(r => r[0]));
        Assert.Equal(["training", "training", "beyond"], rows.Select(r => r[1]));
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(new RunFolder(run).LatestCheckpoint)));
        Assert.All(rows, r => Assert.Equal([sha, "greedy", "5", "30", "5;12;30", "3"], [r[11], r[14], r[15], r[16], r[17], r[18]]));
        Assert.All(rows, r => Assert.Equal("0", r[7]));
        Assert.All(rows, r => Assert.InRange(double.Parse(r[4], CultureInfo.InvariantCulture), 0, 0.05)); // the accumulator holds t

        foreach ((string[] args, string expected) in new (string[], string)[]
        {
            (["--ridge", "-1"], "--ridge must be a number from 0 to 1000000, got -1"),
            (["--ridge", "0,5"], "--ridge: expected number, got '0,5'"),
            (["--t-list", "0"], "--t-list must be comma-separated whole numbers"),
            (["--episodes", "0"], "--episodes must be at least 1"),
        })
        {
            File.Delete(Path.Combine(run, "probe.csv"));
            (code, _, error) = Gridtime.Run(["probe", "--run", run, .. args]);
            Assert.Equal(2, code);
            Assert.Contains(expected, error);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(File.Exists(Path.Combine(run, "probe.csv")));
        }
    }

    [Fact]
    public void ProbingACoreWithItsOwnTimeLeftEstimateSaysWhatTheReadOutCannotShow()
    {
        using var folder = new TemporaryFolder();
        string run = folder["timer"];
        (int code, _, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "timer", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4",
            "--steps", "5", "--frames", "1000", "--log-interval", "1000", "--checkpoint-interval", "1000", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        (code, string output, error) = Gridtime.Run("probe", "--run", run, "--t-list", "12", "--episodes", "2");
        Assert.True(code == 0, error);
        Assert.Contains("note: the timer core forms its time-left estimate in its output, from T in each observation; its state need not hold T - t", output);
    }
}
