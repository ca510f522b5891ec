using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A vector of <see cref="Count"/> floats, the one type every fast kernel is written against, so that one
/// source serves every vector width: <see cref="Vec512"/> (AVX-512), <see cref="Vec256"/> (AVX2 + FMA) and
/// <see cref="Vec128"/> (SSE/AVX on x86-64, AdvSIMD on ARM64). A kernel is a generic method over
/// <typeparamref name="TSelf"/>; the JIT compiles one copy per width with every call inlined, so the
/// generic source runs as fast as code written for the width (measured against the earlier AVX-512-only
/// kernels: tests/Agents/SgemmTests and <c>gridtime bench</c>). Each operation is .NET's cross-platform one
/// on <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> or <see cref="Vector512{T}"/>.
/// </summary>
/// <typeparam name="TSelf">The implementing width.</typeparam>
public unsafe interface ISimdVector<TSelf>
    where TSelf : unmanaged, ISimdVector<TSelf>
{
    /// <summary>Floats per vector: 4, 8 or 16.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes 0.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>All lanes 1.</summary>
    static abstract TSelf One { get; }

    /// <summary>Reads <see cref="Count"/> floats from <paramref name="source"/> (no alignment needed).</summary>
    static abstract TSelf Load(float* source);

    /// <summary>
    /// Widens <see cref="Count"/> bytes at <paramref name="source"/> to floats 0..255 (one instruction on x86-64,
    /// where each image's 9,408 bytes are widened twice an update; .NET's portable widening elsewhere).
    /// </summary>
    static abstract TSelf LoadBytes(byte* source);

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TSelf Create(float value);

    /// <summary>a·b + c with one rounding (a fused multiply-add where the processor has one).</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>
    /// <paramref name="sum"/> += a·b in one fused multiply-add, in place. Register-blocked kernels accumulate this
    /// way: the JIT then keeps each accumulator in its register (vfmadd231ps), where assigning a returned wrapper
    /// cost a register copy per product.
    /// </summary>
    static abstract void AddProduct(TSelf a, TSelf b, ref TSelf sum);

    /// <summary>
    /// <paramref name="sum"/> += a·b for every lane, a broadcast: one fused multiply-add reading
    /// <paramref name="a"/> from memory where the processor can (AVX-512's embedded broadcast).
    /// </summary>
    static abstract void AddProduct(float a, TSelf b, ref TSelf sum);

    /// <summary>Lane-wise maximum.</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>Lane-wise |x|.</summary>
    static abstract TSelf Abs(TSelf x);

    /// <summary>Lane-wise √x.</summary>
    static abstract TSelf Sqrt(TSelf x);

    /// <summary>Lane-wise rounding to the nearest integer, ties to even.</summary>
    static abstract TSelf Round(TSelf x);

    /// <summary>
    /// Lane-wise 2ⁿ for integer-valued n in [−126, 127], written straight into the exponent bits (one integer
    /// add and shift); other n give meaningless values (<see cref="VectorExp"/> replaces them). n is converted to
    /// integers the processor's own way (<c>ConvertToInt32Native</c>: one instruction, where .NET's saturating
    /// conversion adds four to each exponential), which differs only for n no int holds, whose results are replaced.
    /// </summary>
    static abstract TSelf PowerOfTwo(TSelf n);

    /// <summary>Lane-wise natural logarithm.</summary>
    static abstract TSelf Log(TSelf x);

    /// <summary>A lane mask: all bits set where a &gt; b, else 0.</summary>
    static abstract TSelf GreaterThan(TSelf a, TSelf b);

    /// <summary>A lane mask: all bits set where a &lt; b, else 0.</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);

    /// <summary>A lane mask: all bits set where a = b (0 = −0; NaN equals nothing), else 0.</summary>
    static abstract TSelf Equal(TSelf a, TSelf b);

    /// <summary>Bitwise and (with a mask from a comparison: x where the mask is set, else 0).</summary>
    static abstract TSelf And(TSelf x, TSelf mask);

    /// <summary>Per lane: <paramref name="whereSet"/> where the mask is set, else <paramref name="whereClear"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whereSet, TSelf whereClear);

    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TSelf x);

    /// <summary>Lane-wise sum.</summary>
    static abstract TSelf operator +(TSelf a, TSelf b);

    /// <summary>Lane-wise difference.</summary>
    static abstract TSelf operator -(TSelf a, TSelf b);

    /// <summary>Lane-wise product.</summary>
    static abstract TSelf operator *(TSelf a, TSelf b);

    /// <summary>Lane-wise quotient.</summary>
    static abstract TSelf operator /(TSelf a, TSelf b);

    /// <summary>Lane-wise negation.</summary>
    static abstract TSelf operator -(TSelf x);

    /// <summary>Writes the <see cref="Count"/> floats to <paramref name="target"/> (no alignment needed).</summary>
    void Store(float* target);
}

/// <summary>16 floats in an AVX-512 register.</summary>
public unsafe struct Vec512(Vector512<float> value) : ISimdVector<Vec512>
{
    private Vector512<float> _value = value;

    /// <inheritdoc/>
    public static int Count => 16;

    /// <inheritdoc/>
    public static Vec512 Zero => default;

    /// <inheritdoc/>
    public static Vec512 One => new(Vector512<float>.One);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Load(float* source) => new(Vector512.Load(source));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 LoadBytes(byte* source)
    {
        if (Avx512F.IsSupported)
        {
            return new(Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.Load(source))));
        }

        Vector128<byte> bytes = Vector128.Load(source);
        (Vector128<ushort> low, Vector128<ushort> high) = Vector128.Widen(bytes);
        (Vector128<uint> a, Vector128<uint> b) = Vector128.Widen(low);
        (Vector128<uint> c, Vector128<uint> d) = Vector128.Widen(high);
        return new(Vector512.ConvertToSingle(Vector512.Create(Vector256.Create(a, b), Vector256.Create(c, d)).AsInt32()));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Create(float value) => new(Vector512.Create(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 MultiplyAdd(Vec512 a, Vec512 b, Vec512 c) => new(Vector512.FusedMultiplyAdd(a._value, b._value, c._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddProduct(Vec512 a, Vec512 b, ref Vec512 sum) => sum._value = Vector512.FusedMultiplyAdd(a._value, b._value, sum._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddProduct(float a, Vec512 b, ref Vec512 sum) => sum._value = Vector512.FusedMultiplyAdd(Vector512.Create(a), b._value, sum._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Max(Vec512 a, Vec512 b) => new(Vector512.Max(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Abs(Vec512 x) => new(Vector512.Abs(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Sqrt(Vec512 x) => new(Vector512.Sqrt(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Round(Vec512 x) => new(Vector512.Round(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 PowerOfTwo(Vec512 n) => new(((Vector512.ConvertToInt32Native(n._value) + Vector512.Create(127)) << 23).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Log(Vec512 x) => new(Vector512.Log(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 GreaterThan(Vec512 a, Vec512 b) => new(Vector512.GreaterThan(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 LessThan(Vec512 a, Vec512 b) => new(Vector512.LessThan(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Equal(Vec512 a, Vec512 b) => new(Vector512.Equals(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 And(Vec512 x, Vec512 mask) => new(Vector512.BitwiseAnd(x._value, mask._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 Select(Vec512 mask, Vec512 whereSet, Vec512 whereClear) =>
        new(Vector512.ConditionalSelect(mask._value, whereSet._value, whereClear._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vec512 x) => Vector512.Sum(x._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 operator +(Vec512 a, Vec512 b) => new(a._value + b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 operator -(Vec512 a, Vec512 b) => new(a._value - b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 operator *(Vec512 a, Vec512 b) => new(a._value * b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 operator /(Vec512 a, Vec512 b) => new(a._value / b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512 operator -(Vec512 x) => new(-x._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(float* target) => _value.Store(target);
}

/// <summary>8 floats in an AVX register.</summary>
public unsafe struct Vec256(Vector256<float> value) : ISimdVector<Vec256>
{
    private Vector256<float> _value = value;

    /// <inheritdoc/>
    public static int Count => 8;

    /// <inheritdoc/>
    public static Vec256 Zero => default;

    /// <inheritdoc/>
    public static Vec256 One => new(Vector256<float>.One);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Load(float* source) => new(Vector256.Load(source));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 LoadBytes(byte* source)
    {
        if (Avx2.IsSupported)
        {
            return new(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(source)));
        }

        Vector128<ushort> low = Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(ulong*)source).AsByte());
        (Vector128<uint> a, Vector128<uint> b) = Vector128.Widen(low);
        return new(Vector256.ConvertToSingle(Vector256.Create(a, b).AsInt32()));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Create(float value) => new(Vector256.Create(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 MultiplyAdd(Vec256 a, Vec256 b, Vec256 c) => new(Vector256.FusedMultiplyAdd(a._value, b._value, c._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddProduct(Vec256 a, Vec256 b, ref Vec256 sum) => sum._value = Vector256.FusedMultiplyAdd(a._value, b._value, sum._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddProduct(float a, Vec256 b, ref Vec256 sum) => sum._value = Vector256.FusedMultiplyAdd(Vector256.Create(a), b._value, sum._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Max(Vec256 a, Vec256 b) => new(Vector256.Max(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Abs(Vec256 x) => new(Vector256.Abs(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Sqrt(Vec256 x) => new(Vector256.Sqrt(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Round(Vec256 x) => new(Vector256.Round(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 PowerOfTwo(Vec256 n) => new(((Vector256.ConvertToInt32Native(n._value) + Vector256.Create(127)) << 23).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Log(Vec256 x) => new(Vector256.Log(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 GreaterThan(Vec256 a, Vec256 b) => new(Vector256.GreaterThan(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 LessThan(Vec256 a, Vec256 b) => new(Vector256.LessThan(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Equal(Vec256 a, Vec256 b) => new(Vector256.Equals(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 And(Vec256 x, Vec256 mask) => new(Vector256.BitwiseAnd(x._value, mask._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 Select(Vec256 mask, Vec256 whereSet, Vec256 whereClear) =>
        new(Vector256.ConditionalSelect(mask._value, whereSet._value, whereClear._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vec256 x) => Vector256.Sum(x._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 operator +(Vec256 a, Vec256 b) => new(a._value + b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 operator -(Vec256 a, Vec256 b) => new(a._value - b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 operator *(Vec256 a, Vec256 b) => new(a._value * b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 operator /(Vec256 a, Vec256 b) => new(a._value / b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256 operator -(Vec256 x) => new(-x._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(float* target) => _value.Store(target);
}

/// <summary>4 floats in a 128-bit register (SSE/AVX on x86-64, AdvSIMD on ARM64).</summary>
public unsafe struct Vec128(Vector128<float> value) : ISimdVector<Vec128>
{
    private Vector128<float> _value = value;

    /// <inheritdoc/>
    public static int Count => 4;

    /// <inheritdoc/>
    public static Vec128 Zero => default;

    /// <inheritdoc/>
    public static Vec128 One => new(Vector128<float>.One);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Load(float* source) => new(Vector128.Load(source));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 LoadBytes(byte* source)
    {
        if (Sse41.IsSupported)
        {
            return new(Sse2.ConvertToVector128Single(Sse41.ConvertToVector128Int32(source)));
        }

        Vector128<uint> widened = Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(*(uint*)source).AsByte()));
        return new(Vector128.ConvertToSingle(widened.AsInt32()));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Create(float value) => new(Vector128.Create(value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 MultiplyAdd(Vec128 a, Vec128 b, Vec128 c) => new(Vector128.FusedMultiplyAdd(a._value, b._value, c._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddProduct(Vec128 a, Vec128 b, ref Vec128 sum) => sum._value = Vector128.FusedMultiplyAdd(a._value, b._value, sum._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddProduct(float a, Vec128 b, ref Vec128 sum) => sum._value = Vector128.FusedMultiplyAdd(Vector128.Create(a), b._value, sum._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Max(Vec128 a, Vec128 b) => new(Vector128.Max(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Abs(Vec128 x) => new(Vector128.Abs(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Sqrt(Vec128 x) => new(Vector128.Sqrt(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Round(Vec128 x) => new(Vector128.Round(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 PowerOfTwo(Vec128 n) => new(((Vector128.ConvertToInt32Native(n._value) + Vector128.Create(127)) << 23).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Log(Vec128 x) => new(Vector128.Log(x._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 GreaterThan(Vec128 a, Vec128 b) => new(Vector128.GreaterThan(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 LessThan(Vec128 a, Vec128 b) => new(Vector128.LessThan(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Equal(Vec128 a, Vec128 b) => new(Vector128.Equals(a._value, b._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 And(Vec128 x, Vec128 mask) => new(Vector128.BitwiseAnd(x._value, mask._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 Select(Vec128 mask, Vec128 whereSet, Vec128 whereClear) =>
        new(Vector128.ConditionalSelect(mask._value, whereSet._value, whereClear._value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vec128 x) => Vector128.Sum(x._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 operator +(Vec128 a, Vec128 b) => new(a._value + b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 operator -(Vec128 a, Vec128 b) => new(a._value - b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 operator *(Vec128 a, Vec128 b) => new(a._value * b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 operator /(Vec128 a, Vec128 b) => new(a._value / b._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128 operator -(Vec128 x) => new(-x._value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Store(float* target) => _value.Store(target);
}
