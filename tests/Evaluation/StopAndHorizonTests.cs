using System.Diagnostics;
using GridTime.Agents;
using GridTime.Agents.Arithmetic;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Replay;
using GridTime.Tests.Training;
using GridTime.Training.A3C;
using GridTime.Cli.Commands;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Tests.Evaluation;

/// <summary>Horizons not reached are "none" in comparisons, with hand-computed tables.</summary>
public sealed class NoneHorizonTests
{
    // T 1..8; every T up to `reached` is perfect, the rest fail (reached 4 = no horizon from T 5).
    private static EvaluationTable Reaching(int reached) =>
        new([.. Enumerable.Range(1, 8).Select(t => new EvaluationRow(t, 10, t <= reached ? 10 : 1, 10, t <= reached ? 1 : 0, 0, 0, 0, 0))]);

    [Theory]
    [InlineData(new[] { 0 }, "none")]
    [InlineData(new[] { 0, 0 }, "none")]
    [InlineData(new[] { 14, 15, 16 }, "15 (14–16)")]
    [InlineData(new[] { 4, 4 }, "4 (4–4)")]
    [InlineData(new[] { 0, 12, 16 }, "12 (none–16)")]
    [InlineData(new[] { 0, 0, 12 }, "none (none–12)")]
    [InlineData(new[] { 0, 12, 14, 16 }, "13 (none–16)")]
    [InlineData(new[] { 16, 0, 14, 0 }, "none (none–16)")]
    [InlineData(new int[0], "-")]
    public void TheMedianAndRangeTreatNoneAsBelowEveryT(int[] horizons, string expected) =>
        Assert.Equal(expected, Comparison.MedianRange([.. horizons.Select(h => h == 0 ? (int?)null : h)]));

    [Fact]
    public void RunsThatReachNoHorizonShowNoneInTheSummaryAndTheCsv()
    {
        Assert.Null(Reaching(4).H90());
        Assert.Equal(6, Reaching(6).H90());
        var comparison = new Comparison(
        [
            new ComparisonCell(CoreKind.Baseline, 1, 100, 1, Reaching(4)),
            new ComparisonCell(CoreKind.Baseline, 2, 100, 1, Reaching(4)),
            new ComparisonCell(CoreKind.Nac, 1, 100, 1, Reaching(4)),
            new ComparisonCell(CoreKind.Nac, 2, 100, 1, Reaching(6)),
            new ComparisonCell(CoreKind.Nac, 3, 100, 1, Reaching(8)),
        ], 5, 8);
        string summary = comparison.ToMarkdown("t", "c");
        Assert.DoesNotContain("4 (4–4)", summary);
        Assert.Contains("| none | none | none, none | none, none |", summary);
        Assert.Contains("| 6 (none–8) | 6 (none–8) | none, 6, 8 | none, 6, 8 |", summary);
        Assert.Contains("none ranks below every T", summary);

        string[] csv = comparison.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("agent,seed,frames," + string.Join(',', EvaluationTable.Columns) + ",h90,hexact,run,", csv[0]);
        Assert.Contains(",none,none,", csv[1]);
        Assert.Contains(",6,6,", csv[(3 * 8) + 1]);
        (byte[] fraction, byte[] reward, byte[] outcomes) = comparison.EncodePlots();
        Assert.True(fraction.Length > 1000 && reward.Length > 1000 && outcomes.Length > 1000);
    }

    [Fact]
    public void AnEvaluationBelowTheTrainingRangeIsSaidToBeThatNotNaN()
    {
        // Evaluated on T 1..8 of a training range 9..12: no T of the range was played.
        var comparison = new Comparison([new ComparisonCell(CoreKind.Nac, 1, 100, 1, Reaching(8))], 9, 12);
        string summary = comparison.ToMarkdown("t", "c");
        Assert.DoesNotContain("NaN", summary);
        Assert.Contains("| not evaluated (no T of the training range) | not evaluated (no T of the training range) |", summary);
        Assert.Contains("| 0.000 ± 0.000 |", new Comparison([new ComparisonCell(CoreKind.Nac, 1, 100, 1, Reaching(4))], 5, 8).ToMarkdown("t", "c"));
        // ...and its horizons, which count from T = 9, are not defined: never "none" (which says T = 9 fails).
        Assert.Contains("| not defined | not defined | not defined | not defined |", summary);
        Assert.Contains(",not defined,not defined,", comparison.ToCsv());
    }

    [Fact]
    public void HorizonsOfARangeStartingAboveTheTrainingRangeAreNotDefinedEverywhere()
    {
        // Evaluated on T 6..8 of a training range 5..8, every T perfect: H90 counts from T = 5, which was not played.
        EvaluationTable fromSix = new([.. Reaching(8).Rows.Where(r => r.Instruction >= 6)]);
        Assert.False(fromSix.HorizonsDefined(5));
        Assert.True(Reaching(8).HorizonsDefined(5));
        Assert.False(new EvaluationTable([.. Reaching(8).Rows.Where(r => r.Instruction != 6)]).HorizonsDefined(5)); // chosen T with a gap
        var comparison = new Comparison([new ComparisonCell(CoreKind.Nac, 1, 100, 1, fromSix), new ComparisonCell(CoreKind.Nac, 2, 100, 1, fromSix)], 5, 8);
        string summary = comparison.ToMarkdown("t", "c");
        Assert.Contains("| not defined | not defined | not defined, not defined | not defined, not defined |", summary);
        Assert.Contains("not defined: the evaluated T are not one range that holds T = 5, from which the horizons count.", summary);
        string[] csv = comparison.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(csv.Skip(1), row => Assert.Contains(",not defined,not defined,", row));
        Assert.Contains("nac (2 seeds; Hexact not defined)", string.Join('\n', comparison.OutcomePanels().Select(p => p.Layout.Title)));
    }
}

/// <summary>A cancelled stop token stops evaluation, replay, arith and bench at their checks, and output sets stay unrenamed.</summary>
public sealed class StopTokenTests
{
    private static CancellationToken Cancelled() => new(canceled: true);

    [Fact]
    public void EvaluationStops()
    {
        using var network = new ActorCritic(new TrainConfig { Hidden = 16 }.Network);
        Assert.ThrowsAny<OperationCanceledException>(() => AgentEvaluation.Run(network, new GridWorldOptions(), 1, 4, 2, 1, false, stop: Cancelled()));
        Assert.ThrowsAny<OperationCanceledException>(() => PolicyEvaluator.Run(network, new GridWorldOptions(), 3, 2, 1, false, stop: Cancelled()));
    }

    [Fact]
    public void ReplayArithAndBenchStop()
    {
        var episode = new EpisodeRecord { GridSize = 5, Instruction = 3, Timeout = 10, MaxReward = 10, AgentStart = new Cell(0, 0), Target = new Cell(4, 4) };
        Assert.ThrowsAny<OperationCanceledException>(() => EpisodeReplay.WriteGif(new MemoryStream(), [episode], new ReplayStyle(), Cancelled()));
        Assert.ThrowsAny<OperationCanceledException>(() => ArithmeticExperiment.Run(ArithmeticOperation.Add, ArithmeticModel.Nac, new ArithmeticSettings { Steps = 10 }, Cancelled()));
        Assert.ThrowsAny<OperationCanceledException>(() => BenchCommand.Run(quick: true, null, Cancelled()));
    }

    [Fact]
    public void AnInterruptedOutputSetRenamesNothingAndRemovesItsTemporaryFiles()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder["a.csv"], "old a");
        using (var outputs = new OutputSet())
        {
            outputs.AddText(folder["a.csv"], "new a");
            outputs.AddText(folder["b.csv"], "new b");
            Assert.ThrowsAny<OperationCanceledException>(() => outputs.Commit(Cancelled()));
        }

        Assert.Equal("old a", File.ReadAllText(folder["a.csv"]));
        Assert.False(File.Exists(folder["b.csv"]));
        Assert.Equal([folder["a.csv"]], Directory.GetFiles(folder.Path));
    }
}

/// <summary>SIGINT during eval: one line, exit code 130, the previous outputs intact, no temporary files.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class EvalSignalTests
{
    [FactNeedingSigint]
    public async Task ASignalDuringEvalLeavesThePreviousOutputs()
    {
        using var folder = new TemporaryFolder();
        var run = new RunFolder(folder["run"]);
        run.Create();
        var config = new TrainConfig { Hidden = 16, Workers = 1 };
        var network = new ActorCritic(config.Network);
        Checkpoint.Save(new SharedTraining(config, network, new SharedAdam(network.parameters(), 0.9, 0.999, 1e-8), 0, run.Name), 0, run.LatestCheckpoint);
        Assert.Equal(0, Gridtime.Run("eval", "--run", run.Path, "--t-to", "3", "--episodes", "2", "--select-last", "1").ExitCode);
        string[] names = [RunFolder.EvalCsvName, RunFolder.EvalPlotName, RunFolder.EvalOutcomesName, RunFolder.EvalEpisodesName];
        byte[][] before = [.. names.Select(n => File.ReadAllBytes(Path.Combine(run.Path, n)))];

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "gridtime.dll"), "eval", "--run", run.Path, "--t-to", "60", "--episodes", "3000", "--select-last", "1"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string lockFile = Path.Combine(run.Path, RunLock.EvalFileName);
        var clock = Stopwatch.StartNew();
        while (!File.Exists(lockFile) && clock.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
        {
            await Task.Delay(50);
        }

        await Task.Delay(500); // well into the evaluation
        Assert.False(process.HasExited, process.HasExited ? await errors : "");
        Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(130, process.ExitCode);
        Assert.Equal("gridtime: interrupted", (await errors).Trim());
        Assert.DoesNotContain("wrote", await output);
        Assert.Equal(before, names.Select(n => File.ReadAllBytes(Path.Combine(run.Path, n))));
        Assert.Empty(Directory.GetFileSystemEntries(run.Path, "*.tmp-*", SearchOption.AllDirectories));
        Assert.False(File.Exists(lockFile));
    }
}
