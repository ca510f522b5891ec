using System.Runtime.InteropServices;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A 64-byte-aligned float buffer of fixed size in native memory, held by a rollout pass or a core for the
/// rollouts of one worker and freed with it (or, failing that, when collected). Native memory comes
/// uninitialised: whoever reads a part must have written it.
/// </summary>
internal sealed unsafe class RolloutBuffer(long floats) : IDisposable
{
    /// <summary>The first float.</summary>
    public float* Data { get; private set; } = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(floats, 1) * sizeof(float)), 64);

    /// <summary>Its length in floats.</summary>
    public long Length { get; } = floats;

    /// <summary>Frees the memory.</summary>
    public void Dispose()
    {
        NativeMemory.AlignedFree(Data);
        Data = null;
        GC.SuppressFinalize(this);
    }

    ~RolloutBuffer() => NativeMemory.AlignedFree(Data);
}
