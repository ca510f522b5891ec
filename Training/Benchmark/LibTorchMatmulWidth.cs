using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using GridTime.Agents.Kernels;

namespace GridTime.Training.Benchmark;

/// <summary>
/// Limits libtorch's matrix products (Intel MKL in the libtorch GridTime ships with) to the vector width GridTime's
/// kernels were narrowed to, so that <c>bench</c>'s ceiling for a narrowed width is what a processor of that width
/// would give. Without it, forcing <c>GRIDTIME_SIMD=256</c> on an Intel processor with AVX-512 measured GridTime's
/// 256-bit training against MKL's AVX-512 product (on a Xeon, 155 GFLOP/s against 92 with AVX2): a share of that
/// ceiling says nothing about an AVX2 processor. MKL takes such limits on Intel's processors only: on others (AMD's)
/// it runs its own path whatever it is asked, with <see cref="MklVariable"/> too (on an AMD EPYC of the Zen 4
/// generation, asked for SSE4.2, a profile showed its AVX2 kernel for Zen, <c>mkl_blas_def_sgemm_kernel_0_zen</c>, at
/// 93-100 GFLOP/s on one core), and its <c>mkl_serv_cpu_detect</c> answers 0 there: the line then says MKL was not
/// limited.
/// <para>
/// How: MKL's <c>mkl_enable_instructions</c> (exported from libtorch_cpu as <c>mkl_serv_enable_instructions</c>),
/// which must run before MKL's first product in the process (after it, it still answers yes and changes nothing:
/// the code path MKL then reports is checked); MKL's own <c>MKL_ENABLE_INSTRUCTIONS</c> environment variable, when
/// set, is left to decide. Source of the codes: oneMKL's mkl_service.h (MKL_ENABLE_SSE4_2 = 0, MKL_ENABLE_AVX2 = 2).
/// </para>
/// </summary>
public static class LibTorchMatmulWidth
{
    /// <summary>MKL's environment variable for the same choice; when set, it decides and this class changes nothing.</summary>
    public const string MklVariable = "MKL_ENABLE_INSTRUCTIONS";

    private const int MklEnableSse42 = 0;
    private const int MklEnableAvx2 = 2;

    // What mkl_serv_cpu_detect returns for MKL's code paths in the libtorch GridTime ships with (oneMKL 2024.2; not
    // documented, read off it on an Intel Xeon: 3 with SSE4.2, 5 with AVX2, 7 with AVX-512).
    private const int MklDetectedSse42 = 3;
    private const int MklDetectedAvx2 = 5;

    /// <summary>
    /// Before libtorch's first matrix product in the process: limits MKL to the instructions of
    /// <paramref name="width"/> when it is 256 (AVX2) or 128 bits (SSE4.2, which has no fused multiply-add: the
    /// ceiling is then GridTime's own 128-bit kernel wherever that is faster). Returns a few words for the bench's
    /// line, e.g. "MKL limited to AVX2, as GridTime's kernels are", or words saying why not (MKL's choice already
    /// made, a processor not Intel's, no MKL), and whether libtorch's product may then use wider vectors than
    /// GridTime's kernels (bench then leaves it out of the ceiling at this width). Each call asks MKL again and says
    /// what it answered.
    /// </summary>
    public static LibTorchInstructions LimitTo(SimdWidth width)
    {
        const string MayBeWider = "its product may use wider vectors than GridTime's kernels";
        if (!X86Base.IsSupported)
        {
            // ARM64: no MKL to limit, and libtorch's product is its BLAS's (Accelerate on Apple's processors, which may
            // run it on a matrix unit beside the vector units): no ceiling for GridTime's vector kernels.
            return new($"libtorch's own choice on this processor (no MKL to limit): {MayBeWider}", true);
        }

        (int code, int detectedAtMost, string name) = width switch
        {
            SimdWidth.Bits256 => (MklEnableAvx2, MklDetectedAvx2, "AVX2"),
            SimdWidth.Bits128 => (MklEnableSse42, MklDetectedSse42, "SSE4.2"),
            _ => (-1, 0, ""),
        };
        string? fromEnvironment = System.Environment.GetEnvironmentVariable(MklVariable);
        bool notIntel = !OnIntelProcessor;
        // MKL's path on AMD's processors is AVX2 (its "zen" kernels, ymm registers): wider than GridTime's only at 128 bits.
        bool ownPathWider = width == SimdWidth.Bits128;
        string ownPath = ownPathWider ? $"its own path (AVX2 on AMD's) whatever it is asked: {MayBeWider}" : "its own path (AVX2 on AMD's) whatever it is asked";
        if (notIntel)
        {
            if (fromEnvironment is { Length: > 0 })
            {
                return new($"MKL's own choice ({MklVariable}={fromEnvironment} is taken on Intel's processors only; on others MKL takes {ownPath})", ownPathWider);
            }

            return code < 0 ? new($"MKL's own choice: on a processor not Intel's it takes {ownPath}", false)
                : TryEnable(code, detectedAtMost) == Outcome.NoMkl ? new($"not limited to {name} (this libtorch has no MKL to ask): {MayBeWider}", true)
                : new($"MKL not limited to {name}: on a processor not Intel's it takes {ownPath}", ownPathWider);
        }

        if (fromEnvironment is { Length: > 0 })
        {
            // The variable decides; at a narrowed width the path MKL reports says whether it chose wider than GridTime's kernels.
            bool wider = code >= 0 && TryEnable(null, detectedAtMost) is Outcome.Wider or Outcome.NoMkl;
            return new($"MKL's instructions as {MklVariable}={fromEnvironment} sets them" + (wider ? $": {MayBeWider}" : ""), wider);
        }

        return code < 0 ? new("MKL's widest instructions for this processor", false) : TryEnable(code, detectedAtMost) switch
        {
            Outcome.Limited => new($"MKL limited to {name}, as GridTime's kernels are", false),
            Outcome.NoWider => new($"MKL's own choice on this processor, no wider than {name}, as GridTime's kernels are", false),
            Outcome.Wider => new($"MKL could not be limited to {name} (it had chosen its instructions, or refuses on this processor): {MayBeWider}", true),
            _ => new($"not limited to {name} (this libtorch has no MKL to ask): {MayBeWider}", true),
        };
    }

    private enum Outcome
    {
        NoMkl,
        Limited,
        NoWider,
        Wider,
    }

    /// <summary>Whether this is an x86-64 processor of Intel's (CPUID's vendor "GenuineIntel"), the only kind on which MKL takes a limit.</summary>
    public static bool OnIntelProcessor { get; } = ReadIntelVendor();

    private static bool ReadIntelVendor()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }

        (_, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor, ebx);
        BitConverter.TryWriteBytes(vendor[4..], edx);
        BitConverter.TryWriteBytes(vendor[8..], ecx);
        return vendor.SequenceEqual("GenuineIntel"u8);
    }

    // MKL's answer to the limit, checked against the code path it then reports (mkl_serv_cpu_detect, exported beside
    // it): on an Intel processor mkl_serv_enable_instructions returns 1 even after MKL's first product, when its choice
    // is made and the call changes nothing. With no code, MKL is not asked: only the path it reports is read.
    private static Outcome TryEnable(int? code, int detectedAtMost)
    {
        _ = TorchSharp.torch.get_num_threads(); // loads libtorch (TorchSharp loads it on first use) without a product
        foreach (string name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
        {
            if (NativeLibrary.TryLoad(name, typeof(TorchSharp.torch).Assembly, null, out IntPtr library)
                && NativeLibrary.TryGetExport(library, "mkl_serv_enable_instructions", out IntPtr enable)
                && NativeLibrary.TryGetExport(library, "mkl_serv_cpu_detect", out IntPtr detect))
            {
                unsafe
                {
                    bool accepted = code is int asked && ((delegate* unmanaged<int, int>)enable)(asked) == 1;
                    int detected = ((delegate* unmanaged<int>)detect)();
                    return detected > detectedAtMost ? Outcome.Wider : accepted ? Outcome.Limited : Outcome.NoWider;
                }
            }
        }

        return Outcome.NoMkl;
    }
}

/// <summary>
/// What <see cref="LibTorchMatmulWidth.LimitTo"/> found: a few words for the bench's line, and whether libtorch's
/// product may use wider vectors than GridTime's kernels at the width asked for (so that it is no ceiling at that width).
/// </summary>
/// <param name="Description">E.g. "MKL limited to AVX2, as GridTime's kernels are".</param>
/// <param name="MayBeWider">Whether libtorch's product may use wider vectors than GridTime's kernels.</param>
public readonly record struct LibTorchInstructions(string Description, bool MayBeWider);
