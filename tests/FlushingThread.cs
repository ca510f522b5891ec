using GridTime.Agents.Kernels;

namespace GridTime.Tests;

/// <summary>
/// Runs a test's work on a thread of its own at a vector width, flushing denormals to zero there or not: training's
/// workers flush (<see cref="Denormals"/>), and code the JIT first compiles on such a thread keeps what it saw there.
/// </summary>
internal static class FlushingThread
{
    /// <summary>
    /// Runs <paramref name="work"/> at <paramref name="width"/> on a new thread, flushing denormals there when
    /// <paramref name="flushed"/> (checking that it does, where this process can flush); rethrows what it threw.
    /// </summary>
    public static void Run(bool flushed, SimdWidth width, Action work)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using Denormals.Scope flushing = flushed ? Denormals.FlushOnThisThread() : default;
                Assert.Equal(flushed && Denormals.CanFlush, Denormals.FlushedOnThisThread);
                using var _ = Simd.ForceOnThisThread(width);
                work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
