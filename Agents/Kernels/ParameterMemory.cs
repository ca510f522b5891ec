using System.Runtime.CompilerServices;
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
        float* gradient = GradientTarget(parameter, out bool accumulate);
        if (accumulate)
        {
            Add(values, gradient, parameter.numel());
        }
        else
        {
            Copy(values, gradient, parameter.numel());
        }
    }

    /// <summary>
    /// Where a kernel writes <paramref name="parameter"/>'s gradient itself: the first float of its grad, made (not
    /// initialised) where it has none, and in <paramref name="accumulate"/> whether to add to what is there (a grad from
    /// before) or to overwrite it (a grad just made), as <see cref="AddGradient"/> would have. Why: the large weight
    /// gradients (the LSTM's 2.2 MB at H = 256, the encoder's linear layer's 0.8 MB) formed in working memory and then
    /// copied into a new grad cost a pass over them per update.
    /// </summary>
    public static float* GradientTarget(Tensor parameter, out bool accumulate)
    {
        using Tensor? existing = parameter.grad;
        if (existing is not null)
        {
            accumulate = true;
            return Data(existing);
        }

        Tensor gradient = empty_like(parameter);
        parameter.grad = gradient;
        float* data = Data(gradient); // the parameter holds the tensor: its storage lives on past this wrapper
        gradient.Dispose();
        accumulate = false;
        return data;
    }

    /// <summary>Copies <paramref name="count"/> floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(float* source, float* target, long count) =>
        Buffer.MemoryCopy(source, target, count * sizeof(float), count * sizeof(float));

    /// <summary>Σ a[i]·b[i] over <paramref name="count"/> floats (any count).</summary>
    public static float Dot(float* a, float* b, int count)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                return Dot<Vec512>(a, b, count);
            case SimdWidth.Bits256:
                return Dot<Vec256>(a, b, count);
            default:
                return Dot<Vec128>(a, b, count);
        }
    }

    private static float Dot<TV>(float* a, float* b, int count)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV sum = TV.Zero;
        int i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            sum += TV.Load(a + i) * TV.Load(b + i);
        }

        float total = TV.Sum(sum);
        for (; i < count; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    /// <summary>y += a·x over <paramref name="count"/> floats (any count).</summary>
    public static void Axpy(float a, float* x, float* y, int count)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Axpy<Vec512>(a, x, y, count);
                break;
            case SimdWidth.Bits256:
                Axpy<Vec256>(a, x, y, count);
                break;
            default:
                Axpy<Vec128>(a, x, y, count);
                break;
        }
    }

    private static void Axpy<TV>(float a, float* x, float* y, int count)
        where TV : unmanaged, ISimdVector<TV>
    {
        TV scale = TV.Create(a);
        int i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            (TV.Load(y + i) + (scale * TV.Load(x + i))).Store(y + i);
        }

        for (; i < count; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>y += x over <paramref name="count"/> floats (any count).</summary>
    public static void Add(float* x, float* y, long count) => Sum(x, y, y, count);

    /// <summary>target = x + y over <paramref name="count"/> floats (any count; target may be x or y).</summary>
    public static void Sum(float* x, float* y, float* target, long count)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                Sum<Vec512>(x, y, target, count);
                break;
            case SimdWidth.Bits256:
                Sum<Vec256>(x, y, target, count);
                break;
            default:
                Sum<Vec128>(x, y, target, count);
                break;
        }
    }

    private static void Sum<TV>(float* x, float* y, float* target, long count)
        where TV : unmanaged, ISimdVector<TV>
    {
        long i = 0;
        for (; i + TV.Count <= count; i += TV.Count)
        {
            (TV.Load(x + i) + TV.Load(y + i)).Store(target + i);
        }

        for (; i < count; i++)
        {
            target[i] = x[i] + y[i];
        }
    }

    /// <summary>target[i] = matrix[i, <paramref name="column"/>] for <paramref name="rows"/> rows <paramref name="ld"/> floats apart.</summary>
    public static void CopyColumn(float* matrix, int rows, long ld, int column, float* target)
    {
        for (int i = 0; i < rows; i++)
        {
            target[i] = matrix[(i * ld) + column];
        }
    }

    /// <summary>matrix[i, <paramref name="column"/>] = source[i] for <paramref name="rows"/> rows <paramref name="ld"/> floats apart.</summary>
    public static void WriteColumn(float* source, int rows, float* matrix, long ld, int column)
    {
        for (int i = 0; i < rows; i++)
        {
            matrix[(i * ld) + column] = source[i];
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
