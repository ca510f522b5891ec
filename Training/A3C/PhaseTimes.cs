using System.Diagnostics;
using GridTime.Agents;

namespace GridTime.Training.A3C;

/// <summary>
/// Where a worker's time goes, phase by phase, summed over its updates, and how many of their frames the encoder
/// ran on (filled only when a profiler asks: <c>gridtime bench</c>). libtorch runs CPU operations synchronously,
/// so wall time per phase is the cost of that phase, overheads included.
/// </summary>
public sealed class PhaseTimes
{
    /// <summary>The phases of one update, in order.</summary>
    public enum Phase
    {
        /// <summary>Copying the shared weights into the local network (including waiting for the lock).</summary>
        Sync,

        /// <summary>The forward passes of the rollout and the bootstrap, sampling actions.</summary>
        Act,

        /// <summary>Stepping the environments, turning rewards and dones into tensors, episode statistics and logs.</summary>
        Environment,

        /// <summary>Returns, advantages and the loss.</summary>
        Loss,

        /// <summary>Backpropagation and gradient clipping.</summary>
        Backward,

        /// <summary>Applying the update to the shared network (including waiting for the lock).</summary>
        Apply,
    }

    private readonly long[] _ticks = new long[Enum.GetValues<Phase>().Length];
    private long _recordedBefore, _encodedBefore, _skippedBefore;

    /// <summary>Updates timed.</summary>
    public long Updates { get; private set; }

    /// <summary>Frames the timed updates learned from.</summary>
    public long FramesRecorded { get; private set; }

    /// <summary>Of <see cref="FramesRecorded"/>, those the encoder ran on (<see cref="RolloutPass.FramesEncoded"/>).</summary>
    public long FramesEncoded { get; private set; }

    /// <summary>Over <see cref="FramesEncoded"/>, the first convolution's multiply-adds skipped on inputs of 0 (<see cref="RolloutPass.Conv1MultiplyAddsSkipped"/>).</summary>
    public long Conv1MultiplyAddsSkipped { get; private set; }

    /// <summary>Adds the time since <paramref name="start"/> (a <see cref="Stopwatch.GetTimestamp"/>) to <paramref name="phase"/> and returns now.</summary>
    public long Add(Phase phase, long start)
    {
        long now = Stopwatch.GetTimestamp();
        AddTicks(phase, now - start);
        return now;
    }

    /// <summary>Adds <paramref name="ticks"/> (<see cref="Stopwatch"/> ticks) to <paramref name="phase"/>.</summary>
    public void AddTicks(Phase phase, long ticks) => _ticks[(int)phase] += ticks;

    /// <summary>Counts a finished update and the frames <paramref name="rollout"/> recorded and encoded (and conv1's multiply-adds it skipped) since the last.</summary>
    public void EndUpdate(RolloutPass rollout)
    {
        Updates++;
        FramesRecorded += rollout.FramesRecorded - _recordedBefore;
        FramesEncoded += rollout.FramesEncoded - _encodedBefore;
        Conv1MultiplyAddsSkipped += rollout.Conv1MultiplyAddsSkipped - _skippedBefore;
        (_recordedBefore, _encodedBefore, _skippedBefore) = (rollout.FramesRecorded, rollout.FramesEncoded, rollout.Conv1MultiplyAddsSkipped);
    }

    /// <summary>Milliseconds per update spent in each phase.</summary>
    public IReadOnlyDictionary<Phase, double> MillisecondsPerUpdate() =>
        Enum.GetValues<Phase>().ToDictionary(p => p, p => Updates == 0 ? 0 : _ticks[(int)p] * 1000.0 / Stopwatch.Frequency / Updates);

    /// <summary>Forgets everything measured so far (after a warm-up).</summary>
    public void Clear()
    {
        Array.Clear(_ticks);
        Updates = 0;
        FramesRecorded = 0;
        FramesEncoded = 0;
        Conv1MultiplyAddsSkipped = 0;
    }
}
