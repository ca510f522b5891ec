using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Layers;

/// <summary>
/// Neural Multiplication Unit (Madsen &amp; Johansen, "Neural Arithmetic Units", ICLR 2020, eq. 6):
/// z_j = Π_i (W_ij·x_i + 1 − W_ij), with W itself the parameter, kept in [0, 1] by clamping after every optimizer step
/// (<see cref="ClampWeights"/>). A weight of 1 lets its input into the product, 0 replaces it by 1; between, the product
/// blends the two, so the gradient never passes through a logarithm (the NALU's multiplicative path, log(|x| + ε),
/// which cannot take negative inputs and whose gradient near 0 is huge). The sparsity regulariser
/// mean(min(W, 1 − W)) pulls every weight to 0 or 1 (<see cref="NauMath.AddSparsityGradient"/>, the NAU's on [0, 1]).
/// <para>Initialisation: uniform in [0.25, 0.75], so E[W] = ½ and every weight starts away from both 0 and 1 (M&amp;J, section 2.3).</para>
/// </summary>
public sealed class Nmu : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    /// <summary>An NMU from <paramref name="inputs"/> to <paramref name="outputs"/> features.</summary>
    public Nmu(long inputs, long outputs, string name = "nmu") : base(name)
    {
        weight = new Parameter(empty(inputs, outputs));
        using (no_grad())
        {
            nn.init.uniform_(weight, 0.25, 0.75);
        }

        RegisterComponents();
    }

    /// <summary>W [in, out], each entry in [0, 1] after <see cref="ClampWeights"/>.</summary>
    public Parameter Weight => weight;

    /// <summary>z = Π_i (W_i·x_i + 1 − W_i) for x of shape [N, in]: [N, out].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor gated = (input.unsqueeze(-1) * weight).Plus(weight.SubtractedFrom(1)); // [N, in, out]
        return gated.prod(-2).MoveToOuterDisposeScope();
    }

    /// <summary>Clamps W into [0, 1] in place (after each optimizer step).</summary>
    public void ClampWeights()
    {
        using var noGrad = no_grad();
        weight.ClampInPlace(0, 1);
    }

    /// <summary>Adds <paramref name="scale"/>·∂R/∂W of the sparsity regulariser to W's gradient; returns R.</summary>
    public double AddSparsityGradient(double scale) => NauMath.AddSparsityGradient(weight, scale);
}
