using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GridTime.Agents;

/// <summary>
/// The observation encoder (the A3C/DQN-style convnet the paper's agent uses):
/// <code>
/// [B, 3, 56, 56] -- conv 16 @ 8x8 stride 4, ReLU --> [B, 16, 13, 13]
///                -- conv 32 @ 4x4 stride 2, ReLU --> [B, 32, 5, 5]
///                -- flatten, linear 800 -> H, ReLU --> [B, H]   (H = 256 by default)
/// </code>
/// </summary>
public sealed class ConvEncoder : nn.Module<Tensor, Tensor>
{
    /// <summary>Side of the square input picture, in pixels.</summary>
    public const int InputSide = 56;

    /// <summary>Colour channels of the input picture (RGB).</summary>
    public const int InputChannels = 3;

    /// <summary>Values in one input frame: 3 x 56 x 56, channel-major.</summary>
    public const int InputLength = InputChannels * InputSide * InputSide;

    /// <summary>Side of the first convolution's output: (56 − 8) / 4 + 1.</summary>
    public const int Conv1Side = 13;

    /// <summary>Side of the second convolution's output: (13 − 4) / 2 + 1.</summary>
    public const int Conv2Side = 5;

    /// <summary>
    /// The first convolution's multiply-adds over one picture, every input counted: 13 x 13 output pixels x 16 channels x
    /// 3 x 8 x 8 inputs each (519,168).
    /// </summary>
    public const long Conv1MultiplyAdds = (long)Conv1Side * Conv1Side * 16 * InputChannels * 8 * 8;

    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc;

    /// <summary>An encoder with <paramref name="features"/> outputs.</summary>
    public ConvEncoder(int features, string name = "encoder") : base(name)
    {
        conv1 = nn.Conv2d(3, 16, 8, stride: 4);
        conv2 = nn.Conv2d(16, 32, 4, stride: 2);
        fc = nn.Linear(32 * Conv2Side * Conv2Side, features);
        Features = features;
        RegisterComponents();
    }

    /// <summary>The layers, for kernels that run the encoder without autograd (<see cref="FastRolloutPass"/>).</summary>
    internal (Conv2d Conv1, Conv2d Conv2, Linear Fc) Layers => (conv1, conv2, fc);

    /// <summary>Width of the output feature vector.</summary>
    public int Features { get; }

    /// <summary>
    /// Writes <see cref="forward"/> into <paramref name="graph"/> for the graph value <paramref name="observations"/>
    /// (uint8 [B, 3, 56, 56]): cast to float and divided by 255, then the layers above; gives the features [B, H].
    /// </summary>
    public string Export(Onnx.OnnxGraph graph, string observations)
    {
        string x = graph.Node("Div", [graph.Node("Cast", [observations], Onnx.OnnxGraph.Attribute("to", (long)global::Onnx.TensorProto.Types.DataType.Float)), graph.Constant([255f], 1)]);
        x = graph.Relu(graph.Node("Conv", [x, graph.Weight(conv1.weight!, "encoder.conv1.weight"), graph.Weight(conv1.bias!, "encoder.conv1.bias")], Onnx.OnnxGraph.Attribute("strides", 4L, 4L)));
        x = graph.Relu(graph.Node("Conv", [x, graph.Weight(conv2.weight!, "encoder.conv2.weight"), graph.Weight(conv2.bias!, "encoder.conv2.bias")], Onnx.OnnxGraph.Attribute("strides", 2L, 2L)));
        return graph.Relu(graph.Linear(graph.Node("Flatten", [x], Onnx.OnnxGraph.Attribute("axis", 1L)), fc.weight!, fc.bias, "encoder.fc"));
    }

    /// <summary>
    /// Encodes a batch of observations [B, 3, 56, 56] to features [B, H]: float32 in [0, 1], or uint8 in
    /// 0..255, which is scaled to [0, 1] here (the same values, delivered at a quarter of the size).
    /// </summary>
    public override Tensor forward(Tensor observations)
    {
        using var scope = NewDisposeScope();
        Tensor x = FastConvolutions.Apply(observations, conv1, conv2);
        return FastLinear.Apply(x, fc.weight!, fc.bias, relu: true).MoveToOuterDisposeScope();
    }
}
