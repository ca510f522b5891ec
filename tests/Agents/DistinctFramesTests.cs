using GridTime.Agents.Kernels;

namespace GridTime.Tests.Agents;

/// <summary>The table of a rollout's distinct frames: found by their bytes, stored once, forgotten with the rollout.</summary>
public sealed unsafe class DistinctFramesTests
{
    private const int FrameBytes = 3 * 56 * 56;

    [Fact]
    public void AFrameIsStoredOnceAndFoundByItsBytes()
    {
        byte[] store = new byte[3 * FrameBytes];
        fixed (byte* slots = store)
        {
            var table = new DistinctFrames(slots, FrameBytes, 3);
            byte[] first = Picture(1), second = Picture(2);
            Assert.Equal(-1, table.Find(first, out ulong hash));
            Assert.Equal(0, table.Add(first, hash));
            Assert.Equal(first, store[..FrameBytes]);

            // The same bytes from another buffer are the same frame; one byte apart is another.
            Assert.Equal(0, table.Find((byte[])first.Clone(), out _));
            byte[] almost = (byte[])first.Clone();
            almost[^1] ^= 1;
            Assert.Equal(-1, table.Find(almost, out ulong almostHash));
            Assert.Equal(1, table.Add(almost, almostHash));
            Assert.Equal(-1, table.Find(second, out ulong secondHash));
            Assert.Equal(2, table.Add(second, secondHash));
            Assert.Equal(3, table.Count);
            Assert.Equal(1, table.Find(almost, out _));
            Assert.Equal(almost, store[FrameBytes..(2 * FrameBytes)]);
        }
    }

    [Fact]
    public void ClearForgetsEveryFrameAndAFullTableRefusesAnother()
    {
        byte[] store = new byte[2 * FrameBytes];
        fixed (byte* slots = store)
        {
            var table = new DistinctFrames(slots, FrameBytes, 2);
            Assert.Equal(0, Added(table, Picture(1)));
            Assert.Equal(1, Added(table, Picture(2)));
            Assert.Throws<InvalidOperationException>(() => Added(table, Picture(3)));
            table.Clear();
            Assert.Equal(0, table.Count);
            Assert.Equal(-1, table.Find(Picture(1), out _));
            Assert.Equal(0, Added(table, Picture(2)));
            Assert.Equal(0, table.Find(Picture(2), out _));
        }
    }

    [Fact]
    public void SumPerFrameAddsTheRowsThatShowEachFrame()
    {
        // Rows (1, 2), (3, 4), (5, 6), (7, 8) show frames 1, 0, 1, 2 of 4: frame 3 is shown by none.
        float[] rows = [1, 2, 3, 4, 5, 6, 7, 8];
        int[] frameOfRow = [1, 0, 1, 2];
        float[] sums = [9, 9, 9, 9, 9, 9, 9, 9];
        fixed (float* r = rows, s = sums)
        fixed (int* f = frameOfRow)
        {
            DistinctFrames.SumPerFrame(r, 4, 2, f, 4, s);
        }

        Assert.Equal([3f, 4f, 6f, 8f, 7f, 8f, 0f, 0f], sums);
    }

    private static int Added(DistinctFrames table, byte[] frame)
    {
        Assert.Equal(-1, table.Find(frame, out ulong hash));
        return table.Add(frame, hash);
    }

    private static byte[] Picture(int seed)
    {
        var bytes = new byte[FrameBytes];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
