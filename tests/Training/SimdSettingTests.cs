using System.Diagnostics;
using System.Text.Json;
using GridTime.Agents.Kernels;
using GridTime.Training.Benchmark;
using GridTime.Training.Runs;

namespace GridTime.Tests.Training;

/// <summary>
/// <c>GRIDTIME_SIMD</c> narrows the kernels' vector width for a whole process (read once at start-up, so each case
/// is a process of its own): a run says in its first lines and its config.json which kernels it computed with, and
/// a value that is not a width this processor runs is refused with one line and exit code 2.
/// </summary>
public sealed class SimdSettingTests
{
    [Fact]
    public async Task ANarrowedRunSaysSoInItsFirstLinesAndConfig()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = await Gridtime("128", "train", "--run-dir", run, "--frames", "400", "--hidden", "32", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--checkpoint-interval", "400", "--log-interval", "400", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        string expected = Simd.Supported == SimdWidth.Bits128
            ? "computing with GridTime's 128-bit kernels (" + Simd.Instructions(SimdWidth.Bits128) + ")\n"
            : "computing with GridTime's 128-bit kernels (" + Simd.Instructions(SimdWidth.Bits128) + $", narrowed from {(int)Simd.Supported} by GRIDTIME_SIMD)\n";
        Assert.Contains(expected, output);
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(new RunFolder(run).ConfigFile));
        JsonElement versions = config.RootElement.GetProperty(RunFolder.VersionsKey);
        Assert.Equal("gridtime-simd128", versions.GetProperty("kernels").GetString());
        Assert.Equal(Simd.Describe(Simd.Supported), versions.GetProperty("processor_simd").GetString());
    }

    [Fact]
    public async Task TurnedOffTheRunComputesWithLibtorch()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, string output, string error) = await Gridtime("off", "train", "--run-dir", run, "--frames", "400", "--hidden", "32", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--checkpoint-interval", "400", "--log-interval", "400", "--episode-log-every", "0");
        Assert.True(code == 0, error);
        Assert.Contains("computing with libtorch's layers (GRIDTIME_SIMD=off; GridTime's kernels would run at " + Simd.Describe(Simd.Supported) + ")", output);
        using JsonDocument config = JsonDocument.Parse(File.ReadAllText(new RunFolder(run).ConfigFile));
        Assert.Equal("libtorch", config.RootElement.GetProperty(RunFolder.VersionsKey).GetProperty("kernels").GetString());
    }

    [Theory]
    [InlineData("avx2", "gridtime: GRIDTIME_SIMD=avx2: expected 512, 256, 128 or off")]
    [InlineData("1024", "gridtime: GRIDTIME_SIMD=1024: expected 512, 256, 128 or off")]
    public async Task AValueThatIsNotAWidthIsRefusedInOneLine(string value, string line)
    {
        (int code, string output, string error) = await Gridtime(value, "train", "--frames", "400");
        Assert.Equal(2, code);
        Assert.Equal(line, error.TrimEnd('\n'));
        Assert.Equal("", output);
    }

    [Fact]
    public async Task HelpIsShownWhateverTheValue()
    {
        (int code, string output, string error) = await Gridtime("avx2", "train", "--help");
        Assert.True(code == 0, error);
        Assert.Contains("--frames", output);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task AWidthWiderThanTheProcessorRunsIsRefusedInOneLine()
    {
        if (Simd.Supported == SimdWidth.Bits512)
        {
            Assert.Equal((SimdWidth.Bits512, null), Simd.Choose("512", null, Simd.Supported)); // nothing wider to ask for here
            return;
        }

        (int code, _, string error) = await Gridtime("512", "bench", "--quick");
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: GRIDTIME_SIMD=512: this processor runs at most {Simd.Describe(Simd.Supported)}", error.TrimEnd('\n'));
    }

    [Theory]
    [InlineData("256", null, "MKL limited to AVX2, as GridTime's kernels are")]
    [InlineData("128", null, "MKL limited to SSE4.2, as GridTime's kernels are")]
    [InlineData("256", "SSE4_2", "MKL's instructions as MKL_ENABLE_INSTRUCTIONS=SSE4_2 sets them")]
    public async Task ANarrowedBenchMeasuresLibtorchsProductAtTheSameWidth(string simd, string? mklVariable, string expected)
    {
        if (Simd.Runnable.All(w => w != (SimdWidth)int.Parse(simd, System.Globalization.CultureInfo.InvariantCulture)))
        {
            // Every processor with a fused multiply-add runs 128 bits, and 256 on x86-64 with AVX2 (ARM64: 128 at most).
            Assert.Equal(System.Runtime.Intrinsics.X86.X86Base.IsSupported || simd == "128" ? SimdWidth.Off : SimdWidth.Bits128, Simd.Supported);
            return;
        }

        (int code, string output, string error) = await Gridtime(simd, new Dictionary<string, string?> { [LibTorchMatmulWidth.MklVariable] = mklVariable }, "bench", "--quick", "--json", "--agents", "timer");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("\\u0027", output); // the text as written: "MKL's", not "MKL\u0027s"
        using JsonDocument report = JsonDocument.Parse(output);
        // libtorch for x64 carries MKL; elsewhere (ARM64's libtorch) there is none to ask.
        string instructions = report.RootElement.GetProperty("matmul_libtorch_instructions").GetString()!;
        // The ceiling at this width leaves libtorch's product out where its vectors may be wider than GridTime's kernels.
        double Gflops(string field) => report.RootElement.GetProperty(field).GetDouble();
        double libtorch = instructions.Contains("may use wider vectors", StringComparison.Ordinal) ? 0 : Gflops("matmul_gflops_libtorch");
        Assert.Equal(Math.Max(Math.Max(libtorch, Gflops("matmul_gflops_kernel")), Gflops("matmul_gflops_sustained_one_core")), Gflops("matmul_gflops_one_core"), 9);
        // MKL takes limits on Intel's processors only; on others it runs its own path whatever it is asked.
        if (LibTorchMatmulWidth.OnIntelProcessor)
        {
            Assert.Equal(expected, instructions);
        }
        else if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            // AVX2 is wider than GridTime's kernels at 128 bits, not at 256.
            string ownPath = simd == "256" ? "its own path (AVX2 on AMD's) whatever it is asked"
                : "its own path (AVX2 on AMD's) whatever it is asked: its product may use wider vectors than GridTime's kernels";
            Assert.Equal(mklVariable is null
                ? $"MKL not limited to {(simd == "256" ? "AVX2" : "SSE4.2")}: on a processor not Intel's it takes {ownPath}"
                : $"MKL's own choice ({LibTorchMatmulWidth.MklVariable}={mklVariable} is taken on Intel's processors only; on others MKL takes {ownPath})", instructions);
        }
        else
        {
            Assert.Equal("libtorch's own choice on this processor (no MKL to limit): its product may use wider vectors than GridTime's kernels", instructions);
        }
    }

    [Fact]
    public void AtTheProcessorsOwnWidthTheLineSaysWhoseChoiceMklsInstructionsAre()
    {
        string said = LibTorchMatmulWidth.LimitTo(SimdWidth.Bits512).Description;
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported)
        {
            Assert.Equal("libtorch's own choice on this processor (no MKL to limit): its product may use wider vectors than GridTime's kernels", said);
        }
        else if (System.Environment.GetEnvironmentVariable(LibTorchMatmulWidth.MklVariable) is { Length: > 0 } variable)
        {
            Assert.Contains($"{LibTorchMatmulWidth.MklVariable}={variable}", said);
        }
        else if (LibTorchMatmulWidth.OnIntelProcessor)
        {
            Assert.Equal("MKL's widest instructions for this processor", said);
        }
        else
        {
            // MKL runs AVX2 on AMD's processors, AVX-512 or not: never "the widest for this processor".
            Assert.Equal("MKL's own choice: on a processor not Intel's it takes its own path (AVX2 on AMD's) whatever it is asked", said);
        }
    }

    [Fact]
    public void AfterLibtorchsFirstProductAWiderChoiceIsNotClaimedLimited()
    {
        // MKL has chosen its instructions at its first product; asked to narrow them after it, it answers yes and
        // changes nothing. On an Intel processor with AVX-512, its choice is wider than AVX2, and that is what is said.
        using (var a = TorchSharp.torch.ones(64, 64))
        using (TorchSharp.torch.Tensor product = a.mm(a))
        {
        }

        string said = LibTorchMatmulWidth.LimitTo(SimdWidth.Bits256).Description;
        if (LibTorchMatmulWidth.OnIntelProcessor && Avx512Processor() && System.Environment.GetEnvironmentVariable(LibTorchMatmulWidth.MklVariable) is not { Length: > 0 })
        {
            Assert.StartsWith("MKL could not be limited to AVX2 (it had chosen its instructions", said);
        }
        else
        {
            Assert.Matches("^(MKL|not limited|libtorch's own choice)", said); // elsewhere MKL's path after its first product may well be AVX2 or narrower
        }
    }

    // AVX-512 in the processor (CPUID leaf 7, EBX bit 16), whatever .NET was told to use.
    private static bool Avx512Processor() =>
        System.Runtime.Intrinsics.X86.X86Base.IsSupported && (System.Runtime.Intrinsics.X86.X86Base.CpuId(7, 0).Ebx & (1 << 16)) != 0;

    private static Task<(int Code, string Output, string Error)> Gridtime(string simd, params string[] arguments) =>
        Gridtime(simd, new Dictionary<string, string?>(), arguments);

    private static async Task<(int Code, string Output, string Error)> Gridtime(string simd, Dictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtime.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[Simd.Variable] = simd;
        start.Environment.Remove(Simd.TorchMatmulVariable);
        start.Environment.Remove(LibTorchMatmulWidth.MklVariable);
        foreach ((string name, string? value) in environment)
        {
            start.Environment[name] = value;
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
