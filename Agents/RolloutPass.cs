using GridTime.Agents.Kernels;
using static TorchSharp.torch;

namespace GridTime.Agents;

/// <summary>
/// A network run over one rollout for learning: forward one step at a time as the agent acts (each step's
/// outputs are needed to choose the actions that make the next step's observations), then one backward pass
/// over the whole rollout from the gradients of the loss with respect to the logits and values. The recurrent
/// state is held here: it carries from one rollout to the next (gradients stop at the rollout boundary) and
/// is zeroed for environments whose episode ended.
/// <para>
/// <see cref="For"/> picks <see cref="FastRolloutPass"/> (GridTime's kernels, no autograd) where it takes
/// the network, else <see cref="AutogradRolloutPass"/> (any network, through TorchSharp's autograd). Both give
/// the same outputs and gradients to float rounding (tests/Agents/RolloutPassTests).
/// </para>
/// </summary>
public abstract class RolloutPass : IDisposable
{
    /// <summary>The network this pass runs (its parameters receive the gradients).</summary>
    public abstract ActorCritic Network { get; }

    /// <summary>
    /// The pass for <paramref name="network"/>, <paramref name="batch"/> environments and rollouts of up to
    /// <paramref name="steps"/> steps. With <paramref name="fullWork"/> the fast pass leaves out its two savings and
    /// does the whole network's work on every frame, as a trainer without them does: it encodes every frame, even one
    /// the rollout showed before, and its first convolution multiplies every input, 0 or not. The outputs and gradients
    /// are the same but for the order of sums. What a benchmark measures the kernels alone with (<c>gridtime bench
    /// --full-work</c>); training has no use for it. A network the fast pass does not take goes through autograd
    /// whatever <paramref name="fullWork"/> says (every frame encoded; the first convolution over nonzero inputs where
    /// the kernels are on).
    /// </summary>
    public static RolloutPass For(ActorCritic network, int batch, int steps, bool fullWork = false) =>
        FastRolloutPass.Takes(network) ? new FastRolloutPass(network, batch, steps, fullWork) : new AutogradRolloutPass(network, batch, steps);

    /// <summary>B, the environments of every step.</summary>
    public abstract int Batch { get; }

    /// <summary>The most steps a rollout may record before <see cref="Backward"/> (the steps given to <see cref="For"/>).</summary>
    public abstract int MaximumSteps { get; }

    /// <summary>Steps recorded in the current rollout.</summary>
    public abstract int Steps { get; }

    /// <summary>Frames recorded by <c>Step</c> since this pass was made (B per step).</summary>
    public long FramesRecorded { get; protected set; }

    /// <summary>
    /// Of <see cref="FramesRecorded"/>, those the encoder ran on: all of them through autograd and on a fast pass
    /// without its savings (<see cref="For"/>); else on the fast pass each rollout's distinct frames once
    /// (<see cref="FastRolloutPass"/>). What the FLOPs of the layers that read the
    /// picture alone (the encoder and the core's product with its features) are counted on.
    /// </summary>
    public long FramesEncoded { get; protected set; }

    /// <summary>
    /// Of the multiply-adds of the first convolution over <see cref="FramesEncoded"/>, those skipped because their input
    /// was 0: GridTime's convolution kernels run it over a picture's nonzero inputs (black is 0; <c>Kernels.SparseConv1</c>),
    /// libtorch's over all (0 here, with the kernels off). What the first convolution's FLOPs are counted without.
    /// </summary>
    public long Conv1MultiplyAddsSkipped { get; protected set; }

    /// <summary>O, the width of the core's output (what the heads read): the width of the spans of core outputs below.</summary>
    public int OutputSize => Network.Core.OutputSize;

    /// <summary>
    /// One step of the rollout, recorded for <see cref="Backward"/>: from observations [B, 3, 56, 56] (bytes 0..255,
    /// channel-major, as the environment delivers them: <c>VectorGridWorld.CopyObservations</c>) and instructions [B]
    /// (T as the agents observe it, a plain number: 0 where the rules no longer show it), the logits [B·A] and values
    /// [B] into the spans given, and, when <paramref name="outputs"/> is not empty, the core's output [B·O] (for an
    /// auxiliary head of the researcher's own, whose loss's gradient goes back through <see cref="Backward"/>'s
    /// outputGradients). The network's weights must not change until <see cref="Backward"/> has run. Nothing is
    /// recorded when an argument is refused.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of the length above.</exception>
    /// <exception cref="InvalidOperationException">The rollout already holds <see cref="MaximumSteps"/> steps.</exception>
    public void Step(ReadOnlySpan<byte> observations, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs = default) =>
        Step(observations, default, instructions, logits, values, outputs);

    /// <summary>
    /// <see cref="Step(ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/> with each
    /// observation's frame key [B]: a number ≥ 0 that names its picture, two observations with the same key being the
    /// same picture (the keys of one environment, <c>VectorGridWorld.CopyFrameKeys</c>, are such numbers; those of
    /// grids of different sizes are not: a key is a pair of cells). The fast pass then finds a rollout's repeated
    /// pictures by key, without hashing and comparing their bytes; the keys are taken on trust. Empty: as without keys.
    /// Give keys to every step and <see cref="Values(ReadOnlySpan{byte}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float})"/>
    /// of a rollout or to none: a picture seen both with and without a key is encoded twice (correct, but slower).
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of the length above, or a key is negative.</exception>
    /// <exception cref="InvalidOperationException">The rollout already holds <see cref="MaximumSteps"/> steps.</exception>
    public void Step(ReadOnlySpan<byte> observations, ReadOnlySpan<int> frameKeys, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs = default)
    {
        CheckLength(observations.Length, Batch * ConvEncoder.InputLength, "observations", "B frames of 3x56x56 bytes");
        Step(new StepFrames(observations, frameKeys), instructions, logits, values, outputs);
    }

    /// <summary>
    /// <see cref="Step(ReadOnlySpan{byte}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>
    /// with the observations given by their frame keys [B] alone, each key's picture read from <paramref name="frames"/>
    /// only where the pass needs it: the fast pass reads the pictures of keys new to the rollout (a few of a step's B),
    /// the autograd pass all B. Why: an environment that draws from a cache of pictures (<c>VectorGridWorld.PlaneBytesOf</c>)
    /// need not copy B pictures a step (32 x 9,408 bytes) that are mostly not read. The keys are taken on trust, as above,
    /// and so a picture's length is checked only where it is read. A step refused, or whose lookup throws, records nothing.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of the length above, a key is negative, or a picture read is not 3x56x56 bytes.</exception>
    /// <exception cref="InvalidOperationException">The rollout already holds <see cref="MaximumSteps"/> steps.</exception>
    public void Step(ReadOnlySpan<int> frameKeys, FrameBytes frames, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        CheckLength(frameKeys.Length, Batch, "frameKeys", "B");
        Step(new StepFrames(frameKeys, frames), instructions, logits, values, outputs);
    }

    private void Step(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs)
    {
        if (Steps == MaximumSteps)
        {
            throw new InvalidOperationException($"the rollout already holds {MaximumSteps} steps; run Backward first");
        }

        CheckInputs(frames.Keys, instructions);
        CheckLength(logits.Length, Batch * ActorCritic.Actions, "logits", "B·A");
        CheckLength(values.Length, Batch, "values", "B");
        if (!outputs.IsEmpty)
        {
            CheckLength(outputs.Length, Batch * OutputSize, "outputs", "B·O");
        }

        RecordStep(frames, instructions, logits, values, outputs);
    }

    /// <summary>
    /// After a step: environment b continues from a zero state where <paramref name="keep"/>[b] is 0 (its episode
    /// ended), from its state where it is 1. <paramref name="keep"/> holds B values, each 0 or 1.
    /// </summary>
    /// <exception cref="ArgumentException">Not B values, or a value other than 0 and 1.</exception>
    public void EndEpisodes(ReadOnlySpan<float> keep)
    {
        CheckLength(keep.Length, Batch, "keep", "B");
        foreach (float k in keep)
        {
            if (k is not (0f or 1f))
            {
                throw new ArgumentException($"keep holds {k}: each environment's value is 0 (its episode ended) or 1", nameof(keep));
            }
        }

        ZeroEndedStates(keep);
    }

    /// <summary>The values [B] of the current state for these observations (as for <see cref="Step(ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/>), not recorded (the rollout's bootstrap).</summary>
    /// <exception cref="ArgumentException">A span is not of the length above.</exception>
    public void Values(ReadOnlySpan<byte> observations, ReadOnlySpan<float> instructions, Span<float> values) => Values(observations, default, instructions, values);

    /// <summary><see cref="Values(ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float})"/> with the observations' frame keys, as <see cref="Step(ReadOnlySpan{byte}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/> takes them.</summary>
    /// <exception cref="ArgumentException">A span is not of the length above, or a key is negative.</exception>
    public void Values(ReadOnlySpan<byte> observations, ReadOnlySpan<int> frameKeys, ReadOnlySpan<float> instructions, Span<float> values)
    {
        CheckLength(observations.Length, Batch * ConvEncoder.InputLength, "observations", "B frames of 3x56x56 bytes");
        Values(new StepFrames(observations, frameKeys), instructions, values);
    }

    /// <summary><see cref="Values(ReadOnlySpan{byte}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float})"/> with the observations given by their frame keys, as <see cref="Step(ReadOnlySpan{int}, FrameBytes, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float})"/> takes them.</summary>
    /// <exception cref="ArgumentException">A span is not of the length above, a key is negative, or a picture read is not 3x56x56 bytes.</exception>
    public void Values(ReadOnlySpan<int> frameKeys, FrameBytes frames, ReadOnlySpan<float> instructions, Span<float> values)
    {
        ArgumentNullException.ThrowIfNull(frames);
        CheckLength(frameKeys.Length, Batch, "frameKeys", "B");
        Values(new StepFrames(frameKeys, frames), instructions, values);
    }

    private void Values(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> values)
    {
        CheckInputs(frames.Keys, instructions);
        CheckLength(values.Length, Batch, "values", "B");
        BootstrapValues(frames, instructions, values);
    }

    /// <summary>
    /// The backward pass through the n recorded steps from ∂loss/∂logits [n·B·A] and ∂loss/∂values [n·B] (step-major),
    /// and, when <paramref name="outputGradients"/> is not empty, ∂loss/∂(core output) [n·B·O] of an auxiliary loss
    /// on the core's outputs (added to what the heads send back): adds the parameters' gradients to their
    /// <c>grad</c>. Then the next rollout begins, from the current state. With no step recorded (n = 0, empty spans) it
    /// adds nothing: no <c>grad</c> is made or changed.
    /// </summary>
    /// <exception cref="ArgumentException">A span is not of the length above.</exception>
    public void Backward(ReadOnlySpan<float> logitGradients, ReadOnlySpan<float> valueGradients, ReadOnlySpan<float> outputGradients = default)
    {
        int rows = Steps * Batch;
        CheckLength(logitGradients.Length, rows * ActorCritic.Actions, "logitGradients", "n·B·A");
        CheckLength(valueGradients.Length, rows, "valueGradients", "n·B");
        if (!outputGradients.IsEmpty)
        {
            CheckLength(outputGradients.Length, rows * OutputSize, "outputGradients", "n·B·O");
        }

        if (rows == 0)
        {
            return; // a sum over no steps: the fast pass would otherwise scale its zero weight gradients by arithmetic units' values never formed, and libtorch cannot stack no steps
        }

        Backpropagate(logitGradients, valueGradients, outputGradients);
    }

    /// <summary>A step (<c>Step</c>), its arguments checked: B frames, their keys empty or B keys, each 0 or above.</summary>
    private protected abstract void RecordStep(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs);

    /// <summary><see cref="EndEpisodes"/>, its argument checked.</summary>
    protected abstract void ZeroEndedStates(ReadOnlySpan<float> keep);

    /// <summary>The bootstrap's values (<c>Values</c>), its arguments checked as for <see cref="RecordStep"/>.</summary>
    private protected abstract void BootstrapValues(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> values);

    /// <summary><see cref="Backward"/>, its arguments checked.</summary>
    protected abstract void Backpropagate(ReadOnlySpan<float> logitGradients, ReadOnlySpan<float> valueGradients, ReadOnlySpan<float> outputGradients);

    private void CheckInputs(ReadOnlySpan<int> frameKeys, ReadOnlySpan<float> instructions)
    {
        CheckLength(instructions.Length, Batch, "instructions", "B");
        if (!frameKeys.IsEmpty)
        {
            CheckLength(frameKeys.Length, Batch, "frameKeys", "B");
            foreach (int key in frameKeys)
            {
                if (key < 0)
                {
                    throw new ArgumentException($"frameKeys holds {key}: a frame key is a number 0 or above", nameof(frameKeys));
                }
            }
        }
    }

    private void CheckLength(int length, int expected, string name, string what)
    {
        if (length != expected)
        {
            throw new ArgumentException($"{name}: expected {expected} values ({what}, B = {Batch}), got {length}", name);
        }
    }

    /// <summary>Forgets the recorded steps and zeroes the recurrent state of every environment (after a non-finite update).</summary>
    public abstract void Restart();

    /// <inheritdoc/>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the pass holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
