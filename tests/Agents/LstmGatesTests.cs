using GridTime.Agents.Kernels;

namespace GridTime.Tests.Agents;

/// <summary>
/// The LSTM's gates (<c>FastLstmCell.Gates</c>) compute one fixed formula per lane at every width, so that a change to
/// how they are computed (a pass split, a fused multiply-add) cannot change a bit unnoticed: the libtorch comparisons
/// elsewhere allow float rounding and would not see it.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class LstmGatesTests
{
    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    /// <summary>
    /// Lane by lane, with the vector sigmoid and tanh taken one lane at a time: i = σ(z_i), f = σ(z_f), g = tanh(z_g),
    /// o = σ(z_o), c' = f·c + i·g (each product rounded, then the sum), h' = o·tanh(c'); the activations replace z.
    /// H = 32 lanes (whole vectors at every width), three rows, pre-activations up to ±12.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public unsafe void TheGatesAreOneFormulaPerLaneToTheBit(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        const int hidden = 32, rows = 3;
        var random = new Random(29);
        float[] z = [.. Enumerable.Range(0, rows * 4 * hidden).Select(_ => (float)((random.NextDouble() - 0.5) * 24))];
        float[] c = [.. Enumerable.Range(0, rows * hidden).Select(_ => (float)((random.NextDouble() - 0.5) * 6))];
        float[] activations = (float[])z.Clone(), nextC = new float[rows * hidden], nextH = new float[rows * hidden], tanhC = new float[rows * hidden];
        fixed (float* pa = activations, pc = c, pn = nextC, ph = nextH, pt = tanhC)
        {
            for (int r = 0; r < rows; r++)
            {
                FastLstmCell.Gates(pa + (r * 4 * hidden), pc + (r * hidden), pn + (r * hidden), ph + (r * hidden), pt + (r * hidden), hidden);
            }
        }

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < hidden; j++)
            {
                int gate = (r * 4 * hidden) + j, cell = (r * hidden) + j;
                float i = Sigmoid(z[gate]), f = Sigmoid(z[gate + hidden]), g = Tanh(z[gate + (2 * hidden)]), o = Sigmoid(z[gate + (3 * hidden)]);
                float forget = f * c[cell], input = i * g;
                float cNew = forget + input, t = Tanh(cNew);
                Assert.Equal([i, f, g, o], new[] { activations[gate], activations[gate + hidden], activations[gate + (2 * hidden)], activations[gate + (3 * hidden)] });
                Assert.Equal([cNew, t, o * t], new[] { nextC[cell], tanhC[cell], nextH[cell] });
            }
        }
    }

    private static unsafe float Sigmoid(float x) => Lane(FastLstmCell.Sigmoid(Vec128.Create(x)));

    private static unsafe float Tanh(float x) => Lane(FastLstmCell.Tanh(Vec128.Create(x)));

    private static unsafe float Lane(Vec128 v)
    {
        float* lanes = stackalloc float[4];
        v.Store(lanes);
        return lanes[0];
    }
}
