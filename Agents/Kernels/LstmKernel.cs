using TorchSharp.Modules;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// One LSTM cell (libtorch's <c>LSTMCell</c>: gates [i | f | g | o] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c')) run over a rollout by a <see cref="FastCore"/>: the forward
/// pass of each step keeps its input x, gate activations and tanh(c') per row; the backward pass of each step
/// gives ∂x and the gradients of the state entering it; the weight gradients are one product over the rollout.
/// Rows are frames, r = step·B + b; the caller writes each step's x rows into <see cref="X"/> before
/// <see cref="Forward"/>.
/// </summary>
internal sealed unsafe class LstmKernel : IDisposable
{
    private readonly LSTMCell _cell;
    private readonly int _batch;
    private readonly RolloutBuffer _x, _gates, _tanhC, _dz, _transposed, _bias, _gradient;

    /// <summary>A kernel for <paramref name="cell"/>, <paramref name="batch"/> environments and up to <paramref name="steps"/> recorded steps (plus one block for the bootstrap).</summary>
    public LstmKernel(LSTMCell cell, int batch, int steps)
    {
        _cell = cell;
        _batch = batch;
        Hidden = (int)cell.weight_hh!.shape[1];
        Inputs = (int)cell.weight_ih!.shape[1];
        long rows = (long)(steps + 1) * batch;
        _x = new(rows * Inputs);
        _gates = new(rows * 4 * Hidden);
        _tanhC = new(rows * Hidden);
        _dz = new(rows * 4 * Hidden);
        _transposed = new(Math.Max(4L * Hidden * rows, (long)(Inputs + Hidden) * batch));
        _bias = new(4L * Hidden);
        _gradient = new(4L * Hidden * Math.Max(Inputs, Hidden));
    }

    /// <summary>Width of x.</summary>
    public int Inputs { get; }

    /// <summary>Width of h and c.</summary>
    public int Hidden { get; }

    /// <summary>The x rows [B, Inputs] of block <paramref name="step"/>, to be written before its <see cref="Forward"/>.</summary>
    public float* X(int step) => _x.Data + ((long)step * _batch * Inputs);

    /// <summary>
    /// The step's gates and state: from x (in <see cref="X"/>), h and c [B, H] (rows <paramref name="ldState"/> apart),
    /// h' and c' into rows <paramref name="ldNext"/> apart.
    /// </summary>
    public void Forward(int step, float* h, float* c, long ldState, float* nextH, float* nextC, long ldNext)
    {
        int batch = _batch, hidden = Hidden, inputs = Inputs;
        long first = (long)step * batch;
        float* xT = _transposed.Data, hT = xT + ((long)inputs * batch), gatesT = _dz.Data + (first * 4 * hidden); // ∂z of this block is free until the backward pass
        FastLinear.Transpose(X(step), batch, inputs, xT);
        FastLinear.Transpose(h, batch, hidden, ldState, hT);
        float* wIh = Data(_cell.weight_ih!), wHh = Data(_cell.weight_hh!), bIh = Data(_cell.bias_ih!), bHh = Data(_cell.bias_hh!);
        Sgemm.Multiply(4 * hidden, batch, inputs, wIh, inputs, xT, batch, gatesT, batch, accumulate: false);
        Sgemm.Multiply(4 * hidden, batch, hidden, wHh, hidden, hT, batch, gatesT, batch, accumulate: true);
        float* bias = _bias.Data;
        for (int j = 0; j < 4 * hidden; j++)
        {
            bias[j] = bIh[j] + bHh[j];
        }

        float* gates = _gates.Data + (first * 4 * hidden), tanhC = _tanhC.Data + (first * hidden);
        FastLinear.TransposeAddingBias(gatesT, 4 * hidden, batch, bias, gates);
        for (int b = 0; b < batch; b++)
        {
            long row = (long)b * hidden;
            FastLstmCell.Gates(gates + (4 * row), c + (b * ldState), nextC + (b * ldNext), nextH + (b * ldNext), tanhC + row, hidden);
        }
    }

    /// <summary>
    /// The step's backward pass: from ∂h' [B, H] (rows H apart) and ∂c' (rows <paramref name="ldState"/> apart) and the
    /// c that entered the step, the pre-activation gradients (kept for <see cref="AddWeightGradients"/>), ∂x [B, Inputs]
    /// (its first <paramref name="split"/> columns into <paramref name="dxHead"/>, rows <paramref name="split"/> apart,
    /// the rest into <paramref name="dxTail"/>, rows Inputs − split apart), ∂h = ∂z·W_hh and ∂c into rows
    /// <paramref name="ldState"/> apart.
    /// </summary>
    public void Backward(int step, float* dh, float* dcNext, float* c, long ldState, float* dxHead, int split, float* dxTail, float* dhPrev, float* dcPrev)
    {
        int batch = _batch, hidden = Hidden, inputs = Inputs;
        long first = (long)step * batch;
        float* gates = _gates.Data + (first * 4 * hidden), tanhC = _tanhC.Data + (first * hidden), dz = _dz.Data + (first * 4 * hidden);
        for (int b = 0; b < batch; b++)
        {
            long row = (long)b * hidden;
            FastLstmCell.GatesBackward(gates + (4 * row), tanhC + row, c + (b * ldState), dh + row, dcNext + (b * ldState), dz + (4 * row), dcPrev + (b * ldState), hidden);
        }

        float* wIh = Data(_cell.weight_ih!), wHh = Data(_cell.weight_hh!);
        Sgemm.Multiply(batch, split, 4 * hidden, dz, 4 * hidden, wIh, inputs, dxHead, split, accumulate: false);
        if (split < inputs)
        {
            Sgemm.Multiply(batch, inputs - split, 4 * hidden, dz, 4 * hidden, wIh + split, inputs, dxTail, inputs - split, accumulate: false);
        }

        Sgemm.Multiply(batch, hidden, 4 * hidden, dz, 4 * hidden, wHh, hidden, dhPrev, ldState, accumulate: false);
    }

    /// <summary>
    /// Adds to the cell's parameters their gradients over the first <paramref name="steps"/> steps: ∂W_ih = ∂zᵀ·x,
    /// ∂W_hh = ∂zᵀ·h (the h that entered each step, rows <paramref name="ldH"/> apart), both biases Σ ∂z.
    /// </summary>
    public void AddWeightGradients(int steps, float* h, long ldH)
    {
        int rows = steps * _batch, hidden = Hidden, inputs = Inputs;
        float* dzT = _transposed.Data, gradient = _gradient.Data;
        FastLinear.Transpose(_dz.Data, rows, 4 * hidden, dzT);
        Sgemm.Multiply(4 * hidden, inputs, rows, dzT, rows, _x.Data, inputs, gradient, inputs, accumulate: false);
        AddGradient(_cell.weight_ih!, gradient);
        Sgemm.Multiply(4 * hidden, hidden, rows, dzT, rows, h, ldH, gradient, hidden, accumulate: false);
        AddGradient(_cell.weight_hh!, gradient);
        ColumnSums(_dz.Data, rows, 4 * hidden, 4 * hidden, gradient);
        AddGradient(_cell.bias_ih!, gradient);
        AddGradient(_cell.bias_hh!, gradient);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (RolloutBuffer buffer in new[] { _x, _gates, _tanhC, _dz, _transposed, _bias, _gradient })
        {
            buffer.Dispose();
        }
    }
}
