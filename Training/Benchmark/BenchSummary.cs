using System.Globalization;

namespace GridTime.Training.Benchmark;

/// <summary>
/// The closing lines of <c>gridtime bench</c>'s table: the agents compared, the headline and the busy-machine
/// warning. Each figure names the agent (and worker count) it belongs to, since several agents are measured.
/// </summary>
public static class BenchSummary
{
    /// <summary>
    /// Share (0..1) of the machine's CPU time that other processes may use during a training measurement before
    /// the bench warns: above it, one core of two is already a fifth busy, enough to move frames/s and scaling
    /// by more than a shared machine's usual noise.
    /// </summary>
    public const double BusyShare = 0.10;

    /// <summary>
    /// Three lines comparing the agents of <paramref name="speeds"/> in the compare setting: their frames/s with
    /// <paramref name="cores"/> workers as a share of the fastest, their GFLOP/s as a share of the most efficient
    /// (agents do different arithmetic per frame, so this is what shows a slow path), and each one's
    /// frames/s with <paramref name="cores"/> workers over its frames/s with one (the medians), and where there were
    /// several rounds the lowest and highest ratio of one round's two measurements (taken in the same round: how far the
    /// machine's minutes move the figure).
    /// </summary>
    /// <param name="speeds">Every training speed measured; the compare setting needs entries for 1 and <paramref name="cores"/> workers of each agent.</param>
    /// <param name="cores">The machine's cores: the largest worker count measured.</param>
    /// <param name="matmulScaling">The product alone on all cores over one (<see cref="BenchmarkReport.MatmulScalingAllCores"/>), said beside the scaling; 0 leaves it out.</param>
    public static string[] AgentComparison(IReadOnlyList<TrainingSpeed> speeds, int cores, double matmulScaling = 0)
    {
        var allCores = speeds.Where(s => s.Setting == "compare" && s.Workers == cores).ToList();
        double fastest = allCores.Max(s => s.FramesPerSecond);
        string shares = string.Join(", ", allCores.Select(s => Invariant($"{s.Agent} {s.FramesPerSecond / fastest:F2}")));
        double mostEfficient = allCores.Max(s => s.Gflops);
        string perFlop = string.Join(", ", allCores.Select(s => Invariant($"{s.Agent} {s.Gflops / mostEfficient:F2}")));
        string scaling = string.Join(", ", allCores.Select(s =>
        {
            TrainingSpeed one = Compare(speeds, s.Agent, 1)!;
            return Invariant($"{s.Agent} {s.FramesPerSecond / one.FramesPerSecond:F2}x{RoundRatios(one, s)}");
        }));
        return
        [
            Invariant($"agents with {cores} workers, as a share of the fastest ({fastest:N0} frames/s): {shares}"),
            Invariant($"agents with {cores} workers, per FLOP (GFLOP/s as a share of the most efficient, {mostEfficient:F1} GFLOP/s): {perFlop}"),
            $"1 -> {cores} workers: {scaling}{Bound(matmulScaling)}",
        ];
    }

    /// <summary>
    /// The share (0..1) of <see cref="TrainingSpeed.Workers"/> x <paramref name="ceiling"/> that
    /// <paramref name="speed"/> reached at the machine's pace: for each run, its GFLOP/s (frames/s x the setting's
    /// FLOPs per frame) over workers x the ceiling x (the product's GFLOP/s beside the run / <paramref name="usualPace"/>,
    /// the median of that figure over every run of the bench); the median over runs. A run in a minute when the
    /// product ran 10% slower than usual is held to a ceiling 10% lower. 0 where the pace was not measured.
    /// </summary>
    /// <param name="speed">A setting's runs and their <see cref="TrainingSpeed.ProductGflopsBesideRuns"/>.</param>
    /// <param name="ceiling">The one-core ceiling, GFLOP/s (<see cref="BenchmarkReport.MatmulGflopsOneCore"/>).</param>
    /// <param name="usualPace">The median of <see cref="TrainingSpeed.ProductGflopsBesideRuns"/> over every setting and worker count of the bench, GFLOP/s.</param>
    public static double ShareAtPace(TrainingSpeed speed, double ceiling, double usualPace)
    {
        IReadOnlyList<double> runs = speed.FramesPerSecondRuns, beside = speed.ProductGflopsBesideRuns;
        if (beside.Count != runs.Count || runs.Count == 0 || speed.FramesPerSecond <= 0 || ceiling <= 0 || usualPace <= 0 || beside.Any(b => b <= 0))
        {
            return 0;
        }

        double flopsPerFrame = speed.Gflops / speed.FramesPerSecond;
        return Statistics.Median([.. runs.Select((fps, i) => fps * flopsPerFrame / (speed.Workers * ceiling * beside[i] / usualPace)).Order()]);
    }

    /// <summary>
    /// The headline: the share of the <see cref="BenchmarkReport.Cores"/>-core matmul ceiling reached by the
    /// agent with the best GFLOP/s (<see cref="BenchmarkReport.CeilingFraction"/>), and the all-cores scaling of
    /// <paramref name="scalingAgent"/> (<see cref="BenchmarkReport.ScalingAllCores"/>, with the range of its rounds' ratios
    /// where there were several), each named; where the network did its whole work on every frame
    /// (<see cref="BenchmarkReport.FullWork"/>: with --full-work, the kernels on the PyTorch trainer's work rather than
    /// training as it runs; or with the kernels off, where libtorch's autograd always does) it says so.
    /// </summary>
    public static string Headline(BenchmarkReport report, string scalingAgent)
    {
        TrainingSpeed best = report.Training.MaxBy(s => s.Gflops)!;
        int cores = report.Cores;
        string atPace = report.CeilingFractionAtPace > 0 ? Invariant($", {report.CeilingFractionAtPace:P1} at the machine's pace beside each run") : "";
        string work = report.FullWork ? " with every layer on every frame" : "";
        TrainingSpeed? one = Compare(report.Training, scalingAgent, 1), all = Compare(report.Training, scalingAgent, cores);
        string rounds = one is not null && all is not null ? RoundRatios(one, all) : "";
        return Invariant($"headline: {Name(best)} reached {report.CeilingFraction:P1} of the {cores}-core matmul ceiling{work} ({best.Gflops / (cores * report.MatmulGflopsLibtorch):P1} of {cores} x libtorch's matmul{atPace}); {scalingAgent} {cores} workers / 1 worker = {report.ScalingAllCores:F2}x{rounds}{Bound(report.MatmulScalingAllCores)}");
    }

    /// <summary>
    /// One warning line when other processes used more than <see cref="BusyShare"/> of the machine during a
    /// training measurement, naming the most disturbed one; null otherwise or where /proc could not be read.
    /// </summary>
    public static string? OthersWarning(BenchmarkReport report)
    {
        if (report.OthersCpuShareMax is not { } most || most <= BusyShare)
        {
            return null;
        }

        TrainingSpeed busiest = report.Training.Where(s => s.OthersCpuShareRuns is { Count: > 0 }).MaxBy(s => s.OthersCpuShareRuns!.Max())!;
        return Invariant($"warning: other processes used up to {most:P0} of the machine's CPU time during the measurements (most during training {Name(busiest)}); these figures are not comparable with an idle machine's");
    }

    // The compare setting's entry of `agent` with `workers` workers, if measured.
    private static TrainingSpeed? Compare(IReadOnlyList<TrainingSpeed> speeds, string agent, int workers) =>
        speeds.FirstOrDefault(s => s.Setting == "compare" && s.Agent == agent && s.Workers == workers);

    // " (rounds 1.85-2.05)": the range of round r's all-cores run over its one-worker run, where both have more than one
    // (and they are two entries: with one core the ratio is 1 by definition).
    private static string RoundRatios(TrainingSpeed one, TrainingSpeed all)
    {
        int rounds = Math.Min(one.FramesPerSecondRuns.Count, all.FramesPerSecondRuns.Count);
        if (rounds < 2 || one.Workers == all.Workers)
        {
            return "";
        }

        double[] ratios = [.. Enumerable.Range(0, rounds).Select(r => all.FramesPerSecondRuns[r] / one.FramesPerSecondRuns[r])];
        return Invariant($" (rounds {ratios.Min():F2}-{ratios.Max():F2})");
    }

    // What the machine allows: the product alone scaled by this much from one core to all (0: not measured).
    private static string Bound(double matmulScaling) => matmulScaling > 0 ? Invariant($"; the product alone on all cores at once: {matmulScaling:F2}x") : "";

    /// <summary>"nac with 2 workers", the setting added where it is not the compare setting.</summary>
    private static string Name(TrainingSpeed speed) =>
        $"{speed.Agent}{(speed.Setting == "compare" ? "" : $" ({speed.Setting} setting)")} with {speed.Workers} {(speed.Workers == 1 ? "worker" : "workers")}";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
