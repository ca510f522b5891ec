namespace GridTime.Training;

/// <summary>
/// Lets the crash tests stop the program at a chosen moment that is otherwise too short to hit: with the
/// environment variable <c>GRIDTIME_FAULT_PAUSE</c> set to a point's name, the program announces
/// "fault-injection: paused in NAME" on standard error and sleeps there, so a test can <c>kill -9</c> it
/// mid-write. Unset (always, outside tests) it does nothing.
/// </summary>
public static class FaultInjection
{
    /// <summary>Halfway through writing a checkpoint's temporary file.</summary>
    public const string CheckpointWrite = "checkpoint-write";

    /// <summary>The environment variable naming the point to pause at.</summary>
    public const string Variable = "GRIDTIME_FAULT_PAUSE";

    private static readonly string? Requested = System.Environment.GetEnvironmentVariable(Variable);

    /// <summary>Pauses for a minute when <see cref="Variable"/> names <paramref name="point"/>.</summary>
    public static void PauseIfAsked(string point)
    {
        if (Requested == point)
        {
            Console.Error.WriteLine($"fault-injection: paused in {point}");
            Console.Error.Flush();
            Thread.Sleep(TimeSpan.FromMinutes(1));
        }
    }

    /// <summary>
    /// The environment variable holding a frame count at which a training worker throws the error libtorch threw in
    /// the Scalar use-after-free (an <see cref="System.Runtime.InteropServices.ExternalException"/>), once per process:
    /// the test of the one-line report and of resuming after it.
    /// </summary>
    public const string NativeErrorVariable = "GRIDTIME_FAULT_NATIVE_ERROR_AT";

    private static readonly long NativeErrorAt = long.TryParse(System.Environment.GetEnvironmentVariable(NativeErrorVariable), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long at) ? at : long.MaxValue;

    private static int _nativeErrorThrown;

    /// <summary>Throws libtorch's toFloat error once when <see cref="NativeErrorVariable"/> is set and <paramref name="frames"/> reached it.</summary>
    public static void NativeErrorIfAsked(long frames)
    {
        if (frames >= NativeErrorAt && Interlocked.Exchange(ref _nativeErrorThrown, 1) == 0)
        {
            throw new System.Runtime.InteropServices.ExternalException(
                "Expected false to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)\nException raised from toFloat at /pytorch/c10/core/Scalar.h:140 (most recent call first):\nframe #0: c10::Error::Error (fault injection)",
                unchecked((int)0x80004005));
        }
    }

    /// <summary>
    /// The environment variable that, set to 1, replaces every time-left target T − t the trainer computes for the
    /// auxiliary loss with garbage: the test that a reward-only agent's training never reads them (it trains bit for bit
    /// the same), and that a supervised one's does.
    /// </summary>
    public const string GarbageTimeLeftVariable = "GRIDTIME_FAULT_GARBAGE_TIME_LEFT";

    private static readonly bool GarbageTimeLeft = System.Environment.GetEnvironmentVariable(GarbageTimeLeftVariable) == "1";

    /// <summary>Overwrites <paramref name="targets"/> with values that have nothing to do with time when <see cref="GarbageTimeLeftVariable"/> is 1.</summary>
    public static void GarbleTimeLeftIfAsked(Span<float> targets)
    {
        if (GarbageTimeLeft)
        {
            for (int i = 0; i < targets.Length; i++)
            {
                targets[i] = ((i * 7919) % 1000) - 500; // fixed, so a garbled run is as repeatable as any other
            }
        }
    }

    /// <summary>The environment variable naming a sweep cell to fail on purpose (the test of a failed cell and its resubmission).</summary>
    public const string FailCellVariable = "GRIDTIME_FAULT_FAIL_CELL";

    /// <summary>Throws a <see cref="TrainingFailedException"/> when <see cref="FailCellVariable"/> names <paramref name="cell"/>.</summary>
    public static void FailCellIfAsked(string cell)
    {
        if (System.Environment.GetEnvironmentVariable(FailCellVariable) == cell)
        {
            throw new TrainingFailedException($"fault-injection: cell {cell} made to fail ({FailCellVariable})", new InvalidOperationException(cell));
        }
    }
}
