using System.Diagnostics;
using GridTime.Agents;
using GridTime.Agents.Kernels;
using GridTime.Environment;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using static TorchSharp.torch;

namespace GridTime.Training.Benchmark;

/// <summary>The measurements behind <c>gridtime bench</c>, each on its own, single-threaded unless it says otherwise.</summary>
public static class SpeedProbes
{
    /// <summary>Steps/s of one environment with random actions, fetching each observation frame.</summary>
    public static double SingleEnvironment(TimeSpan duration)
    {
        var world = new GridWorld();
        world.Reset(1);
        var random = new SeededRandom(2);
        long steps = 0, frames = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (int i = 0; i < 4096; i++)
            {
                StepResult result = world.Step((GridAction)random.NextInt(GridActions.Count));
                frames += result.Observation.Image.Rgb.Length;
                if (result.Terminated || result.Truncated)
                {
                    world.Reset();
                }
            }

            steps += 4096;
        }

        GC.KeepAlive(frames);
        return steps / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Steps/s of <paramref name="batch"/> environments stepped together, each step delivering the [B,3,56,56]
    /// observations into one buffer (bytes, or floats in [0, 1] when <paramref name="asFloat"/>).
    /// </summary>
    public static double VectorizedEnvironment(int batch, TimeSpan duration, bool asFloat = false)
    {
        var worlds = new VectorGridWorld(new GridWorldOptions(), batch);
        worlds.Reset(1);
        var random = new SeededRandom(3);
        var actions = new int[batch];
        byte[] bytes = asFloat ? [] : new byte[batch * FrameRenderer.FrameLength];
        float[] planes = asFloat ? new float[batch * FrameRenderer.FrameLength] : [];
        long steps = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            for (int b = 0; b < batch; b++)
            {
                actions[b] = random.NextInt(GridActions.Count);
            }

            worlds.Step(actions);
            if (asFloat)
            {
                worlds.CopyObservationPlanes(planes);
            }
            else
            {
                worlds.CopyObservations(bytes);
            }

            steps += batch;
        }

        return steps / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Frames/s of drawing observations from scratch with SkiaSharp (no cache).</summary>
    public static double DrawFromScratch(TimeSpan duration)
    {
        long frames = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            FrameRenderer.DrawRgb(5, Cell.FromIndex((int)(frames % 25), 5), Cell.FromIndex((int)((frames + 7) % 25), 5));
            frames++;
        }

        return frames / clock.Elapsed.TotalSeconds;
    }

    /// <summary>GFLOP/s of an n x n x n float32 matrix multiply on one thread, best of <paramref name="repeats"/>.</summary>
    public static double MatmulGflops(int n = 1024, int repeats = 10)
    {
        set_num_threads(1);
        using var scope = NewDisposeScope();
        var generator = new Generator(1);
        Tensor a = randn([n, n], generator: generator), b = randn([n, n], generator: generator);
        mm(a, b).Dispose();
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            using Tensor product = mm(a, b);
            best = Math.Max(best, 2.0 * n * n * n / clock.Elapsed.TotalSeconds / 1e9);
        }

        return best;
    }

    /// <summary>
    /// GFLOP/s of GridTime's own kernel (<see cref="Sgemm"/>, what the network's linear layers and LSTM use)
    /// at the width in use (<see cref="Simd.Width"/>), best of <paramref name="repeats"/> on each of two products:
    /// n x n x n, and the LSTM's own shape (4·256 gate rows x 32 environments x 256 inputs), where the kernel is
    /// at its fastest (it does not block for cache, so a large square product runs slower). The better of the
    /// two is the kernel's ceiling; 0 where the kernels are off.
    /// </summary>
    public static double KernelMatmulGflops(int n = 1024, int repeats = 10)
    {
        return Simd.KernelsInUse
            ? Math.Max(KernelGflops(n, n, n, repeats), KernelGflops(1024, 32, 256, 20 * repeats))
            : 0;
    }

    /// <summary>
    /// How the fastest product scales when every core runs it at once: GFLOP/s per core, sustained over
    /// <paramref name="duration"/>, with one thread and then with <paramref name="cores"/> threads started together,
    /// each multiplying its own matrices (GridTime's kernel on the LSTM's shape, 1024 x 32 x 256, where it is in use;
    /// otherwise libtorch's 1024^3). Products on registers and caches scale by less than the core count where cores
    /// share a power budget or a host's time, so this bounds what training's 1 → <paramref name="cores"/> scaling can reach.
    /// </summary>
    /// <returns>Per-core GFLOP/s alone and per-core GFLOP/s (mean over the threads) with all cores at once.</returns>
    public static (double OneCore, double PerCoreAllCores) MatmulScaling(int cores, TimeSpan duration)
    {
        double one = SustainedOneCore(duration);
        double[] all = SustainedGflops(cores, duration);
        return (one, all.Average());
    }

    /// <summary>
    /// GFLOP/s per core of the product <see cref="MatmulScaling"/> times, on one thread for <paramref name="duration"/>:
    /// the machine's pace at this minute, timed beside each training measurement.
    /// </summary>
    public static double SustainedOneCore(TimeSpan duration)
    {
        set_num_threads(1);
        return SustainedGflops(1, duration)[0];
    }

    private static double[] SustainedGflops(int threads, TimeSpan duration)
    {
        var rates = new double[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => rates[t] = Simd.KernelsInUse ? SustainedKernel(start, duration) : SustainedLibtorch(start, duration))).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return rates;
    }

    private static unsafe double SustainedKernel(Barrier start, TimeSpan duration)
    {
        const int M = 1024, N = 32, K = 256;
        var random = new Random(1);
        float[] a = [.. Enumerable.Range(0, M * K).Select(_ => (float)random.NextDouble())];
        float[] b = [.. Enumerable.Range(0, K * N).Select(_ => (float)random.NextDouble())];
        var c = new float[M * N];
        long products = 0;
        fixed (float* pa = a, pb = b, pc = c)
        {
            Sgemm.Multiply(M, N, K, pa, K, pb, N, pc, N, accumulate: false);
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                for (int r = 0; r < 64; r++)
                {
                    Sgemm.Multiply(M, N, K, pa, K, pb, N, pc, N, accumulate: false);
                }

                products += 64;
            }

            return 2.0 * M * N * K * products / clock.Elapsed.TotalSeconds / 1e9;
        }
    }

    private static double SustainedLibtorch(Barrier start, TimeSpan duration)
    {
        const int N = 1024;
        set_num_threads(1);
        using var scope = NewDisposeScope();
        var generator = new Generator(1);
        Tensor a = randn([N, N], generator: generator), b = randn([N, N], generator: generator);
        mm(a, b).Dispose();
        start.SignalAndWait();
        long products = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            mm(a, b).Dispose();
            products++;
        }

        return 2.0 * N * N * N * products / clock.Elapsed.TotalSeconds / 1e9;
    }

    private static unsafe double KernelGflops(int m, int n, int k, int repeats)
    {
        var random = new Random(1);
        float[] a = [.. Enumerable.Range(0, m * k).Select(_ => (float)random.NextDouble())];
        float[] b = [.. Enumerable.Range(0, k * n).Select(_ => (float)random.NextDouble())];
        var c = new float[m * n];
        double best = 0;
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int r = 0; r <= repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                Sgemm.Multiply(m, n, k, pa, k, pb, n, pc, n, accumulate: false);
                if (r > 0)
                {
                    best = Math.Max(best, 2.0 * m * n * k / clock.Elapsed.TotalSeconds / 1e9);
                }
            }
        }

        return best;
    }

    /// <summary>
    /// Training frames/s of A3C with <paramref name="config"/>: the workers run <paramref name="warmupUpdates"/>
    /// updates each, then the frames of the next <paramref name="measuredUpdates"/> updates per worker are timed.
    /// Returns the frames/s and the share (0..1) of the machine's CPU time other processes used while they were
    /// timed (<see cref="CpuTimes.OthersShare"/>; null where /proc cannot be read).
    /// </summary>
    /// <param name="config">The training setting (workers, environments, steps, network).</param>
    /// <param name="warmupUpdates">Updates per worker before timing starts.</param>
    /// <param name="measuredUpdates">Updates per worker timed.</param>
    /// <param name="profile">When given, receives the time per phase of an update, averaged over the workers' timed updates.</param>
    /// <param name="fullWork">Train with the fast pass's savings off (<see cref="A3CWorker.FullWork"/>).</param>
    public static (double FramesPerSecond, double? OthersCpuShare) TrainingFramesPerSecond(TrainConfig config, int warmupUpdates, int measuredUpdates, PhaseTimes[]? profile = null, bool fullWork = false)
    {
        set_num_threads(1);
        using var network = new ActorCritic(config.Network);
        using var optimizer = SharedAdam.For(network, config);
        var shared = new SharedTraining(config with { Frames = long.MaxValue, EpisodeLogEvery = 0 }, network, optimizer, 0, "bench");
        long framesPerUpdate = (long)config.EnvsPerWorker * config.Steps;
        long warmup = warmupUpdates * framesPerUpdate * config.Workers;
        long measured = measuredUpdates * framesPerUpdate * config.Workers;
        using var stop = new CancellationTokenSource();
        PhaseTimes[] timings = [.. Enumerable.Range(0, config.Workers).Select(_ => new PhaseTimes())];
        Exception? failure = null;
        var threads = Enumerable.Range(0, config.Workers)
            .Select(w => new Thread(() =>
            {
                try
                {
                    new A3CWorker(shared, w, SeededRandom.Derive(config.Seed, (ulong)w), null) { Timing = profile is null ? null : timings[w], FullWork = fullWork }.Run(stop.Token);
                }
                catch (Exception e)
                {
                    // An exception on a thread of its own would end the process with a .NET stack trace.
                    Interlocked.CompareExchange(ref failure, e, null);
                    stop.Cancel();
                }
            })
            { IsBackground = true })
            .ToList();
        threads.ForEach(t => t.Start());
        void ThrowIfFailed()
        {
            if (Volatile.Read(ref failure) is { } e)
            {
                threads.ForEach(t => t.Join());
                throw new TrainingFailedException(
                    NativeError.Is(e)
                        ? $"bench: {config.Agent.Name()} stopped at frame {shared.Frames:N0} by a libtorch error: {NativeError.FirstLine(e)}; the bench keeps no checkpoint: run it again"
                        : $"bench: {config.Agent.Name()}: a worker failed: {e.Message}",
                    e);
            }
        }

        while (shared.Frames < warmup)
        {
            ThrowIfFailed();
            Thread.Sleep(5);
        }

        // Clearing from this thread races with at most one update per worker: noise, not bias.
        Array.ForEach(timings, t => t.Clear());
        CpuTimes? before = CpuTimes.Read();
        long start = shared.Frames;
        var clock = Stopwatch.StartNew();
        while (shared.Frames < start + measured)
        {
            ThrowIfFailed();
            Thread.Sleep(5);
        }

        double rate = (shared.Frames - start) / clock.Elapsed.TotalSeconds;
        CpuTimes? after = CpuTimes.Read();
        stop.Cancel();
        threads.ForEach(t => t.Join());
        ThrowIfFailed();
        if (profile is not null)
        {
            Array.Copy(timings, profile, Math.Min(timings.Length, profile.Length));
        }

        return (rate, before is { } b && after is { } a ? CpuTimes.OthersShare(b, a) : null);
    }
}
