using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using GridTime.Agents.Kernels;

namespace GridTime.Tests;

/// <summary>Why a test of AVX-512 code is skipped here, or null when it can run (xunit 2 has no dynamic skip).</summary>
internal static class NeedsAvx512
{
    /// <summary>Null when the processor has AVX-512 (accelerated); otherwise the skip reason.</summary>
    public static string? CpuSkipReason => Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? null : "needs AVX-512 (this processor lacks it)";

    /// <summary>Null when the AVX-512 kernels are in use; otherwise the skip reason (no AVX-512, or GRIDTIME_TORCH_MATMUL=1).</summary>
    public static string? KernelSkipReason => FastLinear.KernelInUse ? null : "needs the AVX-512 kernels (this processor lacks AVX-512, or GRIDTIME_TORCH_MATMUL=1 turned them off)";
}

/// <summary>A [Fact] reported as skipped, not passed, on a processor without AVX-512.</summary>
public sealed class FactNeedingAvx512Attribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the processor lacks AVX-512.</summary>
    public FactNeedingAvx512Attribute() => Skip = NeedsAvx512.CpuSkipReason;
}

/// <summary>A [Theory] reported as skipped, not passed, on a processor without AVX-512.</summary>
public sealed class TheoryNeedingAvx512Attribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the processor lacks AVX-512.</summary>
    public TheoryNeedingAvx512Attribute() => Skip = NeedsAvx512.CpuSkipReason;
}

/// <summary>A [Fact] reported as skipped, not passed, where the AVX-512 kernels are not in use.</summary>
public sealed class FactNeedingAvx512KernelsAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the kernels are not in use.</summary>
    public FactNeedingAvx512KernelsAttribute() => Skip = NeedsAvx512.KernelSkipReason;
}
