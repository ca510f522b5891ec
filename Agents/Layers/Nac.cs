using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Layers;

/// <summary>
/// Neural Accumulator (Trask et al. 2018): y = x·W with W = tanh(Ŵ) ⊙ σ(M̂). No bias and no output
/// nonlinearity, so it can only add and subtract its inputs, and it does so for inputs of any size.
/// <para>
/// Initialisation: Ŵ and M̂ are Xavier-uniform (bound √(6 / (in + out))), so W = tanh(Ŵ)·σ(M̂) starts near 0
/// (|W| ≤ about half the bound) with σ(M̂) near ½, the point from which gradient descent moves each weight
/// towards −1 (Ŵ → −∞, M̂ → +∞), 0 (M̂ → −∞) or 1 (Ŵ, M̂ → +∞) at the same speed.
/// </para>
/// </summary>
public sealed class Nac : nn.Module<Tensor, Tensor>
{
    private readonly Parameter wHat;
    private readonly Parameter mHat;

    /// <summary>A NAC from <paramref name="inputs"/> to <paramref name="outputs"/> features.</summary>
    public Nac(long inputs, long outputs, string name = "nac") : base(name)
    {
        wHat = new Parameter(empty(inputs, outputs));
        mHat = new Parameter(empty(inputs, outputs));
        using (no_grad())
        {
            nn.init.xavier_uniform_(wHat);
            nn.init.xavier_uniform_(mHat);
        }

        RegisterComponents();
    }

    /// <summary>Ŵ, the unconstrained weight.</summary>
    public Parameter WHat => wHat;

    /// <summary>M̂, the unconstrained gate of each weight.</summary>
    public Parameter MHat => mHat;

    /// <summary>The effective weight matrix W = tanh(Ŵ) ⊙ σ(M̂) [in, out], each entry in (−1, 1).</summary>
    public Tensor Weight() => NacMath.Weight(wHat, mHat);

    /// <summary>y = x·W for x of shape [..., in].</summary>
    public override Tensor forward(Tensor input) => input.matmul(Weight());

    /// <summary>Writes <see cref="forward"/> into <paramref name="graph"/>: y = x·(tanh(Ŵ) ⊙ σ(M̂)) for the graph value <paramref name="input"/> [B, in].</summary>
    public string Export(Onnx.OnnxGraph graph, string input) => graph.MatMul(input, ExportWeight(graph));

    /// <summary>The effective weight W = tanh(Ŵ) ⊙ σ(M̂) [in, out] in <paramref name="graph"/>, from Ŵ and M̂ as initializers.</summary>
    public string ExportWeight(Onnx.OnnxGraph graph) =>
        graph.Mul(graph.Tanh(graph.Weight(wHat, GetName() + ".w_hat")), graph.Sigmoid(graph.Weight(mHat, GetName() + ".m_hat")));
}
