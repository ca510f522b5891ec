namespace GridTime.Environment;

/// <summary>
/// SplitMix64: a small, fast generator whose output depends only on its seed, on every platform and .NET
/// version (System.Random makes no such promise across versions). Every random choice of an environment
/// flows from one of these.
/// </summary>
public sealed class SeededRandom
{
    private ulong _state;

    /// <summary>A generator whose whole stream is fixed by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>Derives an independent seed for stream <paramref name="index"/> of a parent seed (for example env i of a batch).</summary>
    public static ulong Derive(ulong seed, ulong index) => Mix(Mix(seed) ^ Mix(index + 0x9E3779B97F4A7C15UL));

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong bound = (ulong)maxExclusive;
        while (true)
        {
            UInt128 product = (UInt128)NextUInt64() * bound;
            ulong low = (ulong)product;
            if (low >= bound || low >= (0UL - bound) % bound)
            {
                return (int)(product >> 64);
            }
        }
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="max"/>], both ends included.</summary>
    public int NextInt(int min, int max) => min + NextInt(max - min + 1);

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
