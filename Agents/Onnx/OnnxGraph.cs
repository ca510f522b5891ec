using Google.Protobuf;
using Onnx;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Onnx;

/// <summary>
/// A small builder of an ONNX graph (opset <see cref="Opset"/>) from GridTime's modules: each method adds one
/// operator node or an initializer and returns the name of its output, so a module's export reads like its
/// forward pass. The messages are OnnxSharp's classes generated from onnx.proto; this class only assembles them.
/// Tensors are float32 unless said otherwise; B, the batch, stays a symbolic dimension.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The ONNX operator set the graph is written for (ONNX 1.12, supported by ONNX Runtime since 1.12).</summary>
    public const int Opset = 17;

    private readonly GraphProto graph = new();
    private int count;

    /// <summary>An empty graph called <paramref name="name"/>.</summary>
    public OnnxGraph(string name) => graph.Name = name;

    /// <summary>Declares a graph input <paramref name="name"/> of element type <paramref name="type"/>; a dimension is a number or a symbolic name such as "B".</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dimensions)
    {
        graph.Input.Add(Value(name, type, dimensions));
        return name;
    }

    /// <summary>Makes <paramref name="value"/> the graph output <paramref name="name"/> (through an Identity node, so the output has exactly that name).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dimensions)
    {
        graph.Node.Add(new NodeProto { OpType = "Identity", Name = name, Input = { value }, Output = { name } });
        graph.Output.Add(Value(name, type, dimensions));
    }

    /// <summary>A parameter <paramref name="tensor"/> (float32, any shape) as an initializer named <paramref name="name"/>; its values are copied now.</summary>
    public string Weight(Tensor tensor, string name)
    {
        using Tensor values = tensor.detach().to_type(ScalarType.Float32).contiguous();
        var proto = new TensorProto { Name = Unique(name), DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(values.shape);
        proto.FloatData.AddRange(values.data<float>().ToArray());
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A float32 constant of shape <paramref name="dimensions"/> (row-major <paramref name="values"/>).</summary>
    public string Constant(float[] values, params long[] dimensions)
    {
        var proto = new TensorProto { Name = Unique("constant"), DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(dimensions);
        proto.FloatData.AddRange(values);
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>A one-dimensional int64 constant (shapes, axes, slice bounds).</summary>
    public string Int64s(params long[] values)
    {
        var proto = new TensorProto { Name = Unique("ints"), DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Dims.Add(values.Length);
        proto.Int64Data.AddRange(values);
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    /// <summary>Adds a node of operator <paramref name="op"/> reading <paramref name="inputs"/>; returns its one output.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes)
    {
        string output = Unique(op);
        var node = new NodeProto { OpType = op, Name = output, Output = { output } };
        node.Input.AddRange(inputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return output;
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Attribute(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An attribute holding a list of integers.</summary>
    public static AttributeProto Attribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>a + b (broadcasting).</summary>
    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <summary>a − b (broadcasting).</summary>
    public string Sub(string a, string b) => Node("Sub", [a, b]);

    /// <summary>a ⊙ b (broadcasting).</summary>
    public string Mul(string a, string b) => Node("Mul", [a, b]);

    /// <summary>a·b, matrix product.</summary>
    public string MatMul(string a, string b) => Node("MatMul", [a, b]);

    /// <summary>σ(x).</summary>
    public string Sigmoid(string x) => Node("Sigmoid", [x]);

    /// <summary>tanh(x).</summary>
    public string Tanh(string x) => Node("Tanh", [x]);

    /// <summary>max(x, 0).</summary>
    public string Relu(string x) => Node("Relu", [x]);

    /// <summary>Joins [B, *] tensors side by side (axis 1).</summary>
    public string Concat(params string[] parts) => Node("Concat", parts, Attribute("axis", 1L));

    /// <summary>Columns start..start+width of a [B, N] tensor.</summary>
    public string Columns(string x, long start, long width) => Node("Slice", [x, Int64s(start), Int64s(start + width), Int64s(1)]);

    /// <summary>x·Wᵀ + b for a libtorch linear layer's weight W [out, in] and bias b [out] (ONNX Gemm with transB).</summary>
    public string Linear(string x, Tensor weight, Tensor? bias, string name)
    {
        string[] inputs = bias is null ? [x, Weight(weight, name + ".weight")] : [x, Weight(weight, name + ".weight"), Weight(bias, name + ".bias")];
        return Node("Gemm", inputs, Attribute("transB", 1L));
    }

    /// <summary>
    /// One step of a libtorch <see cref="LSTMCell"/> (its gate order [i | f | g | o] in W_ih, W_hh and the biases):
    /// gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g), h' = σ(o) ⊙ tanh(c').
    /// Written with elementwise operators rather than ONNX's LSTM operator, whose gate order is [i | o | f | c].
    /// </summary>
    public (string H, string C) LstmCell(LSTMCell cell, string x, string h, string c, string name)
    {
        long hidden = cell.weight_hh!.shape[1];
        string gates = Add(Linear(x, cell.weight_ih!, cell.bias_ih, name + ".ih"), Linear(h, cell.weight_hh!, cell.bias_hh, name + ".hh"));
        string input = Sigmoid(Columns(gates, 0, hidden));
        string forget = Sigmoid(Columns(gates, hidden, hidden));
        string candidate = Tanh(Columns(gates, 2 * hidden, hidden));
        string output = Sigmoid(Columns(gates, 3 * hidden, hidden));
        string nextC = Add(Mul(forget, c), Mul(input, candidate));
        return (Mul(output, Tanh(nextC)), nextC);
    }

    /// <summary>The model: this graph at opset <see cref="Opset"/>, with <paramref name="description"/> as its doc string and <paramref name="metadata"/> as its metadata.</summary>
    public ModelProto Model(string producerVersion, string description, IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = 8, // the IR version of ONNX 1.12, which introduced opset 17
            ProducerName = "GridTime",
            ProducerVersion = producerVersion,
            DocString = description,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach ((string key, string value) in metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    /// <summary>The serialised model (see <see cref="Model"/>).</summary>
    public byte[] ToBytes(string producerVersion, string description, IReadOnlyDictionary<string, string> metadata) =>
        Model(producerVersion, description, metadata).ToByteArray();

    private string Unique(string hint) => $"{hint}_{count++}";

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] dimensions)
    {
        var shape = new TensorShapeProto();
        foreach (object dimension in dimensions)
        {
            shape.Dim.Add(dimension is string symbol
                ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dimension, System.Globalization.CultureInfo.InvariantCulture) });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
