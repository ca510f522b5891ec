using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Layers;

/// <summary>
/// Neural Arithmetic Logic Unit (Trask et al. 2018): two NAC paths with tied weights W,
/// a = x·W (add, subtract) and m = exp(log(|x| + ε)·W) (multiply, divide, powers), mixed by a learned gate
/// g = σ(x·G): y = g ⊙ a + (1 − g) ⊙ m. G is Xavier-uniform, so the gate starts near ½.
/// </summary>
public sealed class Nalu : nn.Module<Tensor, Tensor>
{
    private readonly Nac nac;
    private readonly Parameter gate;

    /// <summary>A NALU from <paramref name="inputs"/> to <paramref name="outputs"/> features.</summary>
    /// <param name="inputs">Input width.</param>
    /// <param name="outputs">Output width.</param>
    /// <param name="epsilon">ε in log(|x| + ε), which keeps the log finite at x = 0.</param>
    /// <param name="name">Module name.</param>
    public Nalu(long inputs, long outputs, double epsilon = 1e-7, string name = "nalu") : base(name)
    {
        Epsilon = epsilon;
        nac = new Nac(inputs, outputs);
        gate = new Parameter(empty(inputs, outputs));
        using (no_grad())
        {
            nn.init.xavier_uniform_(gate);
        }

        RegisterComponents();
    }

    /// <summary>ε in log(|x| + ε).</summary>
    public double Epsilon { get; }

    /// <summary>The shared accumulator (Ŵ, M̂) of both paths.</summary>
    public Nac Accumulator => nac;

    /// <summary>G, the gate weights.</summary>
    public Parameter Gate => gate;

    /// <summary>y = g ⊙ a + (1 − g) ⊙ m for x of shape [..., in].</summary>
    public override Tensor forward(Tensor input)
    {
        using Tensor weight = nac.Weight();
        return NaluMath.Forward(input, weight, gate, Epsilon);
    }

    /// <summary>
    /// Writes <see cref="forward"/> into <paramref name="graph"/> for the graph value <paramref name="input"/> [B, in], as
    /// <see cref="NaluMath.Forward"/>: a = x·W, m = exp(log(|x| + ε)·W), g = σ(x·G), y = g ⊙ a + (1 − g) ⊙ m.
    /// </summary>
    public string Export(Onnx.OnnxGraph graph, string input)
    {
        string weight = nac.ExportWeight(graph);
        string add = graph.MatMul(input, weight);
        string logs = graph.Node("Log", [graph.Add(graph.Node("Abs", [input]), graph.Constant([(float)Epsilon], 1))]);
        string multiply = graph.Node("Exp", [graph.MatMul(logs, weight)]);
        string g = graph.Sigmoid(graph.MatMul(input, graph.Weight(gate, GetName() + ".gate")));
        return graph.Add(graph.Mul(g, add), graph.Mul(graph.Sub(graph.Constant([1f], 1), g), multiply));
    }
}
