using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// The recurrent part of an agent: one step maps (encoder features, instruction T, state) to
/// (output for the heads, next state). The state is one tensor [B, StateSize] whose layout each core
/// documents, so the trainer can carry, mask and detach it without knowing what is inside.
/// </summary>
public abstract class RecurrentCore(string name) : nn.Module(name)
{
    /// <summary>Width of the state tensor.</summary>
    public abstract int StateSize { get; }

    /// <summary>Width of the output the policy and value heads read.</summary>
    public abstract int OutputSize { get; }

    /// <summary>
    /// Multiply-adds of one step for one frame reading <paramref name="features"/> encoder features, counted from
    /// the layer shapes (matrix products only; elementwise work is left out).
    /// </summary>
    public abstract long MultiplyAddsPerStep(int features);

    /// <summary>
    /// Of <see cref="MultiplyAddsPerStep"/>, those of the input layer's product with the features alone (W[:, :F]·features):
    /// a function of the image alone, which the fast rollout pass forms once per distinct image of a rollout
    /// (<see cref="Kernels.FastCore.ProjectFrames"/>).
    /// </summary>
    public abstract long FeatureMultiplyAddsPerStep(int features);

    /// <summary>One step for a batch: features [B, F], instruction [B, 1] (raw T), state [B, StateSize].</summary>
    public abstract (Tensor Output, Tensor State) Step(Tensor features, Tensor instruction, Tensor state);

    /// <summary>
    /// Writes <see cref="Step"/> into <paramref name="graph"/>: from the graph values <paramref name="features"/> [B, F],
    /// <paramref name="instruction"/> [B, 1] and <paramref name="state"/> [B, StateSize], the names of the output for the
    /// heads [B, OutputSize] and of the next state [B, StateSize], computed as <see cref="Step"/> computes them
    /// (tests/Agents/OnnxExportTests runs both over whole episodes).
    /// </summary>
    public abstract (string Output, string State) ExportStep(Onnx.OnnxGraph graph, string features, string instruction, string state);

    /// <summary>
    /// This core's arithmetic for the fast rollout pass (<see cref="Kernels.FastRolloutPass"/>), reading
    /// <paramref name="features"/> encoder features, for <paramref name="batch"/> environments and rollouts of up to
    /// <paramref name="steps"/> steps; null when the core has none (it then trains through autograd). It must give
    /// the outputs and gradients of <see cref="Step"/> to float rounding (tests/Agents/RolloutPassTests).
    /// </summary>
    public virtual Kernels.FastCore? CreateFastCore(int features, int batch, int steps) => null;

    /// <summary>
    /// The column of the output that holds the core's own estimate of the time left T − t at this step (before its
    /// action), for an auxiliary loss that pulls it towards the true value during training; null when the core has none.
    /// </summary>
    public virtual int? TimeLeftOutput => null;

    /// <summary>
    /// How many of the output's first columns the policy and value heads train; the heads read the rest without
    /// sending gradient back, so that only auxiliary losses train them (the timer's time-left column with
    /// <see cref="TimeLeftGradient.TimeLeftLoss"/>). All of them by default.
    /// </summary>
    public virtual int OutputsTrainedByHeads => OutputSize;

    /// <summary>
    /// The core's addition units (NAUs), whose weights the trainer regularises towards −1, 0 and 1 and clamps into
    /// [−1, 1] after every update; empty when it has none.
    /// </summary>
    public virtual IReadOnlyList<Layers.Nau> AdditionUnits => [];

    /// <summary>The core's NACs (also inside a NALU) with names for their inputs and outputs; empty when it has none.</summary>
    public virtual IReadOnlyList<LabelledUnit> ArithmeticUnits => [];

    /// <summary>Whether <see cref="CreateFastCore"/> gives a fast core for <paramref name="features"/> encoder features.</summary>
    public virtual bool HasFastCore(int features) => false;
}
