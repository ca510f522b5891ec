using GridTime.Agents.Layers;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A <see cref="Nac"/> (y = u·W, <see cref="NacMath"/>) run over a rollout by a <see cref="FastCore"/>: W is formed
/// once per rollout (<see cref="Refresh"/>), the forward and backward passes are products with W and Wᵀ, and the
/// weight gradient ∂W = Σ uᵀ·∂y goes to ∂Ŵ and ∂M̂ through <see cref="NacMath.WeightBackward"/>.
/// </summary>
internal sealed unsafe class NacKernel : IDisposable
{
    private readonly Nac _nac;
    private readonly RolloutBuffer _tanhW, _sigmoidM, _w, _wT, _dW, _dM;

    /// <summary>A kernel for <paramref name="nac"/> [Inputs → Outputs].</summary>
    public NacKernel(Nac nac)
    {
        _nac = nac;
        Inputs = (int)nac.WHat.shape[0];
        Outputs = (int)nac.WHat.shape[1];
        long count = (long)Inputs * Outputs;
        (_tanhW, _sigmoidM, _w, _wT, _dW, _dM) = (new(count), new(count), new(count), new(count), new(count), new(count));
    }

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Output width.</summary>
    public int Outputs { get; }

    /// <summary>W [Inputs, Outputs], as of the last <see cref="Refresh"/>.</summary>
    public float* W => _w.Data;

    /// <summary>Forms W (and Wᵀ) from Ŵ and M̂: once per rollout, since the weights do not change within one.</summary>
    public void Refresh()
    {
        NacMath.Factors(Data(_nac.WHat), Data(_nac.MHat), (long)Inputs * Outputs, _tanhW.Data, _sigmoidM.Data);
        NacMath.Weight(_tanhW.Data, _sigmoidM.Data, Inputs, Outputs, _w.Data, _wT.Data);
    }

    /// <summary>y = u·W for <paramref name="rows"/> rows: u rows <paramref name="ldU"/> apart, y rows <paramref name="ldY"/> apart (overwritten).</summary>
    public void Forward(int rows, float* u, long ldU, float* y, long ldY) =>
        Sgemm.Multiply(rows, Outputs, Inputs, u, ldU, _w.Data, Outputs, y, ldY, accumulate: false);

    /// <summary>∂u = ∂y·Wᵀ for <paramref name="rows"/> rows (∂y rows <paramref name="ldDy"/> apart), into rows <paramref name="ldDu"/> apart (overwritten).</summary>
    public void Backward(int rows, float* dy, long ldDy, float* du, long ldDu) =>
        Sgemm.Multiply(rows, Inputs, Outputs, dy, ldDy, _wT.Data, Inputs, du, ldDu, accumulate: false);

    /// <summary>
    /// Adds ∂Ŵ and ∂M̂ to the parameters' gradients from ∂W = uᵀ·∂y over <paramref name="rows"/> rows, given uᵀ
    /// [Inputs, rows] (rows <paramref name="ldUT"/> apart) and ∂y [rows, Outputs] (rows <paramref name="ldDy"/> apart).
    /// </summary>
    public void AddWeightGradients(int rows, float* uT, long ldUT, float* dy, long ldDy)
    {
        Sgemm.Multiply(Inputs, Outputs, rows, uT, ldUT, dy, ldDy, _dW.Data, Outputs, accumulate: false);
        AddWeightGradients(_dW.Data);
    }

    /// <summary>Adds ∂Ŵ and ∂M̂ to the parameters' gradients from ∂W [Inputs, Outputs] (overwritten).</summary>
    public void AddWeightGradients(float* dW)
    {
        NacMath.WeightBackward(dW, _tanhW.Data, _sigmoidM.Data, (long)Inputs * Outputs, _dM.Data);
        AddGradient(_nac.WHat, dW);
        AddGradient(_nac.MHat, _dM.Data);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (RolloutBuffer buffer in new[] { _tanhW, _sigmoidM, _w, _wT, _dW, _dM })
        {
            buffer.Dispose();
        }
    }
}
