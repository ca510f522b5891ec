namespace GridTime.Tests.Training;

/// <summary>
/// Why a test that interrupts a child gridtime with SIGINT cannot run here, or null: a process started with SIGINT
/// ignored (for example the test suite run as a background job of a non-interactive shell) passes that on to its
/// children, and the runtime then never sees the signal, so such a test would wait for an exit that cannot come.
/// </summary>
public static class Interruptible
{
    /// <summary>The reason, or null when SIGINT reaches this process's children (bit 2 of SigIgn in /proc/self/status is clear).</summary>
    public static string? SkipReason { get; } = Reason();

    private static string? Reason()
    {
        const string Path = "/proc/self/status";
        if (!File.Exists(Path))
        {
            return null;
        }

        string? mask = File.ReadLines(Path).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))?["SigIgn:".Length..].Trim();
        return mask is not null && (Convert.ToUInt64(mask, 16) & 0x2) != 0
            ? "SIGINT is ignored in this process (started as a background job?), so children it starts cannot be interrupted with it; run the suite in the foreground"
            : null;
    }
}

/// <summary>A [Fact] that interrupts a child process with SIGINT, reported as skipped where <see cref="Interruptible.SkipReason"/> says it cannot.</summary>
public sealed class FactNeedingSigintAttribute : FactAttribute
{
    public FactNeedingSigintAttribute() => Skip = Interruptible.SkipReason;
}

/// <summary>A [Theory] that interrupts a child process with SIGINT, reported as skipped where <see cref="Interruptible.SkipReason"/> says it cannot.</summary>
public sealed class TheoryNeedingSigintAttribute : TheoryAttribute
{
    public TheoryNeedingSigintAttribute() => Skip = Interruptible.SkipReason;
}
