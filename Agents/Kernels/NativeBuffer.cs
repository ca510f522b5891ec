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

    /// <summary>
    /// Like <see cref="AtLeast"/>, but its first <paramref name="keep"/> floats survive a growth; it grows to
    /// at least twice its size, so that appending row by row copies each row a bounded number of times.
    /// </summary>
    public float* AtLeastKeeping(long floats, long keep)
    {
        if (_floats < floats)
        {
            long size = Math.Max(floats, 2 * _floats);
            var data = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
            if (keep > 0)
            {
                Buffer.MemoryCopy(_data, data, size * sizeof(float), keep * sizeof(float));
            }

            NativeMemory.AlignedFree(_data);
            _data = data;
            _floats = size;
        }

        return _data;
    }

    ~NativeBuffer() => NativeMemory.AlignedFree(_data);
}
