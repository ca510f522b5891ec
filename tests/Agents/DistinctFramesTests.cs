using GridTime.Agents.Kernels;

namespace GridTime.Tests.Agents;

/// <summary>The table of a rollout's distinct frames: found by their bytes, stored once, forgotten with the rollout.</summary>
[Collection(KernelSwitchCollection.Name)]
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

    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    /// <summary>
    /// At every width, over rows of 37 floats (vectors and a tail): each frame's sum and the sum of all rows, with
    /// <c>columnSums</c>, are those of adding the rows one after another in order, to the bit; a frame no row shows gets
    /// zeros over what was there.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void SumPerFrameGivesEachFramesSumAndTheColumnSumsInOnePass(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        const int Width = 37, Frames = 5;
        int[] frameOfRow = [2, 0, 2, 3, 1, 2, 0];
        var random = new Random(3);
        float[] rows = [.. Enumerable.Range(0, frameOfRow.Length * Width).Select(i => i % Width == 3 ? -0f : (float)(random.NextDouble() - 0.5) * 1e3f)];
        float[] sums = [.. Enumerable.Repeat(float.NaN, Frames * Width)], columns = [.. Enumerable.Repeat(float.NaN, Width)];
        fixed (float* r = rows, s = sums, c = columns)
        fixed (int* f = frameOfRow)
        {
            DistinctFrames.SumPerFrame(r, frameOfRow.Length, Width, f, Frames, s, c);
        }

        var expectedSums = new float[Frames * Width];
        var expectedColumns = new float[Width];
        for (int row = 0; row < frameOfRow.Length; row++)
        {
            for (int l = 0; l < Width; l++)
            {
                expectedSums[(frameOfRow[row] * Width) + l] += rows[(row * Width) + l];
                expectedColumns[l] += rows[(row * Width) + l];
            }
        }

        Assert.Equal(expectedSums.Select(BitConverter.SingleToInt32Bits), sums.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expectedColumns.Select(BitConverter.SingleToInt32Bits), columns.Select(BitConverter.SingleToInt32Bits));
        Assert.All(sums.Skip(4 * Width), v => Assert.Equal(0f, v));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(columns[3])); // −0 in every row sums to +0, as it does from zero
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void SumPerFrameOfNoRowsGivesZeros(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        float[] sums = [.. Enumerable.Repeat(float.NaN, 3 * 19)], columns = [.. Enumerable.Repeat(float.NaN, 19)];
        fixed (float* s = sums, c = columns)
        {
            DistinctFrames.SumPerFrame(null, 0, 19, null, 3, s, c);
        }

        Assert.All(sums, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
        Assert.All(columns, v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
    }

    [Fact]
    public void SumPerFrameRefusesANegativeNumberOfFrames()
    {
        float[] sums = new float[2];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* s = sums)
            {
                DistinctFrames.SumPerFrame(null, 0, 2, null, -1, s);
            }
        });
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    public void SumPerFrameRefusesAFrameOutsideTheSums(int frame)
    {
        float[] rows = [1, 2, 3, 4], sums = new float[8];
        int[] frameOfRow = [0, frame];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            fixed (float* r = rows, s = sums)
            fixed (int* f = frameOfRow)
            {
                DistinctFrames.SumPerFrame(r, 2, 2, f, 4, s);
            }
        });
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
