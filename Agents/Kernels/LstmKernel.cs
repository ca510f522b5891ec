using TorchSharp.Modules;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// One LSTM cell (libtorch's <c>LSTMCell</c>: gates [i | f | g | o] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,
/// c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c')) run over a rollout by a <see cref="FastCore"/>: the forward
/// pass of each step keeps x's columns after the features, the gate activations and tanh(c') per row; the backward
/// pass of each step gives the gradients of the state entering it and of x's last columns (those that come from the state); the
/// gradients of x's first <see cref="Split"/> columns (the encoder's features) and of the weights are one product each
/// over the rollout (<see cref="FinishBackward"/>). Rows are frames, r = step·B + b; the caller writes each step's x
/// rows after the features (the <see cref="Tail"/> columns from <see cref="Split"/> on) into <see cref="X"/> before
/// <see cref="Forward"/>.
/// The features' part of the input product, W_ih[:, :Split]·features, is formed once per distinct frame of the
/// rollout (<see cref="ProjectFrames"/>, <see cref="FrameProjection"/>), forward and backward.
/// </summary>
internal sealed unsafe class LstmKernel : IDisposable
{
    private readonly LSTMCell _cell;
    private readonly int _batch;
    private readonly RolloutBuffer _x, _gates, _tanhC, _transposed, _bias, _gradient, _packed, _stepWeights, _stepInput; // _gates: the activations, then ∂z in their place
    private readonly FrameProjection? _frames; // W_ih[:, :Split]·features per frame
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
        _x = new(rows * (Inputs - Split)); // only x's columns after the features: those are the only ones kept
        _gates = new(rows * 4 * Hidden);
        _tanhC = new(rows * Hidden);
        _transposed = new(4L * Hidden * rows);
        _bias = new(4L * Hidden);
        _gradient = new(4L * Hidden); // the biases' gradient (the weights' go straight into their grad: ParameterMemory.GradientTarget)
        _packed = new(PackedTailLength + Sgemm.PackedCapacity(4 * Hidden, Hidden));
        _stepWeights = new(Sgemm.PackedCapacity(Inputs - Split + Hidden, 4 * Hidden));
        _stepInput = new((long)batch * (Inputs - Split + Hidden));
        _frames = split > 0 ? new FrameProjection(() => cell.weight_ih!, split, rows) : null;
    }

    // Room for W_ih's tail packed at any width (a test may force another on its thread); W_hh's panels follow.
    private long PackedTailLength => Sgemm.PackedCapacity(4 * Hidden, Inputs - Split);

    /// <summary>
    /// Called before the first step of every rollout: the packed weights of the last one are stale. The weights stay
    /// fixed until <see cref="FinishBackward"/>, so what the steps read is formed here once: [W_ih[:, Split:] | W_hh]ᵀ
    /// packed in panels (each step's rest of x and h then take one product, K = Inputs − Split + H, rather than a short
    /// one for x's few last columns and another for h), b_ih + b_hh, and the features' weights (<see cref="FrameProjection"/>).
    /// </summary>
    public void BeginRollout()
    {
        _packedForBackward = false;
        _frames?.BeginRollout();
        int hidden = Hidden, inputs = Inputs, tail = Inputs - Split;
        float* bIh = Data(_cell.bias_ih!), bHh = Data(_cell.bias_hh!), bias = _bias.Data;
        Sgemm.PackTransposed(tail, 4 * hidden, Data(_cell.weight_ih!) + Split, inputs, _stepWeights.Data, 0, tail + hidden);
        Sgemm.PackTransposed(hidden, 4 * hidden, Data(_cell.weight_hh!), hidden, _stepWeights.Data, tail, tail + hidden);
        for (int j = 0; j < 4 * hidden; j++)
        {
            bias[j] = bIh[j] + bHh[j];
        }
    }

    /// <summary>
    /// The features' part of the input product for frames <paramref name="first"/>..+<paramref name="count"/> − 1 of
    /// the rollout: W_ih[:, :Split]·features for each, from <paramref name="features"/> [count, Split] (rows
    /// <paramref name="ld"/> apart), kept for the steps whose rows show them (<see cref="Forward"/>). Frame numbers are
    /// below (steps + 1)·B.
    /// </summary>
    public void ProjectFrames(int first, int count, float* features, long ld) => _frames?.Project(first, count, features, ld);

    /// <summary>x's first columns (the encoder's features), whose gradient <see cref="FinishBackward"/> forms.</summary>
    public int Split { get; }

    /// <summary>Width of x.</summary>
    public int Inputs { get; }

    /// <summary>Width of h and c.</summary>
    public int Hidden { get; }

    /// <summary>Inputs − <see cref="Split"/>: x's columns after the features, the width of <see cref="X"/>'s rows.</summary>
    public int Tail => Inputs - Split;

    /// <summary>
    /// x's columns after the features for block <paramref name="step"/>, [B, <see cref="Tail"/>] (column Split + j of x at j,
    /// rows Tail apart), to be written before its <see cref="Forward"/>; the features' part comes from <see cref="ProjectFrames"/>.
    /// </summary>
    public float* X(int step) => _x.Data + ((long)step * _batch * Tail);

    /// <summary>
    /// The step's gates and state: from x's columns after the features (in <see cref="X"/>), the features' part of each
    /// row's frame (<paramref name="frames"/> [B], projected by <see cref="ProjectFrames"/>), h and c [B, H] (rows
    /// <paramref name="ldState"/> apart), h' and c' into rows <paramref name="ldNext"/> apart.
    /// </summary>
    public void Forward(int step, int* frames, float* h, float* c, long ldState, float* nextH, float* nextC, long ldNext)
    {
        int batch = _batch, hidden = Hidden, tail = Tail, k = tail + hidden;
        long first = (long)step * batch;
        float* x = X(step), input = _stepInput.Data, bias = _bias.Data;
        float* gates = _gates.Data + (first * 4 * hidden), tanhC = _tanhC.Data + (first * hidden);

        // Each row's gates start from the biases and its frame's features' part; the product [rest of x | h]·[W_ih tail | W_hh]ᵀ
        // adds to them, a row per environment, so neither its operands nor its result are transposed.
        for (int b = 0; b < batch; b++)
        {
            float* row = input + ((long)b * k);
            Copy(x + ((long)b * tail), row, tail);
            Copy(h + (b * ldState), row + tail, hidden);
            if (_frames is null)
            {
                Copy(bias, gates + ((long)b * 4 * hidden), 4 * hidden);
            }
        }

        _frames?.WritePlus(frames, batch, bias, gates, 4 * hidden);
        Sgemm.MultiplyPacked(batch, 4 * hidden, k, input, k, _stepWeights.Data, gates, 4 * hidden, accumulate: true);
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
        // ∂z overwrites the activations it is computed from, row by row (GatesBackward reads each lane's before writing it):
        // a rollout's gates and ∂z are 2.6 MB each for H = 256, and one fewer such buffer per worker leaves more of the cache.
        float* gates = _gates.Data + (first * 4 * hidden), tanhC = _tanhC.Data + (first * hidden), dz = gates;
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
    /// Ends the rollout's backward pass, after <see cref="Backward"/> of the first <paramref name="steps"/> steps: ∂x's
    /// first <see cref="Split"/> columns summed over the rows of each frame into <paramref name="dFrames"/>
    /// [<paramref name="frameCount"/>, Split] (overwritten; row r shows frame <paramref name="frames"/>[r], below
    /// <paramref name="frameCount"/>), and the cell's parameters' gradients added to them: ∂W_ih = ∂zᵀ·x (its features'
    /// columns from the frames' features <paramref name="features"/> [frameCount, Split], rows <paramref name="ld"/>
    /// apart, and the frames' summed ∂z), ∂W_hh = ∂zᵀ·h (the h that entered each step, rows <paramref name="ldH"/>
    /// apart), both biases Σ ∂z.
    /// </summary>
    public void FinishBackward(int steps, float* h, long ldH, int* frames, int frameCount, float* features, long ld, float* dFrames)
    {
        int rows = steps * _batch, hidden = Hidden, inputs = Inputs, tail = Inputs - Split;
        float* dz = _gates.Data, dzT = _transposed.Data, gradient = _gradient.Data; // ∂z, written over the activations by Backward
        _packedForBackward = false;
        FastLinear.Transpose(dz, rows, 4 * hidden, dzT);
        float* dWhh = GradientTarget(_cell.weight_hh!, out bool addHh), dWih = GradientTarget(_cell.weight_ih!, out bool addIh);
        Sgemm.Multiply(4 * hidden, hidden, rows, dzT, rows, h, ldH, dWhh, hidden, addHh);
        if (tail > 0)
        {
            Sgemm.Multiply(4 * hidden, tail, rows, dzT, rows, _x.Data, tail, dWih + Split, inputs, addIh);
        }

        if (_frames is not null)
        {
            _frames.Backward(dz, rows, frames, frameCount, features, ld, dFrames, dWih, inputs, addIh, columnSums: gradient);
        }
        else
        {
            ColumnSums(dz, rows, 4 * hidden, 4 * hidden, gradient);
        }

        AddGradient(_cell.bias_ih!, gradient);
        AddGradient(_cell.bias_hh!, gradient);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (RolloutBuffer buffer in new[] { _x, _gates, _tanhC, _transposed, _bias, _gradient, _packed, _stepWeights, _stepInput })
        {
            buffer.Dispose();
        }

        _frames?.Dispose();
    }
}
