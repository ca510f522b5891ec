using System.Runtime.InteropServices;
using GridTime.Agents.Kernels;

namespace GridTime.Training.Benchmark;

/// <summary>
/// Limits libtorch's matrix products (Intel MKL in the libtorch GridTime ships with) to the vector width GridTime's
/// kernels were narrowed to, so that <c>bench</c>'s ceiling for a narrowed width is what a processor of that width
/// would give. Without it, forcing <c>GRIDTIME_SIMD=256</c> on an Intel processor with AVX-512 measured GridTime's
/// 256-bit training against MKL's AVX-512 product (on a Xeon, 155 GFLOP/s against 92 with AVX2): a share of that
/// ceiling says nothing about an AVX2 processor. (On AMD processors MKL takes its AVX2 path whatever the processor
/// has, so the mismatch did not show there.)
/// <para>
/// How: MKL's <c>mkl_enable_instructions</c> (exported from libtorch_cpu as <c>mkl_serv_enable_instructions</c>),
/// which must run before MKL's first product in the process; MKL's own <c>MKL_ENABLE_INSTRUCTIONS</c> environment
/// variable, when set, is left to decide. Source of the codes: oneMKL's mkl_service.h (MKL_ENABLE_SSE4_2 = 0,
/// MKL_ENABLE_AVX2 = 2).
/// </para>
/// </summary>
public static class LibTorchMatmulWidth
{
    /// <summary>MKL's environment variable for the same choice; when set, it decides and this class changes nothing.</summary>
    public const string MklVariable = "MKL_ENABLE_INSTRUCTIONS";

    private const int MklEnableSse42 = 0;
    private const int MklEnableAvx2 = 2;

    private static string? described;

    /// <summary>
    /// Once per process, before libtorch's first matrix product: limits MKL to the instructions of
    /// <paramref name="width"/> when it is 256 (AVX2) or 128 bits (SSE4.2, which has no fused multiply-add: the
    /// ceiling is then GridTime's own 128-bit kernel wherever that is faster). Returns a few words for the bench's
    /// line, e.g. "MKL limited to AVX2, as GridTime's kernels are"; later calls return the first call's words.
    /// </summary>
    public static string LimitTo(SimdWidth width)
    {
        if (described is not null)
        {
            return described;
        }

        string? fromEnvironment = System.Environment.GetEnvironmentVariable(MklVariable);
        (int code, string name)? limit = width switch
        {
            SimdWidth.Bits256 => (MklEnableAvx2, "AVX2"),
            SimdWidth.Bits128 => (MklEnableSse42, "SSE4.2"),
            _ => null,
        };
        described = fromEnvironment is { Length: > 0 } ? $"MKL's instructions as {MklVariable}={fromEnvironment} sets them"
            : limit is not { } l ? "MKL's widest instructions for this processor"
            : TryEnable(l.code) switch
            {
                true => $"MKL limited to {l.name}, as GridTime's kernels are",
                false => $"MKL refused to be limited to {l.name}: its product may use wider vectors than GridTime's kernels",
                null => $"not limited to {l.name} (this libtorch has no MKL to ask): its product may use wider vectors than GridTime's kernels",
            };
        return described;
    }

    // true: MKL took the limit; false: it refused (called after its first product, or an instruction set it cannot
    // narrow to); null: no MKL in this libtorch.
    private static bool? TryEnable(int code)
    {
        _ = TorchSharp.torch.get_num_threads(); // loads libtorch (TorchSharp loads it on first use) without a product
        foreach (string name in new[] { "libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll" })
        {
            if (NativeLibrary.TryLoad(name, typeof(TorchSharp.torch).Assembly, null, out IntPtr library)
                && NativeLibrary.TryGetExport(library, "mkl_serv_enable_instructions", out IntPtr enable))
            {
                unsafe
                {
                    return ((delegate* unmanaged<int, int>)enable)(code) == 1;
                }
            }
        }

        return null;
    }
}
