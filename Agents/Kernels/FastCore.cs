namespace GridTime.Agents.Kernels;

/// <summary>
/// The seam between <see cref="FastRolloutPass"/> and a recurrent core: a core's arithmetic over one rollout,
/// without autograd. The pass runs the encoder and the heads for every core, carries the state from step to
/// step (zeroing it where an episode ended) and drives the core through this interface; the core keeps, per
/// frame, whatever its backward pass needs. A core that has one of these trains on the fast path
/// (<see cref="Cores.RecurrentCore.CreateFastCore"/>); its outputs and every parameter gradient must equal
/// those of its autograd form to float rounding (tests/Agents/RolloutPassTests).
/// <para>
/// Rows are r = step·B + b. Frames are the rollout's distinct observations, numbered in the order the pass first
/// encodes them (<see cref="DistinctFrames"/>); every row shows one. A core reads the encoder's features only per
/// frame: <see cref="ProjectFrames"/> gives it each frame's features once, as soon as they are encoded and before the
/// step that first shows them, and its input layer's part that reads the features (W·features) is formed there,
/// once per frame rather than once per row (<see cref="FrameProjection"/> says why). The pass owns each step's other
/// inputs — the frame each row shows [B], the instruction T [B] and the state entering the step [B, S] — and keeps
/// them unchanged until the rollout's backward pass; a core may read them again there. <see cref="Forward"/> is
/// called for steps 0, 1, ... in order (and once more, for the bootstrap values, with step = the number of recorded
/// steps: that block is never backpropagated, and its frames not seen before are numbered past every recorded
/// frame, from <see cref="Capacity"/>·B on); <see cref="Backward"/> for the recorded steps from the last to the first; then
/// <see cref="FinishBackward"/>.
/// </para>
/// </summary>
public abstract unsafe class FastCore : IDisposable
{
    /// <summary>A core for <paramref name="batch"/> environments and rollouts of up to <paramref name="steps"/> steps.</summary>
    protected FastCore(int batch, int steps)
    {
        Batch = batch;
        Capacity = steps;
    }

    /// <summary>B, the environments stepped together.</summary>
    public int Batch { get; }

    /// <summary>The most steps a rollout records (the buffers hold one block of B rows more, for the bootstrap).</summary>
    public int Capacity { get; }

    /// <summary>F, the width of the encoder features it reads.</summary>
    public abstract int FeatureSize { get; }

    /// <summary>S, the width of its state.</summary>
    public abstract int StateSize { get; }

    /// <summary>O, the width of the output the heads read.</summary>
    public abstract int OutputSize { get; }

    /// <summary>
    /// Called before the first step of every rollout: the weights stay fixed until the rollout's backward pass,
    /// so whatever is derived from them (a NAC's W) is formed here once.
    /// </summary>
    public virtual void BeginRollout()
    {
    }

    /// <summary>
    /// Frames <paramref name="first"/>..+<paramref name="count"/> − 1 have just been encoded: their features
    /// <paramref name="features"/> [count, F] (valid for this call only). The core forms what it needs of them per frame.
    /// </summary>
    public abstract void ProjectFrames(int first, int count, float* features);

    /// <summary>
    /// The forward pass of block <paramref name="step"/>: from <paramref name="frames"/> [B] (the frame each row shows,
    /// projected before), <paramref name="instructions"/> [B] (raw T) and <paramref name="state"/> [B, S], the output
    /// [B, O] and the next state [B, S] (rows contiguous, overwritten).
    /// </summary>
    public abstract void Forward(int step, int* frames, float* instructions, float* state, float* output, float* nextState);

    /// <summary>
    /// The backward pass of block <paramref name="step"/>, with the instructions and state of its <see cref="Forward"/> and the
    /// next state it made [B, S]: from ∂output [B, O] and ∂nextState [B, S] (what the later steps send back to the
    /// state this step made, already through the episode-end masks; where the output is (part of) the state, the
    /// two add), ∂state [B, S] (overwritten; ∂T is not needed). ∂features are not formed here: nothing needs them
    /// before the rollout's backward pass is done, so <see cref="FinishBackward"/> forms them for every frame at once.
    /// </summary>
    public abstract void Backward(int step, float* instructions, float* state, float* nextState, float* dOutput, float* dNextState, float* dState);

    /// <summary>
    /// After the backward passes of the first <paramref name="steps"/> steps: adds to each of the core's parameters
    /// its gradient over the rollout and writes ∂features per frame, summed over the rows that show it, into
    /// <paramref name="dFrames"/> [<paramref name="frameCount"/>, F] (overwritten), each one product over the rollout
    /// (a product of n·B rows runs faster than n products of B rows: the weights are read once). The other arguments
    /// are the whole rollout's inputs, as in <see cref="Forward"/>: frames [n·B] (each below frameCount), instructions
    /// [n·B], states [n·B, S], and the frames' features <paramref name="frameFeatures"/> [frameCount, F].
    /// </summary>
    public abstract void FinishBackward(int steps, int* frames, int frameCount, float* frameFeatures, float* instructions, float* states, float* dFrames);

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the core's buffers.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
