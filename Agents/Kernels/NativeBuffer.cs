using System.Runtime.InteropServices;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A 64-byte-aligned block of native memory that grows on demand and is freed when the buffer is collected
/// (the kernels keep one per thread in a [ThreadStatic] field, so it goes with its thread).
/// </summary>
internal sealed unsafe class NativeBuffer
{
    private float* _data;
    private long _floats;

    /// <summary>The buffer, grown to at least <paramref name="floats"/> floats (contents not kept when it grows).</summary>
    public float* AtLeast(long floats)
    {
        if (_floats < floats)
        {
            NativeMemory.AlignedFree(_data);
            _data = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            _floats = floats;
        }

        return _data;
    }

    ~NativeBuffer() => NativeMemory.AlignedFree(_data);
}
