using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>Comparisons of tensors computed two ways (a kernel and libtorch), which agree to float rounding, not bit for bit.</summary>
internal static class TensorAssert
{
    /// <summary>Same shape, and every entry within 1e-4 of the larger of 1 and the largest |expected| entry.</summary>
    public static void Close(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        double error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= 1e-4 * scale, $"{what}: largest difference {error} (largest value {scale})");
    }
}
