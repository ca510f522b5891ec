using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GridTime.Agents;
using GridTime.Agents.Kernels;
using GridTime.Training;
using GridTime.Training.Benchmark;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Progress;
using GridTime.Training.Runs;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime bench</c>: environment, drawing and training speed, the network's FLOPs per frame and the
/// machine's matrix-multiply ceiling, as a table or (<c>--json</c>) one JSON object (<see cref="BenchmarkReport"/>).
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var binding = new ConfigBinding<BenchSettings>();
        var command = new Command("bench", "Measure environment, drawing and training speed against the machine's matrix-multiply ceiling.");
        binding.AddTo(command);

        command.SetAction(parsed =>
        {
            BenchSettings settings = binding.ApplyFlags(new BenchSettings(), parsed);
            settings.Validate();
            if (settings.Soak is double minutes)
            {
                return Soak(settings.Agents, TimeSpan.FromMinutes(minutes), settings.SoakWorkers, TimeSpan.FromMinutes(settings.SoakSlice), !settings.SoakNoCollections);
            }

            // Progress goes where the table goes, or to standard error with --json (standard output stays one JSON object).
            bool asJson = settings.Json;
            BenchmarkReport report = Run(settings.Quick, asJson ? null : Console.Out, Program.Stop, settings.Agents, asJson ? Console.Error : Console.Out, settings.FullWork, settings.Rounds);
            if (asJson)
            {
                // Text as written ("MKL's", not "MKL\u0027s"): the JSON goes to a terminal or a file, never into HTML.
                Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

                // Standard output stays one JSON object; the field others_cpu_share_max carries the same fact.
                if (BenchSummary.OthersWarning(report) is { } warning)
                {
                    Console.Error.WriteLine(warning);
                }
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// Runs every measurement; prints progress and the table to <paramref name="log"/> when given.
    /// <paramref name="stop"/> is checked between measurements (<see cref="OperationCanceledException"/>). With
    /// <paramref name="fullWork"/> training runs without the fast pass's savings (<see cref="BenchSettings.FullWork"/>);
    /// <paramref name="rounds"/> measurements of each agent and worker count (<see cref="BenchSettings.Rounds"/>; null: 3,
    /// 1 with <paramref name="quick"/>).
    /// </summary>
    public static BenchmarkReport Run(bool quick, TextWriter? log, CancellationToken stop = default, IReadOnlyList<CoreKind>? agents = null, TextWriter? progress = null, bool fullWork = false, int? rounds = null)
    {
        agents ??= [new TrainConfig().Agent];
        stop.ThrowIfCancellationRequested();
        // Before libtorch's first product: its ceiling is then measured at the width GridTime's kernels run at.
        LibTorchInstructions libtorchInstructions = LibTorchMatmulWidth.LimitTo(Simd.Width);
        TimeSpan probe = TimeSpan.FromSeconds(quick ? 0.5 : 3);
        // Each worker count is measured `repeats` times, the counts taking turns (1, 2, ..., 1, 2, ...); the
        // median run is reported. On a shared machine a minute can be 10-20% slower than the next.
        // The warm-up also takes the JIT's first compilations out of the first measurement.
        (int warmup, int measured, int repeats) = quick ? (12, 8, rounds ?? 1) : (40, 150, rounds ?? 3);
        int cores = System.Environment.ProcessorCount;
        var defaults = new TrainConfig();
        var network = new ActorCritic(defaults.Network);
        long forward = 2 * network.MultiplyAddsPerFrame(), encoder = 2 * network.EncoderMultiplyAddsPerFrame(), image = 2 * network.ImageMultiplyAddsPerFrame();
        network.Dispose();

        log?.WriteLine($"machine: {cores} cores, {Processor()}; TorchSharp {RunFolder.Versions["torchsharp"]}, libtorch {RunFolder.Versions["libtorch"]}");
        double single = SpeedProbes.SingleEnvironment(probe);
        const int batch = 32;
        stop.ThrowIfCancellationRequested();
        double vectorized = SpeedProbes.VectorizedEnvironment(batch, probe);
        stop.ThrowIfCancellationRequested();
        double vectorizedFloat = SpeedProbes.VectorizedEnvironment(batch, probe, asFloat: true);
        stop.ThrowIfCancellationRequested();
        double draw = SpeedProbes.DrawFromScratch(probe);
        stop.ThrowIfCancellationRequested();
        double libtorchMatmul = SpeedProbes.MatmulGflops(repeats: quick ? 3 : 10);
        stop.ThrowIfCancellationRequested();
        double kernelMatmul = SpeedProbes.KernelMatmulGflops(repeats: quick ? 3 : 10);

        stop.ThrowIfCancellationRequested();
        (double sustainedOne, double sustainedAll) = SpeedProbes.MatmulScaling(cores, TimeSpan.FromSeconds(quick ? 0.5 : 3));
        double matmulScaling = cores * sustainedAll / sustainedOne;

        // The ceiling is the fastest product this program has on one core at GridTime's width, however it was timed:
        // libtorch's only where its vectors are no wider (MKL cannot be narrowed on a processor not Intel's, say). Both
        // products are timed again after training and the ceiling is the best of every timing (see below).
        double Ceiling(double libtorch, double kernel) => Math.Max(Math.Max(libtorchInstructions.MayBeWider ? 0 : libtorch, kernel), sustainedOne);
        double matmul = Ceiling(libtorchMatmul, kernelMatmul);
        string ceilingOf = libtorchInstructions.MayBeWider
            ? "the better of GridTime's and the sustained figure below; libtorch's is left out, its vectors possibly wider"
            : "the best of these and the sustained figure below";
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"environment: {single:N0} steps/s single; vectorized (B = {batch}) {vectorized:N0} steps/s with uint8 observations, {vectorizedFloat:N0} with float32; drawing from scratch {draw:N0} frames/s"));
        string others = agents.Count > 1 || agents[0] != defaults.Agent
            ? "; " + string.Join(", ", agents.Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Name()} {ForwardFlops(defaults with { Agent = a }).Forward / 1e6:F2}"))) + " MFLOP forward"
            : "";
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"network ({defaults.Agent.Name()}): {forward / 1e6:F2} MFLOP forward per frame (the encoder {encoder / 1e6:F2} of them, with the core's product with its features {image / 1e6:F2}), {3 * forward / 1e6:F2} MFLOP forward + backward{others}"));
        string imageFrames = Simd.KernelsInUse && fullWork
            ? "every layer on every frame (--full-work: the fast pass encodes every frame and its first convolution multiplies every input)"
            : Simd.KernelsInUse
            ? "the layers that read the image alone (the encoder and the core's product with its features) on the frames they ran on (the fast pass runs them once per distinct image of a rollout), the first convolution's products only where its input is not 0 (GridTime's kernels skip the others)"
            : fullWork
            ? "every layer on every frame (through libtorch's autograd, as always with the kernels off: --full-work changes nothing)"
            : "every layer on every frame (through libtorch's autograd)";
        log?.WriteLine($"FLOPs below count a frame as three forward passes, {imageFrames}, less the first convolution's input gradient, which no trainer forms");
        log?.WriteLine($"kernels: convolutions, linear layers, cores, heads and Adam compute with {Simd.InUse}");
        string kernelFigure = kernelMatmul > 0
            ? string.Create(CultureInfo.InvariantCulture, $"GridTime's {Simd.Describe(Simd.Width)} kernel {kernelMatmul:F1} GFLOP/s (best of 1024^3 and the LSTM's shape)")
            : "GridTime's kernel off";
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one-core matmul: libtorch {libtorchMatmul:F1} GFLOP/s (1024^3; {libtorchInstructions.Description}), {kernelFigure}; ceiling so far {matmul:F1} GFLOP/s per core ({ceilingOf}); {(kernelMatmul > 0 ? "libtorch's and GridTime's products are" : "libtorch's product is")} timed again after training"));
        string product = Simd.KernelsInUse ? "GridTime's kernel on the LSTM's shape" : "libtorch's 1024^3";
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"all cores at once: {product}, sustained, {sustainedOne:F1} GFLOP/s on one core, {cores} x {sustainedAll:F1} with {cores} at once = {matmulScaling:F2}x one core (how far arithmetic alone scales on this machine)"));

        // Each (agent, setting) is measured for 1..cores workers, `repeats` times, everything taking turns.
        var settings = new List<(string Name, CoreKind Agent, TrainConfig Config)>();
        foreach (CoreKind agent in agents)
        {
            TrainConfig withAgent = defaults with { Agent = agent };
            settings.Add(("compare", agent, withAgent with { EnvsPerWorker = 32, Steps = 20 }));
            if (defaults.EnvsPerWorker != 32 || defaults.Steps != 20)
            {
                settings.Add(("default", agent, withAgent));
            }
        }

        List<double>[][] runs = PerSettingAndWorkers<double>(settings.Count, cores);
        List<PhaseTimes>[][] profiles = PerSettingAndWorkers<PhaseTimes>(settings.Count, cores);
        List<double?>[][] othersShares = PerSettingAndWorkers<double?>(settings.Count, cores);
        List<double>[][] paces = PerSettingAndWorkers<double>(settings.Count, cores);

        // The machine's pace beside each run: the ceiling's product, timed just before it (see BenchSummary.ShareAtPace).
        // Half a second even with --quick: a tenth of a second caught dips 40% below the usual pace.
        TimeSpan paceProbe = TimeSpan.FromSeconds(0.5);

        // Say up front what is measured, and after each measurement how far along it is and about how long is left
        // (the measurements are counted in updates, so a slower processor takes longer: the estimate follows it).
        int total = repeats * settings.Count * cores, done = 0;
        progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"measuring training: {settings.Count} agent setting(s) x {cores} worker count(s) x {repeats} run(s) = {total} measurements of {warmup} + {measured} updates each; a line follows each"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int repeat = 0; repeat < repeats; repeat++)
        {
            for (int i = 0; i < settings.Count; i++)
            {
                for (int workers = 1; workers <= cores; workers++)
                {
                    stop.ThrowIfCancellationRequested();
                    double pace = SpeedProbes.SustainedOneCore(paceProbe);
                    var profile = new PhaseTimes[workers];
                    (double fps, double? othersShare) = SpeedProbes.TrainingFramesPerSecond(settings[i].Config with { Workers = workers }, warmup, measured, profile, fullWork);
                    done++;
                    double left = clock.Elapsed.TotalSeconds / done * (total - done);
                    string then = done < total ? $"about {ProgressDisplay.Clock(TimeSpan.FromSeconds(Math.Ceiling(left)))} left" : "done";
                    progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  [{done}/{total}] {settings[i].Agent.Name()} {settings[i].Name}, {workers} worker(s), run {repeat + 1}/{repeats}: {fps:N0} frames/s (the one-core product just before: {pace:F1} GFLOP/s); {then}"));
                    runs[i][workers - 1].Add(fps);
                    othersShares[i][workers - 1].Add(othersShare);
                    paces[i][workers - 1].Add(pace);
                    profiles[i][workers - 1].AddRange(profile);
                }
            }
        }

        // The ceiling timed again: a ceiling timed once would flatter every share below when that moment was slow. On a
        // shared machine the same product can differ by 8% from one bench to another (GridTime's 256-bit kernel timed
        // 111.6 and 102.9 GFLOP/s at the start of two benches 40 minutes apart on a 2-core Zen 5, 2026-12-07), and
        // libtorch's first products in a process came out at 60-64 GFLOP/s against 86-91 after training (`bench --quick`,
        // same machine and day). The best of both timings is kept.
        stop.ThrowIfCancellationRequested();
        double libtorchMatmulAfter = SpeedProbes.MatmulGflops(repeats: quick ? 3 : 10);
        stop.ThrowIfCancellationRequested();
        double kernelMatmulAfter = SpeedProbes.KernelMatmulGflops(repeats: quick ? 3 : 10);
        double libtorchBest = Math.Max(libtorchMatmul, libtorchMatmulAfter), kernelBest = Math.Max(kernelMatmul, kernelMatmulAfter);
        matmul = Ceiling(libtorchBest, kernelBest);
        string libtorchLeftOut = libtorchInstructions.MayBeWider ? " (left out of the ceiling, its vectors possibly wider)" : "";
        string kernelAfter = kernelMatmulAfter > 0 ? string.Create(CultureInfo.InvariantCulture, $", GridTime's kernel {kernelMatmulAfter:F1}") : "";
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one-core matmul again after training: libtorch {libtorchMatmulAfter:F1} GFLOP/s{libtorchLeftOut}{kernelAfter}; ceiling {matmul:F1} GFLOP/s per core (the best of both timings), the shares below of it"));

        // The bench's usual pace: the median of the product's speed over every run (BenchSummary.ShareAtPace).
        double usualPace = Statistics.Median([.. paces.SelectMany(perWorkers => perWorkers.SelectMany(p => p)).Order()]);
        var speeds = new List<TrainingSpeed>();
        for (int i = 0; i < settings.Count; i++)
        {
            (string name, CoreKind agent, TrainConfig config) = settings[i];
            (long agentForward, long agentImage) = ForwardFlops(config);
            for (int workers = 1; workers <= cores; workers++)
            {
                List<double> taken = runs[i][workers - 1];
                double fps = Statistics.Median([.. taken.Order()]);
                List<double?> disturbed = othersShares[i][workers - 1];
                List<PhaseTimes> timed = profiles[i][workers - 1];
                long recorded = timed.Sum(p => p.FramesRecorded);
                double encodedShare = recorded > 0 ? (double)timed.Sum(p => p.FramesEncoded) / recorded : 1;
                double skippedFlops = recorded > 0 ? 2.0 * timed.Sum(p => p.Conv1MultiplyAddsSkipped) / recorded : 0;
                // Three forward passes, less the first convolution's input gradient, which no trainer forms (the pixels
                // need none): its FLOPs are those of that convolution's forward pass as it ran.
                double conv1Performed = (encodedShare * 2.0 * ConvEncoder.Conv1MultiplyAdds) - skippedFlops;
                double trainFlops = (3 * (agentForward - ((1 - encodedShare) * agentImage) - skippedFlops)) - conv1Performed;
                var speed = new TrainingSpeed(name, workers, config.EnvsPerWorker, config.Steps, fps, fps * trainFlops / 1e9, taken)
                {
                    Agent = agent.Name(),
                    OthersCpuShareRuns = disturbed.All(o => o.HasValue) ? [.. disturbed.Select(o => o!.Value)] : null,
                    EncodedShare = encodedShare,
                    Conv1SkippedFlopsPerFrame = skippedFlops,
                    ProductGflopsBesideRuns = paces[i][workers - 1],
                };
                speed = speed with { CeilingShareAtPace = BenchSummary.ShareAtPace(speed, matmul, usualPace) };
                speeds.Add(speed);
                string each = taken.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" (median of {string.Join(", ", taken.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))})") : "";
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"training {agent.Name(),-18} {name,-8} {workers} worker(s) x {config.EnvsPerWorker} envs x {config.Steps} steps: {fps,8:N0} frames/s{each}, {speed.Gflops,6:F1} GFLOP/s ({speed.Gflops / (workers * matmul):P0} of {workers} x ceiling; {speed.CeilingShareAtPace:P0} at the pace beside each run), encoder on {encodedShare:P0} of frames{(skippedFlops > 0 ? string.Create(CultureInfo.InvariantCulture, $", the first convolution's products with inputs of 0 skipped ({skippedFlops / 1e6:F2} MFLOP a frame)") : "")}"));
                log?.WriteLine("    ms per update, mean over workers and runs: " + string.Join(", ", Enum.GetValues<PhaseTimes.Phase>().Select(phase =>
                    string.Create(CultureInfo.InvariantCulture, $"{phase.ToString().ToLowerInvariant()} {profiles[i][workers - 1].Average(p => p.MillisecondsPerUpdate()[phase]):F2}"))));
            }
        }

        if (settings.All(s => s.Name == "compare"))
        {
            log?.WriteLine("(GridTime's default setting is the compare setting: 32 environments x 20 steps)");
        }

        if (agents.Count > 1)
        {
            foreach (string line in BenchSummary.AgentComparison(speeds, cores, matmulScaling))
            {
                log?.WriteLine(line);
            }
        }

        TrainingSpeed best = speeds.MaxBy(s => s.Gflops)!;
        double[] othersMeasured = [.. speeds.SelectMany(s => s.OthersCpuShareRuns ?? [])];
        var compare = speeds.Where(s => s.Setting == "compare" && s.Agent == agents[0].Name()).ToList();
        var report = new BenchmarkReport
        {
            Cores = cores,
            Processor = Processor(),
            TorchsharpVersion = RunFolder.Versions["torchsharp"],
            LibtorchVersion = RunFolder.Versions["libtorch"],
            EnvStepsPerSecondSingle = single,
            EnvStepsPerSecondVectorized = vectorized,
            EnvStepsPerSecondVectorizedFloat = vectorizedFloat,
            EnvBatch = batch,
            DrawFramesPerSecond = draw,
            ForwardFlopsPerFrame = forward,
            ImageFlopsPerFrame = image,
            TrainFlopsPerFrame = 3 * forward,
            MatmulGflopsOneCore = matmul,
            MatmulGflopsLibtorch = libtorchBest,
            MatmulGflopsLibtorchRuns = [libtorchMatmul, libtorchMatmulAfter],
            MatmulLibtorchInstructions = libtorchInstructions.Description,
            MatmulGflopsKernel = kernelBest,
            MatmulGflopsKernelRuns = [kernelMatmul, kernelMatmulAfter],
            MatmulKernel = Simd.KernelsName(Simd.Width),
            FullWork = fullWork || !Simd.KernelsInUse,
            SimdWidth = Simd.SettingValue(Simd.Width),
            ProcessorSimd = Simd.Describe(Simd.Supported),
            Training = speeds,
            CeilingFraction = best.Gflops / (cores * matmul),
            CeilingFractionAtPace = best.CeilingShareAtPace * best.Workers / cores, // of cores x the ceiling, as CeilingFraction
            ScalingAllCores = compare[^1].FramesPerSecond / compare[0].FramesPerSecond,
            Rounds = repeats,
            MatmulGflopsSustainedOneCore = sustainedOne,
            MatmulGflopsSustainedPerCoreAllCores = sustainedAll,
            MatmulScalingAllCores = matmulScaling,
            OthersCpuShareMax = othersMeasured.Length > 0 ? othersMeasured.Max() : null,
        };
        log?.WriteLine(BenchSummary.Headline(report, agents[0].Name()));
        if (BenchSummary.OthersWarning(report) is { } warning)
        {
            log?.WriteLine(warning);
        }

        return report;
    }

    // The soak's summary: one line per agent and a total; exit code 1 when libtorch reported any error.
    private static int Soak(IReadOnlyList<CoreKind> kinds, TimeSpan duration, int workers, TimeSpan slice, bool forceCollections)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {string.Join(",", kinds.Select(k => k.Name()))} on libtorch's path, {workers} workers, {(forceCollections ? "forced collections" : "no forced collections")}, {duration.TotalMinutes:0.##} min in turns of at most {slice.TotalMinutes:0.##} min"));
        IReadOnlyList<NativeSoak.AgentSoak> results = NativeSoak.Run(kinds, duration, workers, slice, forceCollections, Console.Out, Program.Stop);
        foreach (NativeSoak.AgentSoak r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak total {r.Agent,-8} {r.Seconds,6:F0} s, {r.Frames,11:N0} frames, {r.ForcedCollections,8:N0} forced collections, {r.NativeErrors.Count} libtorch error(s)"));
        }

        int errors = results.Sum(r => r.NativeErrors.Count);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: {results.Sum(r => r.Frames):N0} frames in {results.Sum(r => r.Seconds) / 60:F1} min, {results.Sum(r => r.ForcedCollections):N0} forced collections, {errors} libtorch error(s), no crash"));
        return errors > 0 ? Program.Failed : 0;
    }

    /// <summary>One empty list per setting and worker count (1..<paramref name="cores"/>), indexed [setting][workers - 1].</summary>
    private static List<T>[][] PerSettingAndWorkers<T>(int settings, int cores) =>
        [.. Enumerable.Range(0, settings).Select(_ => Enumerable.Range(0, cores).Select(_ => new List<T>()).ToArray())];

    /// <summary>
    /// FLOPs of one forward pass per frame of <paramref name="config"/>'s network, and of those the ones that depend on
    /// the picture alone (<see cref="ActorCritic.ImageMultiplyAddsPerFrame"/>).
    /// </summary>
    private static (long Forward, long Image) ForwardFlops(TrainConfig config)
    {
        using var network = new ActorCritic(config.Network);
        return (2 * network.MultiplyAddsPerFrame(), 2 * network.ImageMultiplyAddsPerFrame());
    }

    private static string Processor()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
