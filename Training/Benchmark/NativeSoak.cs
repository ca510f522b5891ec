using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using GridTime.Agents;
using GridTime.Agents.Kernels;
using GridTime.Environment;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using static TorchSharp.torch;

namespace GridTime.Training.Benchmark;

/// <summary>
/// <c>gridtime bench --soak MINUTES</c>: trains every agent on libtorch's path (the autograd rollout, as on a
/// machine without AVX-512) with several workers while one more thread forces full collections and runs the
/// finalizers back to back. A TorchSharp object that nothing keeps alive (a <see cref="TorchSharp.Scalar"/> made
/// from a number on the fly is the known case) is then finalized while libtorch still reads it within milliseconds
/// instead of once in hours, so the soak shows a use-after-free as a crash or a libtorch error (such as
/// "Expected false to be true" from <c>toFloat</c>) where a normal run shows it once in many.
/// </summary>
public static class NativeSoak
{
    /// <summary>What one agent did over the soak: frames trained, updates, forced collections, libtorch errors.</summary>
    public sealed record AgentSoak(string Agent, double Seconds, long Frames, long ForcedCollections, IReadOnlyList<string> NativeErrors);

    /// <summary>
    /// Runs the soak for <paramref name="duration"/> in total, the agents taking turns in slices of at most
    /// <paramref name="slice"/> (so that a shorter soak still runs every agent, and a longer one runs each many
    /// times with a fresh network). A libtorch error in a worker is counted and the slice continues with the
    /// other workers; an access violation cannot be caught in .NET and ends the process, which is itself the
    /// result. Prints one line per slice to <paramref name="log"/>.
    /// </summary>
    public static IReadOnlyList<AgentSoak> Run(IReadOnlyList<CoreKind> agents, TimeSpan duration, int workers, TimeSpan slice, bool forceCollections, TextWriter log, CancellationToken stop)
    {
        set_num_threads(1);
        var frames = new long[agents.Count];
        var seconds = new double[agents.Count];
        var collections = new long[agents.Count];
        var errors = agents.Select(_ => new List<string>()).ToArray();
        TimeSpan each = TimeSpan.FromTicks(Math.Min(slice.Ticks, Math.Max(TimeSpan.FromSeconds(5).Ticks, duration.Ticks / agents.Count)));
        var total = Stopwatch.StartNew();
        for (int turn = 0; total.Elapsed < duration && !stop.IsCancellationRequested; turn++)
        {
            int i = turn % agents.Count;
            TimeSpan length = TimeSpan.FromTicks(Math.Min(each.Ticks, Math.Max(TimeSpan.FromSeconds(1).Ticks, (duration - total.Elapsed).Ticks)));
            (long f, long c, List<string> e, double s) = Slice(agents[i], workers, length, forceCollections, stop);
            frames[i] += f;
            collections[i] += c;
            seconds[i] += s;
            errors[i].AddRange(e);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak {agents[i].Name(),-8} {s,6:F0} s: {f,10:N0} frames, {c,7:N0} forced collections, {e.Count} libtorch error(s){(e.Count > 0 ? ": " + e[0] : "")}"));
            log.Flush();
        }

        return [.. agents.Select((a, i) => new AgentSoak(a.Name(), seconds[i], frames[i], collections[i], errors[i]))];
    }

    private static (long Frames, long Collections, List<string> Errors, double Seconds) Slice(CoreKind agent, int workers, TimeSpan length, bool forceCollections, CancellationToken stop)
    {
        TrainConfig config = new TrainConfig() with { Agent = agent, Workers = workers };
        using var network = new ActorCritic(config.Network);
        using var optimizer = SharedAdam.For(network, config);
        var shared = new SharedTraining(config with { Frames = long.MaxValue, EpisodeLogEvery = 0 }, network, optimizer, 0, "soak");
        using var halt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var errors = new List<string>();
        var threads = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            try
            {
                // libtorch's path (the fast kernels use no Scalars and no autograd), on this worker's thread.
                using IDisposable libtorch = Simd.ForceOnThisThread(SimdWidth.Off);
                new A3CWorker(shared, w, SeededRandom.Derive(config.Seed, (ulong)w), null).Run(halt.Token);
            }
            catch (ExternalException e)
            {
                lock (errors)
                {
                    errors.Add($"{NativeError.FirstLine(e)} (worker {w}, in {NativeError.GridTimeFrame(e)})");
                }
            }
        })
        { IsBackground = true, Name = $"soak-worker-{w}" }).ToList();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (forceCollections && !halt.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        })
        { IsBackground = true, Name = "soak-collector" };
        var clock = Stopwatch.StartNew();
        threads.ForEach(t => t.Start());
        collector.Start();
        while (clock.Elapsed < length && !halt.IsCancellationRequested && threads.Exists(t => t.IsAlive))
        {
            Thread.Sleep(200);
        }

        halt.Cancel();
        threads.ForEach(t => t.Join());
        collector.Join();
        return (shared.Frames, collections, errors, clock.Elapsed.TotalSeconds);
    }
}
