using GridTime.Agents;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Tests.Agents;

/// <summary>
/// Guards the encoder against a libtorch fault: on this machine libtorch 2.10's conv2d backward gives a wrong
/// input gradient for some shapes (x [2, 1, 7, 6] with a 3x3 kernel disagrees with conv_transpose2d and with
/// unfold + matrix product by up to 0.4). The encoder's own shapes must agree with unfold + product, forward
/// and backward, at the batch sizes training and evaluation use.
/// </summary>
public sealed class LibtorchConvolutionTests
{
    [Theory]
    [InlineData(3, 16, 8, 4, 56, 1)] // conv1, one environment (evaluation of a single episode)
    [InlineData(3, 16, 8, 4, 56, 32)] // conv1, a worker's batch
    [InlineData(16, 32, 4, 2, 13, 1)] // conv2
    [InlineData(16, 32, 4, 2, 13, 4)]
    [InlineData(16, 32, 4, 2, 13, 32)]
    public void TheEncodersConvolutionsAgreeWithUnfoldAndProduct(int inputs, int outputs, int kernel, int stride, int side, int batch)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)(inputs + batch));
        // Its initial weights come from torch's process-wide generator: drawn under SeededConstruction's lock, so that a
        // network another test builds at the same time from its seed is not disturbed.
        Conv2d conv = SeededConstruction.Build((ulong)(inputs + batch), () => nn.Conv2d(inputs, outputs, kernel, stride: stride));
        Tensor x = randn([batch, inputs, side, side], generator: generator).requires_grad_(true);
        Tensor[] all = [x, .. conv.parameters()];
        long outSide = ((side - kernel) / stride) + 1;

        Tensor Reference()
        {
            Tensor columns = F.unfold(x, (kernel, kernel), stride: (stride, stride));
            return (conv.weight!.view(outputs, -1).matmul(columns) + conv.bias!.view(1, outputs, 1)).view(batch, outputs, outSide, outSide);
        }

        Tensor expectedY = Reference(), actualY = conv.call(x);
        Tensor[] expected = [.. autograd.grad([(expectedY * expectedY).sum()], all)];
        Tensor[] actual = [.. autograd.grad([(actualY * actualY).sum()], all)];
        TensorAssert.Close(expectedY, actualY, "y");
        string[] names = ["dx", "dW", "db"];
        for (int i = 0; i < 3; i++)
        {
            TensorAssert.Close(expected[i], actual[i], names[i]);
        }
    }
}
