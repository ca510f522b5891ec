using TorchSharp.Modules;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// One LSTM cell (libtorch's <c>LSTMCell</c>: gates [i | f | g | o] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c')) run over a rollout by a <see cref="FastCore"/>: the forward
/// pass of each step keeps its input x, gate activations and tanh(c') per row; the backward pass of each step
/// gives the gradients of the state entering it and of x's last columns (those that come from the state); the
/// gradients of x's first <see cref="Split"/> columns (the encoder's features) and of the weights are one product each
/// over the rollout (<see cref="FinishBackward"/>). Rows are frames, r = step·B + b; the caller writes each step's x
/// rows into <see cref="X"/> before <see cref="Forward"/>.
/// </summary>
internal sealed unsafe class LstmKernel : IDisposable
{
    private readonly LSTMCell _cell;
    private readonly int _batch;
    private readonly RolloutBuffer _x, _gates, _tanhC, _dz, _transposed, _bias, _gradient, _packed;
    private bool _packedForBackward; // _packed holds this rollout's W_hh and W_ih tail (the weights stay fixed until FinishBackward)

    /// <summary>
    /// A kernel for <paramref name="cell"/>, <paramref name="batch"/> environments and up to <paramref name="steps"/>
    /// recorded steps (plus one block for the bootstrap); x's first <paramref name="split"/> columns get their gradient
    /// in <see cref="FinishBackward"/>.
    /// </summary>
    public LstmKernel(LSTMCell cell, int batch, int steps, int split)
    {
        _cell = cell;
        _batch = batch;
        Hidden = (int)cell.weight_hh!.shape[1];
        Inputs = (int)cell.weight_ih!.shape[1];
        ArgumentOutOfRangeException.ThrowIfNegative(split);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(split, Inputs);
        Split = split;
        long rows = (long)(steps + 1) * batch;
        _x = new(rows * Inputs);
        _gates = new(rows * 4 * Hidden);
        _tanhC = new(rows * Hidden);
        _dz = new(rows * 4 * Hidden);
        _transposed = new(Math.Max(4L * Hidden * rows, (long)(Inputs + Hidden) * batch));
        _bias = new(4L * Hidden);
        _gradient = new(4L * Hidden * Math.Max(Inputs, Hidden));
        _packed = new(PackedTailLength + Sgemm.PackedCapacity(4 * Hidden, Hidden));
    }

    // Room for W_ih's tail packed at any width (a test may force another on its thread); W_hh's panels follow.
    private long PackedTailLength => Sgemm.PackedCapacity(4 * Hidden, Inputs - Split);

    /// <summary>Called before the first step of every rollout: the packed weights of the last one are stale.</summary>
    public void BeginRollout() => _packedForBackward = false;

    /// <summary>x's first columns (the encoder's features), whose gradient <see cref="FinishBackward"/> forms.</summary>
    public int Split { get; }

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
    /// c that entered the step, the pre-activation gradients ∂z (kept for <see cref="FinishBackward"/>), x's last
    /// Inputs − <see cref="Split"/> columns' gradient into <paramref name="dxTail"/> (rows Inputs − Split apart), ∂h = ∂z·W_hh
    /// and ∂c into rows <paramref name="ldState"/> apart.
    /// </summary>
    public void Backward(int step, float* dh, float* dcNext, float* c, long ldState, float* dxTail, float* dhPrev, float* dcPrev)
    {
        int batch = _batch, hidden = Hidden, inputs = Inputs, tail = Inputs - Split;
        long first = (long)step * batch;
        float* gates = _gates.Data + (first * 4 * hidden), tanhC = _tanhC.Data + (first * hidden), dz = _dz.Data + (first * 4 * hidden);
        for (int b = 0; b < batch; b++)
        {
            long row = (long)b * hidden;
            FastLstmCell.GatesBackward(gates + (4 * row), tanhC + row, c + (b * ldState), dh + row, dcNext + (b * ldState), dz + (4 * row), dcPrev + (b * ldState), hidden);
        }

        // The step's products read W_hh and W_ih's tail from panels packed once per rollout (Sgemm.Pack says why).
        float* packedTail = _packed.Data, packedHh = packedTail + PackedTailLength;
        if (!_packedForBackward)
        {
            Sgemm.Pack(4 * hidden, tail, Data(_cell.weight_ih!) + Split, inputs, packedTail);
            Sgemm.Pack(4 * hidden, hidden, Data(_cell.weight_hh!), hidden, packedHh);
            _packedForBackward = true;
        }

        if (tail > 0)
        {
            Sgemm.MultiplyPacked(batch, tail, 4 * hidden, dz, 4 * hidden, packedTail, dxTail, tail, accumulate: false);
        }

        Sgemm.MultiplyPacked(batch, hidden, 4 * hidden, dz, 4 * hidden, packedHh, dhPrev, ldState, accumulate: false);
    }

    /// <summary>
    /// Ends the rollout's backward pass, after <see cref="Backward"/> of the first <paramref name="steps"/> steps:
    /// ∂x's first <see cref="Split"/> columns for every frame into <paramref name="dxHead"/> (rows Split apart), and the
    /// cell's parameters' gradients added to them: ∂W_ih = ∂zᵀ·x, ∂W_hh = ∂zᵀ·h (the h that entered each step, rows
    /// <paramref name="ldH"/> apart), both biases Σ ∂z.
    /// </summary>
    public void FinishBackward(int steps, float* h, long ldH, float* dxHead)
    {
        int rows = steps * _batch, hidden = Hidden, inputs = Inputs;
        float* dzT = _transposed.Data, gradient = _gradient.Data;
        _packedForBackward = false;
        Sgemm.Multiply(rows, Split, 4 * hidden, _dz.Data, 4 * hidden, Data(_cell.weight_ih!), inputs, dxHead, Split, accumulate: false);
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
        foreach (RolloutBuffer buffer in new[] { _x, _gates, _tanhC, _dz, _transposed, _bias, _gradient, _packed })
        {
            buffer.Dispose();
        }
    }
}
