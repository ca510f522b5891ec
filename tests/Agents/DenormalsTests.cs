using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GridTime.Agents.Kernels;

namespace GridTime.Tests.Agents;

/// <summary>
/// <see cref="Denormals"/> flushes denormal floats to zero on the calling thread only: a product whose result is
/// denormal gives 0, a denormal input reads as 0, in scalar and vector arithmetic alike; another thread keeps them.
/// Each case runs on a thread of its own, so that the test runner's threads stay as they were.
/// </summary>
public sealed class DenormalsTests
{
    // Read through an array so that the JIT cannot fold the arithmetic at compile time; made on the test's own
    // thread (a static array would be made on whichever thread first read it, flushed or not).
    private readonly float[] Values = [2e-38f, 0.5f, BitConverter.Int32BitsToSingle(1), 1e30f];

    private const float SmallestNormal = 1.17549435e-38f;

    [Fact]
    public void LinuxOnX64AndArm64CanFlush()
    {
        bool expected = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64;
        Assert.Equal(expected, Denormals.CanFlush);
        Assert.Equal(expected ? "flushed to zero" : "kept", Denormals.Describe);
    }

    [Fact]
    public void AfterFlushingADenormalResultIsZeroAndADenormalInputReadsAsZero()
    {
        (bool flushed, bool before, bool after, float product, float fromDenormal, float vectorProduct) = OnNewThread(() =>
        {
            bool before = Denormals.FlushedOnThisThread;
            Denormals.Scope scope = Denormals.FlushOnThisThread();
            return (scope.Flushing, before, Denormals.FlushedOnThisThread, Values[0] * Values[1], Values[2] * Values[3],
                (Vector256.Create(Values[0]) * Vector256.Create(Values[1])).GetElement(3));
        });
        Assert.False(before);
        Assert.Equal(Denormals.CanFlush, flushed);
        Assert.Equal(Denormals.CanFlush, after);
        if (Denormals.CanFlush)
        {
            Assert.Equal(0f, product);
            Assert.Equal(0f, fromDenormal);
            Assert.Equal(0f, vectorProduct);
        }
        else
        {
            Assert.InRange(product, float.Epsilon, SmallestNormal);
        }
    }

    [Fact]
    public void TheScopeRestoresTheThreadsModeWhenItEnds()
    {
        (bool inside, bool after, float product) = OnNewThread(() =>
        {
            bool inside;
            using (Denormals.FlushOnThisThread())
            {
                inside = Denormals.FlushedOnThisThread;
            }

            return (inside, Denormals.FlushedOnThisThread, Values[0] * Values[1]);
        });
        Assert.Equal(Denormals.CanFlush, inside);
        Assert.False(after);
        Assert.InRange(product, float.Epsilon, SmallestNormal);
    }

    [Fact]
    public void AThreadThatDidNotFlushKeepsDenormals()
    {
        OnNewThread(() => Denormals.FlushOnThisThread().Flushing);
        (bool flushed, float product, float fromDenormal) = OnNewThread(() => (Denormals.FlushedOnThisThread, Values[0] * Values[1], Values[2] * Values[3]));
        Assert.False(flushed);
        Assert.InRange(product, float.Epsilon, SmallestNormal); // 2e-38 / 2, a denormal
        Assert.InRange(fromDenormal, 1.4e-15f, 1.41e-15f); // the smallest denormal (2⁻¹⁴⁹) x 1e30, a normal number
    }

    private static T OnNewThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }
}
