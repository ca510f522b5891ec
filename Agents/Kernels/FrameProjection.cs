using TorchSharp;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The part of a core's input layer y = x·Wᵀ (W [outputs, inputs], x = [features | rest]) that reads the encoder's
/// features alone, W[:, :F]·features, formed once per distinct frame of a rollout rather than once per row, forward
/// and backward. A <see cref="FastCore"/> adds each row's frame's part (<see cref="AddTo"/>) to what the rest of x
/// gives; in its backward pass <see cref="Backward"/> sums the rows' ∂y per frame and forms from those sums the
/// features' gradient per frame and W[:, :F]'s gradient.
/// <para>
/// Why: the features are a function of the frame alone (the pass encodes each distinct frame once,
/// <see cref="DistinctFrames"/>), and both products of the backward pass are linear in ∂y:
/// Σ_r ∂y_r·W = (Σ_r ∂y_r)·W and Σ_r ∂y_rᵀ·features = (Σ_r ∂y_r)ᵀ·features over the rows r that show one frame.
/// A rollout shows each distinct frame on about 2.6 rows (the encoder runs on 39% of them), and in the LSTM and GRU
/// cores this product is half of the core's FLOPs. The result differs from the per-row products only in the order
/// of the sums.
/// </para>
/// </summary>
internal sealed unsafe class FrameProjection : IDisposable
{
    private readonly Func<torch.Tensor> _weight;
    private readonly RolloutBuffer _packed, _projected, _frameGradients, _transposed;

    /// <summary>
    /// The projection through the first <paramref name="features"/> columns of the parameter <paramref name="weight"/>
    /// gives, W [outputs, inputs], for frames numbered below <paramref name="frames"/>. The parameter is asked for at
    /// each use, never kept: a module's parameter getter (LSTMCell.weight_ih) makes a new wrapper on every call, which
    /// the dispose scope open at that moment frees when it closes.
    /// </summary>
    public FrameProjection(Func<torch.Tensor> weight, int features, long frames)
    {
        _weight = weight;
        torch.Tensor w = weight();
        Outputs = (int)w.shape[0];
        Inputs = (int)w.shape[1];
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(features, Inputs);
        Features = features;
        _packed = new(Sgemm.PackedCapacity(features, Outputs));
        _projected = new(frames * Outputs);
        _frameGradients = new(frames * Outputs);
        _transposed = new(frames * Outputs);
    }

    /// <summary>F, the features' columns of W.</summary>
    public int Features { get; }

    /// <summary>W's rows: the width of y.</summary>
    public int Outputs { get; }

    /// <summary>W's columns: the width of x.</summary>
    public int Inputs { get; }

    /// <summary>
    /// Before a rollout's first frame: W[:, :F]ᵀ packed in panels (a step's few new frames read all of it, as
    /// Sgemm.PackTransposed says); the weights stay fixed until the rollout's backward pass.
    /// </summary>
    public void BeginRollout() => Sgemm.PackTransposed(Features, Outputs, Data(_weight()), Inputs, _packed.Data);

    /// <summary>
    /// Frames <paramref name="first"/>..+<paramref name="count"/> − 1: features·W[:, :F]ᵀ [count, outputs] from
    /// <paramref name="features"/> [count, F] (rows <paramref name="ld"/> apart), kept for <see cref="AddTo"/>.
    /// </summary>
    public void Project(int first, int count, float* features, long ld)
    {
        if (count > 0)
        {
            Sgemm.MultiplyPacked(count, Outputs, Features, features, ld, _packed.Data, _projected.Data + ((long)first * Outputs), Outputs, accumulate: false);
        }
    }

    /// <summary>Adds to each of <paramref name="rows"/> rows of <paramref name="target"/> (<paramref name="ld"/> apart) its frame's part (<paramref name="frames"/> [rows]).</summary>
    public void AddTo(int* frames, int rows, float* target, long ld)
    {
        for (int r = 0; r < rows; r++)
        {
            Add(_projected.Data + ((long)frames[r] * Outputs), target + (r * ld), Outputs);
        }
    }

    /// <summary>
    /// Writes into each of <paramref name="rows"/> rows of <paramref name="target"/> (<paramref name="ld"/> apart) its
    /// frame's part (<paramref name="frames"/> [rows]) plus <paramref name="bias"/> [outputs]: <see cref="AddTo"/> on rows
    /// holding the bias, in one pass.
    /// </summary>
    public void WritePlus(int* frames, int rows, float* bias, float* target, long ld)
    {
        for (int r = 0; r < rows; r++)
        {
            Sum(_projected.Data + ((long)frames[r] * Outputs), bias, target + (r * ld), Outputs);
        }
    }

    /// <summary>
    /// From ∂y [<paramref name="rows"/>, outputs] (adjacent rows; row r shows frame <paramref name="frames"/>[r], below
    /// <paramref name="frameCount"/>) and the frames' features <paramref name="features"/> [frameCount, F] (rows
    /// <paramref name="ld"/> apart): the features' gradient per frame, Σ_r ∂y_r·W[:, :F], into
    /// <paramref name="dFrames"/> [frameCount, F] (overwritten), and W[:, :F]'s gradient, (Σ_r ∂y_r)ᵀ·features, into the
    /// first F columns of <paramref name="dWeight"/> [outputs, ·] (rows <paramref name="ldWeight"/> apart, overwritten, or
    /// added to when <paramref name="accumulate"/>). Where <paramref name="columnSums"/> is given, the sum of ∂y's rows
    /// goes there ([outputs], overwritten: the gradient of a bias added to y), from the same pass over ∂y.
    /// </summary>
    public void Backward(float* dy, int rows, int* frames, int frameCount, float* features, long ld, float* dFrames, float* dWeight, long ldWeight, bool accumulate = false, float* columnSums = null)
    {
        float* sums = _frameGradients.Data, transposed = _transposed.Data;
        DistinctFrames.SumPerFrame(dy, rows, Outputs, frames, frameCount, sums, columnSums);
        Sgemm.Multiply(frameCount, Features, Outputs, sums, Outputs, Data(_weight()), Inputs, dFrames, Features, accumulate: false);
        FastLinear.Transpose(sums, frameCount, Outputs, transposed);
        Sgemm.Multiply(Outputs, Features, frameCount, transposed, frameCount, features, ld, dWeight, ldWeight, accumulate);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (RolloutBuffer buffer in new[] { _packed, _projected, _frameGradients, _transposed })
        {
            buffer.Dispose();
        }
    }
}
