using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>How the kernels read parameters and hand them their gradients, without autograd.</summary>
internal static unsafe class ParameterMemory
{
    /// <summary>The first float of a contiguous float32 parameter (its storage never moves while the network lives).</summary>
    public static float* Data(Tensor t) => (float*)Unsafe.AsPointer(ref t.bytes.GetPinnableReference());

    /// <summary>grad += <paramref name="values"/> (as many as the parameter has), or grad = them if it has none yet.</summary>
    public static void AddGradient(Tensor parameter, float* values)
    {
        using Tensor? existing = parameter.grad;
        long count = parameter.numel();
        if (existing is null)
        {
            Tensor gradient = empty_like(parameter);
            Copy(values, Data(gradient), count);
            parameter.grad = gradient;
            gradient.Dispose();
            return;
        }

        float* g = Data(existing);
        long i = 0;
        for (; i + Vector512<float>.Count <= count; i += Vector512<float>.Count)
        {
            (Vector512.Load(g + i) + Vector512.Load(values + i)).Store(g + i);
        }

        for (; i < count; i++)
        {
            g[i] += values[i];
        }
    }

    /// <summary>Copies <paramref name="count"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* source, float* target, long count) =>
        Buffer.MemoryCopy(source, target, count * sizeof(float), count * sizeof(float));

    /// <summary>Σ a[i]·b[i] over <paramref name="count"/> floats (any count).</summary>
    public static float Dot(float* a, float* b, int count)
    {
        Vector512<float> sum = Vector512<float>.Zero;
        int i = 0;
        for (; i + Vector512<float>.Count <= count; i += Vector512<float>.Count)
        {
            sum += Vector512.Load(a + i) * Vector512.Load(b + i);
        }

        float total = Vector512.Sum(sum);
        for (; i < count; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    /// <summary>y += a·x over <paramref name="count"/> floats (any count).</summary>
    public static void Axpy(float a, float* x, float* y, int count)
    {
        Vector512<float> scale = Vector512.Create(a);
        int i = 0;
        for (; i + Vector512<float>.Count <= count; i += Vector512<float>.Count)
        {
            (Vector512.Load(y + i) + (scale * Vector512.Load(x + i))).Store(y + i);
        }

        for (; i < count; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>y += x over <paramref name="count"/> floats (any count).</summary>
    public static void Add(float* x, float* y, int count)
    {
        int i = 0;
        for (; i + Vector512<float>.Count <= count; i += Vector512<float>.Count)
        {
            (Vector512.Load(y + i) + Vector512.Load(x + i)).Store(y + i);
        }

        for (; i < count; i++)
        {
            y[i] += x[i];
        }
    }

    /// <summary>The sums of the columns of a [rows, columns] block whose rows are <paramref name="ld"/> apart, into <paramref name="result"/> (overwritten).</summary>
    public static void ColumnSums(float* data, long rows, int columns, long ld, float* result)
    {
        new Span<float>(result, columns).Clear();
        for (long r = 0; r < rows; r++)
        {
            Add(data + (r * ld), result, columns);
        }
    }
}
