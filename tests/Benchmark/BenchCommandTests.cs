using System.Text.Json;
using GridTime.Agents.Kernels;
using GridTime.Tests.Training;
using GridTime.Training.Benchmark;

namespace GridTime.Tests.Benchmark;

[Collection(ConsoleCollection.Name)]
public sealed class BenchCommandTests
{
    [Fact]
    public void QuickJsonHasEveryFieldWithAPositiveValue()
    {
        (int code, string output, string error) = Gridtime.Run("bench", "--quick", "--json", "--agents", "nac,gru");
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        string[] fields =
        [
            "cores", "processor", "torchsharp_version", "libtorch_version", "env_steps_per_second_single", "env_steps_per_second_vectorized", "env_steps_per_second_vectorized_float",
            "env_batch", "draw_frames_per_second", "forward_flops_per_frame", "image_flops_per_frame", "train_flops_per_frame", "matmul_gflops_one_core",
            "matmul_gflops_libtorch", "matmul_libtorch_instructions", "matmul_gflops_kernel", "matmul_kernel", "simd_width", "processor_simd", "training",
            "ceiling_fraction", "ceiling_fraction_at_pace", "scaling_all_cores", "others_cpu_share_max",
            "matmul_gflops_sustained_one_core", "matmul_gflops_sustained_per_core_all_cores", "matmul_scaling_all_cores", "full_work", "rounds",
            "matmul_gflops_libtorch_runs", "matmul_gflops_kernel_runs",
        ];
        Assert.Equal(fields.Order(), json.RootElement.EnumerateObject().Select(p => p.Name).Order());
        // With the kernels off there is no kernel to time (0) and the network runs on libtorch.
        bool kernel = json.RootElement.GetProperty("matmul_kernel").GetString() != "libtorch";
        Assert.Equal(Simd.KernelsName(Simd.ProcessWidth), json.RootElement.GetProperty("matmul_kernel").GetString());
        Assert.Equal(Simd.SettingValue(Simd.ProcessWidth), json.RootElement.GetProperty("simd_width").GetString());
        Assert.Equal(Simd.Describe(Simd.Supported), json.RootElement.GetProperty("processor_simd").GetString());
        // The whole network's work on every frame only where the kernels are off (libtorch's autograd).
        Assert.Equal(!kernel, json.RootElement.GetProperty("full_work").GetBoolean());
        Assert.Equal(1, json.RootElement.GetProperty("rounds").GetInt32());
        foreach (JsonProperty field in json.RootElement.EnumerateObject().Where(f => (kernel || f.Name != "matmul_gflops_kernel") && f.Name is not "others_cpu_share_max" and not "full_work"))
        {
            AssertPositive(field.Name, field.Value);
        }

        // Each product of the ceiling timed before training and again after it, the better of the two kept; the
        // ceiling the best of every timing (and of the sustained figure).
        double Field(string name) => json.RootElement.GetProperty(name).GetDouble();
        foreach (string product in new[] { "libtorch", "kernel" })
        {
            double[] timings = [.. json.RootElement.GetProperty($"matmul_gflops_{product}_runs").EnumerateArray().Select(t => t.GetDouble())];
            Assert.Equal(2, timings.Length);
            Assert.All(timings, t => Assert.True(kernel || product == "libtorch" ? t > 0 : t == 0, $"{product}: {t}"));
            Assert.Equal(timings.Max(), Field($"matmul_gflops_{product}"));
        }

        string instructions = json.RootElement.GetProperty("matmul_libtorch_instructions").GetString()!;
        double libtorchInCeiling = instructions.Contains("may use wider vectors", StringComparison.Ordinal) ? 0 : Field("matmul_gflops_libtorch");
        Assert.Equal(Math.Max(Math.Max(libtorchInCeiling, Field("matmul_gflops_kernel")), Field("matmul_gflops_sustained_one_core")), Field("matmul_gflops_one_core"), 9);

        // Progress on standard error (standard output is the JSON): what is measured up front, then a line per measurement.
        int measurements = 2 * System.Environment.ProcessorCount;
        Assert.Contains($"measuring training: 2 agent setting(s) x {System.Environment.ProcessorCount} worker count(s) x 1 run(s) = {measurements} measurements", error);
        Assert.Matches($@"  \[{measurements}/{measurements}\] .*; done\n", error.ReplaceLineEndings("\n"));
        Assert.Matches(@"\[1/\d+\] (nac|gru) compare, 1 worker\(s\), run 1/1: [\d,]+ frames/s \(the one-core product just before: [\d.]+ GFLOP/s\); (about \d+:\d\d:\d\d left|done)", error);

        JsonElement training = json.RootElement.GetProperty("training");
        // One entry per agent and worker count.
        Assert.Equal(2 * System.Environment.ProcessorCount, training.GetArrayLength());
        Assert.Equal(["gru", "nac"], training.EnumerateArray().Select(s => s.GetProperty("agent").GetString()).Distinct().Order());
        foreach (JsonElement speed in training.EnumerateArray())
        {
            // The first convolution's products on black pixels are skipped by the kernels only: 0 through autograd.
            foreach (JsonProperty field in speed.EnumerateObject().Where(f => f.Name != "others_cpu_share_runs" && (kernel || f.Name != "conv1_skipped_flops_per_frame")))
            {
                AssertPositive(field.Name, field.Value);
            }

            if (!kernel)
            {
                Assert.Equal(0, speed.GetProperty("conv1_skipped_flops_per_frame").GetDouble());
            }
        }

        // The machine's pace beside each run: one product figure per run, and the share at that pace. The headline's
        // share at pace is of cores x the ceiling, as its other share, whichever worker count was the best.
        Assert.All(training.EnumerateArray(), s => Assert.Equal(s.GetProperty("frames_per_second_runs").GetArrayLength(), s.GetProperty("product_gflops_beside_runs").GetArrayLength()));
        JsonElement best = training.EnumerateArray().MaxBy(s => s.GetProperty("gflops").GetDouble());
        // The shares are of that ceiling, the best of every timing, the one after training included.
        Assert.Equal(best.GetProperty("gflops").GetDouble() / (Field("cores") * Field("matmul_gflops_one_core")), Field("ceiling_fraction"), 9);
        Assert.Equal(
            best.GetProperty("ceiling_share_at_pace").GetDouble() * best.GetProperty("workers").GetInt32() / json.RootElement.GetProperty("cores").GetInt32(),
            json.RootElement.GetProperty("ceiling_fraction_at_pace").GetDouble(),
            9);

        // Other processes' share of the machine: read from /proc where it exists, one per run, the largest also
        // at the top, and a warning on standard error exactly when it is above the threshold.
        JsonElement most = json.RootElement.GetProperty("others_cpu_share_max");
        if (!File.Exists("/proc/stat"))
        {
            Assert.Equal(JsonValueKind.Null, most.ValueKind);
            return;
        }

        var shares = training.EnumerateArray().Select(s => s.GetProperty("others_cpu_share_runs")).ToList();
        Assert.All(training.EnumerateArray(), s => Assert.Equal(s.GetProperty("frames_per_second_runs").GetArrayLength(), s.GetProperty("others_cpu_share_runs").GetArrayLength()));
        Assert.All(shares.SelectMany(s => s.EnumerateArray()), share => Assert.InRange(share.GetDouble(), 0, 1));
        Assert.Equal(shares.SelectMany(s => s.EnumerateArray()).Max(s => s.GetDouble()), most.GetDouble());
        Assert.Equal(most.GetDouble() > BenchSummary.BusyShare, error.Contains("warning: other processes used up to", StringComparison.Ordinal));
    }

    /// <summary>
    /// With --full-work the fast pass does the whole network's work: the encoder on every frame and no product of the
    /// first convolution skipped, so that each entry's GFLOP/s count every layer on every frame, three forward passes
    /// less the first convolution's input gradient (2 x 519,168 FLOPs, formed by no trainer); the header says so.
    /// </summary>
    [Fact]
    public void WithFullWorkEveryFrameIsEncodedAndNothingSkipped()
    {
        (int code, string output, string error) = Gridtime.Run("bench", "--quick", "--json", "--agents", "timer", "--full-work");
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("full_work").GetBoolean());
        JsonElement training = json.RootElement.GetProperty("training");
        Assert.Equal(System.Environment.ProcessorCount, training.GetArrayLength());
        double trainFlops = (3 * TimerForwardFlops()) - (2.0 * 519_168);
        foreach (JsonElement speed in training.EnumerateArray())
        {
            Assert.Equal(1, speed.GetProperty("encoded_share").GetDouble());
            Assert.Equal(0, speed.GetProperty("conv1_skipped_flops_per_frame").GetDouble());
            Assert.Equal(speed.GetProperty("frames_per_second").GetDouble() * trainFlops / 1e9, speed.GetProperty("gflops").GetDouble(), 6);
        }

        (code, output, _) = Gridtime.Run("bench", "--quick", "--agents", "timer", "--full-work");
        Assert.True(code == 0, output);
        Assert.Contains(Simd.KernelsInUse ? "FLOPs below count a frame as three forward passes, every layer on every frame (--full-work" : "every layer on every frame (through libtorch's autograd)", output);
    }

    /// <summary>
    /// --rounds measures each agent and worker count that many times: every entry has that many runs, its figure is their
    /// median, and the scaling line gives the range of the rounds' ratios.
    /// </summary>
    [Fact]
    public void RoundsSetHowOftenEachMeasurementIsTaken()
    {
        int cores = System.Environment.ProcessorCount;
        (int code, string output, string error) = Gridtime.Run("bench", "--quick", "--json", "--agents", "timer,nac", "--rounds", "2");
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(2, json.RootElement.GetProperty("rounds").GetInt32());
        Assert.Contains($"measuring training: 2 agent setting(s) x {cores} worker count(s) x 2 run(s) = {4 * cores} measurements", error);
        Assert.Contains($"[{4 * cores}/{4 * cores}] nac compare, {cores} worker(s), run 2/2", error);
        foreach (JsonElement speed in json.RootElement.GetProperty("training").EnumerateArray())
        {
            double[] runs = [.. speed.GetProperty("frames_per_second_runs").EnumerateArray().Select(r => r.GetDouble())];
            Assert.Equal(2, runs.Length);
            Assert.Equal(runs.Average(), speed.GetProperty("frames_per_second").GetDouble(), 9);
        }

        (code, output, error) = Gridtime.Run("bench", "--quick", "--agents", "timer,nac", "--rounds", "2");
        Assert.True(code == 0, error);
        string range = cores > 1 ? @" \(rounds \d+\.\d\d-\d+\.\d\d\)" : ""; // one core: 1 worker is all of them, no range
        Assert.Matches($@"1 -> {cores} workers: timer \d+\.\d\dx{range}, nac \d+\.\d\dx{range}", output);
        Assert.Matches($@"headline: .*; timer {cores} workers / 1 worker = \d+\.\d\dx{range}", output);
        Assert.Contains("(median of ", output);

        // The ceiling's products timed again after training, before the table whose shares are of the best timing.
        string[] lines = output.ReplaceLineEndings("\n").Split('\n');
        int again = Array.FindIndex(lines, l => l.StartsWith("one-core matmul again after training: libtorch ", StringComparison.Ordinal));
        Assert.True(again > Array.FindLastIndex(lines, l => l.StartsWith("one-core matmul: ", StringComparison.Ordinal)), output);
        Assert.True(again < Array.FindIndex(lines, l => l.StartsWith("training ", StringComparison.Ordinal)), output);
        Assert.Matches(@"; ceiling \d+\.\d GFLOP/s per core \(the best of both timings\), the shares below of it$", lines[again]);
    }

    /// <summary>The timer's forward FLOPs per frame in bench's setting (the JSON's header gives the default agent's).</summary>
    private static double TimerForwardFlops()
    {
        using var network = new GridTime.Agents.ActorCritic(new GridTime.Training.Config.TrainConfig { Agent = GridTime.Agents.CoreKind.Timer }.Network);
        return 2 * network.MultiplyAddsPerFrame();
    }

    private static void AssertPositive(string name, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                Assert.True(value.GetDouble() > 0, $"{name} = {value}");
                break;
            case JsonValueKind.String:
                Assert.False(string.IsNullOrWhiteSpace(value.GetString()), name);
                break;
            case JsonValueKind.Array:
                Assert.True(value.GetArrayLength() > 0, name);
                break;
            default:
                Assert.Fail($"{name} has an unexpected kind {value.ValueKind}");
                break;
        }
    }
}
