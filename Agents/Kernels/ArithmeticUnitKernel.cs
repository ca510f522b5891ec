using GridTime.Agents.Layers;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// An arithmetic unit (a <see cref="Nac"/> or a <see cref="Nalu"/>) inside a <see cref="FastCore"/>, run over a
/// rollout: it keeps each frame's input, and whatever its backward pass needs, by step; its weight gradients are
/// products over the rollout. Rows are frames, r = step·B + b.
/// </summary>
internal abstract unsafe class ArithmeticUnitKernel : IDisposable
{
    /// <summary>A unit of <paramref name="inputs"/> → <paramref name="outputs"/> for <paramref name="batch"/> environments and up to <paramref name="steps"/> steps.</summary>
    protected ArithmeticUnitKernel(int inputs, int outputs, int batch, int steps)
    {
        Inputs = inputs;
        Outputs = outputs;
        Batch = batch;
        long rows = (long)(steps + 1) * batch;
        U = new(rows * inputs);
        UT = new(rows * inputs);
        DY = new(rows * outputs);
    }

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Output width.</summary>
    public int Outputs { get; }

    /// <summary>B.</summary>
    protected int Batch { get; }

    /// <summary>Each frame's input u [rows, Inputs].</summary>
    protected RolloutBuffer U { get; }

    /// <summary>uᵀ [Inputs, rows], formed for the weight gradients.</summary>
    protected RolloutBuffer UT { get; }

    /// <summary>Each frame's ∂y [rows, Outputs].</summary>
    protected RolloutBuffer DY { get; }

    /// <summary>The kernel of <paramref name="unit"/> (a <see cref="Nac"/> or a <see cref="Nalu"/>); null for any other module.</summary>
    public static ArithmeticUnitKernel? For(TorchSharp.torch.nn.Module unit, int batch, int steps) => unit switch
    {
        Nac nac => new NacUnitKernel(nac, batch, steps),
        Nalu nalu => new NaluKernel(nalu, batch, steps),
        _ => null,
    };

    /// <summary>The rows u [B, Inputs] of block <paramref name="step"/>, to be written before its <see cref="Forward"/>.</summary>
    public float* Input(int step) => U.Data + ((long)step * Batch * Inputs);

    /// <summary>Forms what the weights give (W, ...): once per rollout.</summary>
    public abstract void Refresh();

    /// <summary>y [B, Outputs] (rows <paramref name="ldY"/> apart, overwritten) from the block's u (<see cref="Input"/>).</summary>
    public abstract void Forward(int step, float* y, long ldY);

    /// <summary>∂u [B, Inputs] (overwritten) from ∂y [B, Outputs] (rows <paramref name="ldDy"/> apart), keeping what the weight gradients need.</summary>
    public abstract void Backward(int step, float* dy, long ldDy, float* du);

    /// <summary>Adds the unit's parameters' gradients over the first <paramref name="steps"/> steps.</summary>
    public abstract void AddWeightGradients(int steps);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the buffers.</summary>
    protected virtual void Dispose(bool disposing)
    {
        U.Dispose();
        UT.Dispose();
        DY.Dispose();
    }
}

/// <summary>A <see cref="Nac"/> as an <see cref="ArithmeticUnitKernel"/>: y = u·W, ∂u = ∂y·Wᵀ, ∂W = Σ uᵀ·∂y.</summary>
internal sealed unsafe class NacUnitKernel(Nac nac, int batch, int steps) : ArithmeticUnitKernel((int)nac.WHat.shape[0], (int)nac.WHat.shape[1], batch, steps)
{
    private readonly NacKernel _nac = new(nac);

    public override void Refresh() => _nac.Refresh();

    public override void Forward(int step, float* y, long ldY) => _nac.Forward(Batch, Input(step), Inputs, y, ldY);

    public override void Backward(int step, float* dy, long ldDy, float* du)
    {
        _nac.Backward(Batch, dy, ldDy, du, Inputs);
        float* kept = DY.Data + ((long)step * Batch * Outputs);
        for (int b = 0; b < Batch; b++)
        {
            Copy(dy + (b * ldDy), kept + ((long)b * Outputs), Outputs);
        }
    }

    public override void AddWeightGradients(int steps)
    {
        int rows = steps * Batch;
        FastLinear.Transpose(U.Data, rows, Inputs, UT.Data);
        _nac.AddWeightGradients(rows, UT.Data, rows, DY.Data, Outputs);
    }

    protected override void Dispose(bool disposing)
    {
        _nac.Dispose();
        base.Dispose(disposing);
    }
}
