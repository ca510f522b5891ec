using static TorchSharp.torch;

namespace GridTime.Agents;

/// <summary>
/// torch's default initialisers draw from one process-wide generator. Building a network through
/// <see cref="Build{T}"/> seeds that generator and holds a lock while building, so networks built on
/// several threads at once are still each determined by their own seed.
/// </summary>
public static class SeededConstruction
{
    private static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="build"/> with torch's generator seeded by <paramref name="seed"/>.</summary>
    public static T Build<T>(ulong seed, Func<T> build)
    {
        lock (Gate)
        {
            random.manual_seed((long)(seed & long.MaxValue));
            return build();
        }
    }
}
