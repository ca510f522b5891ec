using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Layers;

/// <summary>
/// Neural Addition Unit (Madsen &amp; Johansen, "Neural Arithmetic Units", ICLR 2020): y = x·W with W itself the
/// parameter, kept in [−1, 1] by clamping after every optimizer step (<see cref="ClampWeights"/>), and a sparsity
/// regulariser R = mean(min(|W|, 1 − |W|)) (<see cref="NauMath.Sparsity"/>) that pulls every weight to −1, 0 or 1,
/// where the unit adds exactly. Unlike the NAC's tanh(Ŵ)·σ(M̂), which reaches ±1 only in the limit, a clamped
/// weight sits at exactly ±1, so a sum over a thousand steps carries no drift.
/// <para>
/// Initialisation: uniform in [−r, r], r = min(0.5, √(6 / (in + out))) (Xavier's bound, capped at ½ so every weight
/// starts nearer 0 than ±1).
/// </para>
/// </summary>
public sealed class Nau : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    /// <summary>A NAU from <paramref name="inputs"/> to <paramref name="outputs"/> features.</summary>
    public Nau(long inputs, long outputs, string name = "nau") : base(name)
    {
        weight = new Parameter(empty(inputs, outputs));
        using (no_grad())
        {
            double bound = Math.Min(0.5, Math.Sqrt(6.0 / (inputs + outputs)));
            nn.init.uniform_(weight, -bound, bound);
        }

        RegisterComponents();
    }

    /// <summary>W [in, out], each entry in [−1, 1] after <see cref="ClampWeights"/>.</summary>
    public Parameter Weight => weight;

    /// <summary>y = x·W for x of shape [..., in].</summary>
    public override Tensor forward(Tensor input) => input.matmul(weight);

    /// <summary>Clamps W into [−1, 1] in place (after each optimizer step).</summary>
    public void ClampWeights()
    {
        using var noGrad = no_grad();
        weight.ClampInPlace(-1, 1);
    }

    /// <summary>The sparsity regulariser R of W (<see cref="NauMath.Sparsity"/>).</summary>
    public double Sparsity()
    {
        using var noGrad = no_grad();
        return NauMath.Sparsity(weight.data<float>().ToArray());
    }

    /// <summary>Adds <paramref name="scale"/>·∂R/∂W to W's gradient (creating it if absent); returns R.</summary>
    public double AddSparsityGradient(double scale) => NauMath.AddSparsityGradient(weight, scale);

    /// <summary>
    /// Adds <paramref name="scale"/>·∂R/∂W of each unit's regulariser to its W's gradient, after the rollout pass has added
    /// the loss's (on either pass, the same parameters); returns the mean R over the units, or null when there are none.
    /// </summary>
    public static double? AddSparsityGradients(IReadOnlyList<Nau> units, double scale)
    {
        if (units.Count == 0)
        {
            return null;
        }

        double sum = 0;
        foreach (Nau unit in units)
        {
            sum += unit.AddSparsityGradient(scale);
        }

        return sum / units.Count;
    }
}

/// <summary>The NAU's sparsity regulariser and its gradient (Madsen &amp; Johansen 2020, section 2.4).</summary>
public static class NauMath
{
    /// <summary>R = mean over the n weights of min(|w|, 1 − |w|): 0 exactly when every weight is −1, 0 or 1; at most ½.</summary>
    public static double Sparsity(ReadOnlySpan<float> w)
    {
        double sum = 0;
        foreach (float x in w)
        {
            float a = Math.Abs(x);
            sum += Math.Min(a, 1 - a);
        }

        return w.Length == 0 ? 0 : sum / w.Length;
    }

    /// <summary>
    /// <paramref name="gradient"/>[i] = <paramref name="scale"/>·∂R/∂w_i = scale·s_i/n with s_i = sign(w_i) where |w_i| &lt; ½
    /// (towards 0 is downhill) and −sign(w_i) where |w_i| ≥ ½ (towards ±1; also at |w_i| = 1, where the clamp then holds
    /// the weight, so that nothing small pulls it off ±1), 0 at w_i = 0.
    /// </summary>
    public static void SparsityGradient(ReadOnlySpan<float> w, double scale, Span<float> gradient)
    {
        for (int i = 0; i < w.Length; i++)
        {
            float a = Math.Abs(w[i]);
            double slope = a == 0 ? 0 : a < 0.5f ? Math.Sign(w[i]) : -Math.Sign(w[i]);
            gradient[i] = (float)(scale * slope / w.Length);
        }
    }

    /// <summary>
    /// Adds <paramref name="scale"/>·∂R/∂W of <paramref name="weight"/>'s regulariser to its gradient (creating it if absent);
    /// returns R. For the NAU's W in [−1, 1] and the NMU's in [0, 1] alike (on [0, 1], |w| = w).
    /// </summary>
    public static double AddSparsityGradient(Parameter weight, double scale)
    {
        using var noGrad = no_grad();
        float[] w = weight.data<float>().ToArray();
        float[] gradient = new float[w.Length];
        SparsityGradient(w, scale, gradient);
        using Tensor add = tensor(gradient).view(weight.shape);
        if (weight.grad is Tensor existing)
        {
            existing.AddInPlace(add);
            existing.Dispose();
        }
        else
        {
            weight.grad = add.clone();
        }

        return Sparsity(w);
    }
}
