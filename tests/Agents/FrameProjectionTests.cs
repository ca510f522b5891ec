using GridTime.Agents.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>
/// A core's input product with the encoder's features per distinct frame (<see cref="FrameProjection"/>) against the
/// same product per row through libtorch: the rows' parts forward, and backward the features' gradient summed per
/// frame and the weight gradient of the features' columns.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed unsafe class FrameProjectionTests
{
    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    [Theory]
    [MemberData(nameof(Widths))]
    public void PerFrameTheProjectionGivesThePerRowProductsAndGradients(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        var generator = new Generator(11);

        // W [37, 21]: 19 features' columns and 2 more; 4 frames shown on 7 rows (frame 2 three times, frame 3 once).
        const int Outputs = 37, Inputs = 21, Features = 19, Frames = 4;
        int[] frameOfRow = [2, 0, 2, 3, 1, 2, 0];
        int rows = frameOfRow.Length;
        Tensor weight = randn([Outputs, Inputs], generator: generator);
        Tensor features = randn([Frames, Features], generator: generator);
        Tensor dy = randn([rows, Outputs], generator: generator);
        Tensor index = tensor(frameOfRow.Select(f => (long)f).ToArray());
        Tensor perRow = features.index_select(0, index);
        Tensor wFeatures = weight.narrow(1, 0, Features);

        float[] bias = randn([Outputs], generator: generator).data<float>().ToArray(), withBias = [.. Enumerable.Repeat(float.NaN, rows * Outputs)];
        float[] sums = new float[rows * Outputs], dFrames = new float[Frames * Features], dWeight = new float[Outputs * Inputs], columnSums = new float[Outputs];
        using (var projection = new FrameProjection(() => weight, Features, Frames))
        {
            Assert.Equal((Outputs, Inputs, Features), (projection.Outputs, projection.Inputs, projection.Features));
            float[] f = features.data<float>().ToArray(), g = dy.data<float>().ToArray();
            fixed (float* fP = f, gP = g, sP = sums, dfP = dFrames, dwP = dWeight, bP = bias, wbP = withBias, csP = columnSums)
            fixed (int* frames = frameOfRow)
            {
                // Frames come in two calls, as two steps' new frames would, each read from the frames' own rows.
                projection.BeginRollout();
                projection.Project(0, 2, fP, Features);
                projection.Project(2, 2, fP + (2 * Features), Features);
                projection.AddTo(frames, rows, sP, Outputs);
                projection.WritePlus(frames, rows, bP, wbP, Outputs);
                projection.Backward(gP, rows, frames, Frames, fP, Features, dfP, dwP, Inputs, columnSums: csP);
            }
        }

        TensorAssert.Close(perRow.matmul(wFeatures.t()), tensor(sums).view(rows, Outputs), "the rows' parts");
        Assert.Equal([.. sums.Select((v, i) => v + bias[i % Outputs])], withBias); // written over the NaNs it started with, to the bit
        Tensor expectedDFrames = zeros(Frames, Features).index_add(0, index, dy.matmul(wFeatures), 1);
        TensorAssert.Close(expectedDFrames, tensor(dFrames).view(Frames, Features), "the features' gradient per frame");
        TensorAssert.Close(dy.t().matmul(perRow), tensor(dWeight).view(Outputs, Inputs).narrow(1, 0, Features), "the features' columns of the weight gradient");
        TensorAssert.Close(dy.sum(0L, keepdim: false), tensor(columnSums), "the sum of ∂y's rows (a bias's gradient)");
    }
}
