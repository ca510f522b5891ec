using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace GridTime.Agents.Kernels;

/// <summary>The vector width GridTime's fast kernels compute with, or <see cref="Off"/> for libtorch's own operations.</summary>
public enum SimdWidth
{
    /// <summary>No GridTime kernel: every layer is libtorch's, trained through autograd.</summary>
    Off = 0,

    /// <summary>128-bit vectors, 4 floats (SSE/AVX with FMA on x86-64, AdvSIMD on ARM64).</summary>
    Bits128 = 128,

    /// <summary>256-bit vectors, 8 floats (AVX2 + FMA).</summary>
    Bits256 = 256,

    /// <summary>512-bit vectors, 16 floats (AVX-512).</summary>
    Bits512 = 512,
}

/// <summary>
/// Which vector width the fast kernels use: the widest this processor accelerates, chosen once at start-up,
/// or a narrower one forced by the environment variable <c>GRIDTIME_SIMD</c> (<c>512</c>, <c>256</c>, <c>128</c>
/// or <c>off</c>; <c>GRIDTIME_TORCH_MATMUL=1</c>, its older spelling, means <c>off</c>), so that every width the
/// machine can run is tested and measured on it. Every kernel reads <see cref="Width"/> at its entry and runs its
/// generic body for that width (<see cref="ISimdVector{TSelf}"/>).
/// </summary>
public static class Simd
{
    /// <summary>The environment variable that forces a width.</summary>
    public const string Variable = "GRIDTIME_SIMD";

    /// <summary>The older switch that turned the kernels off (<c>GRIDTIME_TORCH_MATMUL=1</c>), still read as <c>GRIDTIME_SIMD=off</c>.</summary>
    public const string TorchMatmulVariable = "GRIDTIME_TORCH_MATMUL";

    [ThreadStatic]
    private static SimdWidth? forcedOnThisThread;

    // Whether any thread ever forced a width: until one does (a training process never does), Width reads no
    // thread-local storage, which every kernel call does once or more (a thread-static read showed in profiles).
    private static volatile bool anyForced;

    static Simd()
    {
        Supported = Detect();
        (SimdWidth chosen, string? error) = Choose(
            System.Environment.GetEnvironmentVariable(Variable), System.Environment.GetEnvironmentVariable(TorchMatmulVariable), Supported);
        ProcessWidth = chosen;
        SettingError = error;
    }

    /// <summary>The widest width this processor and runtime accelerate (with fused multiply-add), or <see cref="SimdWidth.Off"/>.</summary>
    public static SimdWidth Supported { get; }

    /// <summary>The width this process chose at start-up (the environment variable's, or <see cref="Supported"/>).</summary>
    public static SimdWidth ProcessWidth { get; }

    /// <summary>
    /// One line naming what is wrong with <c>GRIDTIME_SIMD</c> (not a width, or wider than the processor runs), or null.
    /// The command line refuses to start with it (exit 2); the library then computes at <see cref="Supported"/>.
    /// </summary>
    public static string? SettingError { get; }

    /// <summary>The width the kernels use on the calling thread: <see cref="ProcessWidth"/>, unless a test forced another (<see cref="ForceOnThisThread"/>).</summary>
    public static SimdWidth Width => anyForced ? forcedOnThisThread ?? ProcessWidth : ProcessWidth;

    /// <summary>Whether the fast kernels run on the calling thread (<see cref="Width"/> is not <see cref="SimdWidth.Off"/>).</summary>
    public static bool KernelsInUse => Width != SimdWidth.Off;

    /// <summary>The widths this machine runs, narrowest first, <see cref="SimdWidth.Off"/> excluded: what the tests cover.</summary>
    public static IReadOnlyList<SimdWidth> Runnable => [.. new[] { SimdWidth.Bits128, SimdWidth.Bits256, SimdWidth.Bits512 }.Where(w => w <= Supported)];

    /// <summary>A name for <paramref name="width"/>: "512-bit (AVX-512)", "256-bit (AVX2 + FMA)", "128-bit (AdvSIMD)", "off (libtorch)".</summary>
    public static string Describe(SimdWidth width) => width == SimdWidth.Off ? "off (libtorch)" : $"{(int)width}-bit ({Instructions(width)})";

    /// <summary>The instructions a width compiles to here: "AVX-512", "AVX2 + FMA", "AdvSIMD" or "SSE/AVX + FMA".</summary>
    public static string Instructions(SimdWidth width) => width switch
    {
        SimdWidth.Bits512 => "AVX-512",
        SimdWidth.Bits256 => "AVX2 + FMA",
        SimdWidth.Bits128 => AdvSimd.Arm64.IsSupported ? "AdvSIMD" : "SSE/AVX + FMA",
        _ => "none",
    };

    /// <summary>
    /// What computes on the calling thread, short enough for a run's first lines in 80 columns: "GridTime's 256-bit
    /// kernels (AVX2 + FMA)" (the processor's widest), "GridTime's 128-bit kernels (SSE/AVX + FMA, narrowed from 512 by
    /// GRIDTIME_SIMD)", "libtorch's layers (GRIDTIME_SIMD=off; GridTime's kernels would run at 512-bit (AVX-512))".
    /// </summary>
    public static string InUse
    {
        get
        {
            SimdWidth width = Width;
            string narrowed = width == Supported ? ""
                : forcedOnThisThread is not null ? $", forced on this thread from {(int)Supported}"
                : $", narrowed from {(int)Supported} by {Variable}";
            if (width != SimdWidth.Off)
            {
                return $"GridTime's {(int)width}-bit kernels ({Instructions(width)}{narrowed})";
            }

            return Supported == SimdWidth.Off
                ? "libtorch's layers (this processor has no vector unit with fused multiply-add for GridTime's kernels)"
                : $"libtorch's layers ({Variable}=off; GridTime's kernels would run at {Describe(Supported)})";
        }
    }

    /// <summary>The name recorded in a run's config.json and the bench's JSON: "gridtime-simd512", "gridtime-simd256", "gridtime-simd128" or "libtorch".</summary>
    public static string KernelsName(SimdWidth width) => width == SimdWidth.Off ? "libtorch" : $"gridtime-simd{(int)width}";

    /// <summary>The setting's value for <paramref name="width"/>: "512", "256", "128" or "off".</summary>
    public static string SettingValue(SimdWidth width) => width == SimdWidth.Off ? "off" : ((int)width).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Makes the calling thread compute at <paramref name="width"/> until the returned object is disposed (tests run
    /// every width in one process this way; threads they start use <see cref="ProcessWidth"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="width"/> is wider than <see cref="Supported"/>.</exception>
    public static IDisposable ForceOnThisThread(SimdWidth width)
    {
        if (width > Supported)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{Describe(width)} is not available on this processor (it runs {Describe(Supported)})");
        }

        SimdWidth? before = forcedOnThisThread;
        forcedOnThisThread = width;
        anyForced = true;
        return new Restore(() => forcedOnThisThread = before);
    }

    /// <summary>
    /// Whether kernels at width <typeparamref name="TV"/> have 32 vector registers to block in (AVX-512, and ARM64's
    /// AdvSIMD) rather than 16 (AVX2, and SSE/AVX at 128 bits): register blocks are sized by it.
    /// </summary>
    internal static bool HasThirtyTwoRegisters<TV>()
        where TV : unmanaged, ISimdVector<TV> => TV.Count == 16 || AdvSimd.Arm64.IsSupported;

    /// <summary>
    /// The width for the variables' values: <paramref name="simd"/> ("512", "256", "128", "off", or empty for the widest
    /// supported) and <paramref name="torchMatmul"/> ("1" means off), with an error line for a value that is not a
    /// width or is wider than <paramref name="supported"/>.
    /// </summary>
    public static (SimdWidth Width, string? Error) Choose(string? simd, string? torchMatmul, SimdWidth supported)
    {
        string value = simd?.Trim().ToLowerInvariant() ?? string.Empty;
        if (value.Length == 0)
        {
            return (torchMatmul == "1" ? SimdWidth.Off : supported, null);
        }

        SimdWidth? requested = value switch
        {
            "512" => SimdWidth.Bits512,
            "256" => SimdWidth.Bits256,
            "128" => SimdWidth.Bits128,
            "off" => SimdWidth.Off,
            _ => null,
        };
        if (requested is null)
        {
            return (supported, $"{Variable}={simd}: expected 512, 256, 128 or off");
        }

        if (requested > supported)
        {
            return (supported, $"{Variable}={simd}: this processor runs at most {Describe(supported)}");
        }

        return (requested.Value, null);
    }

    /// <summary>
    /// The widest accelerated width with a fused multiply-add: the kernels' products are written as FMAs, which
    /// .NET emulates (slowly, and rounding differently) where the processor has none.
    /// </summary>
    private static SimdWidth Detect()
    {
        bool fma = Fma.IsSupported || AdvSimd.Arm64.IsSupported;
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            return SimdWidth.Bits512;
        }

        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported && fma)
        {
            return SimdWidth.Bits256;
        }

        return Vector128.IsHardwareAccelerated && fma ? SimdWidth.Bits128 : SimdWidth.Off;
    }

    /// <summary>Runs <paramref name="action"/> once, when first disposed: what undoes a thread's switch for tests (<see cref="ForceOnThisThread"/>, <see cref="SparseConv1.DenseOnThisThread"/>).</summary>
    internal sealed class Restore(Action action) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (!_done)
            {
                _done = true;
                action();
            }
        }
    }
}
