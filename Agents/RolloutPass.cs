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

    /// <summary>The pass for <paramref name="network"/>, <paramref name="batch"/> environments and rollouts of up to <paramref name="steps"/> steps.</summary>
    public static RolloutPass For(ActorCritic network, int batch, int steps) =>
        FastRolloutPass.Takes(network) ? new FastRolloutPass(network, batch, steps) : new AutogradRolloutPass(network, batch);

    /// <summary>Steps recorded in the current rollout.</summary>
    public abstract int Steps { get; }

    /// <summary>Frames recorded by <see cref="Step"/> since this pass was made (B per step).</summary>
    public long FramesRecorded { get; protected set; }

    /// <summary>
    /// Of <see cref="FramesRecorded"/>, those the encoder ran on: all of them through autograd; on the fast pass
    /// each rollout's distinct frames once (<see cref="FastRolloutPass"/>). What the encoder's FLOPs are counted on.
    /// </summary>
    public long FramesEncoded { get; protected set; }

    /// <summary>O, the width of the core's output (what the heads read): the width of the spans of core outputs below.</summary>
    public int OutputSize => Network.Core.OutputSize;

    /// <summary>
    /// One step of the rollout, recorded for <see cref="Backward"/>: from observations [B, 3, 56, 56] (bytes 0..255,
    /// channel-major, as the environment delivers them: <c>VectorGridWorld.CopyObservations</c>) and instructions [B],
    /// the logits [B·A] and values [B] into the spans given,
    /// and, when <paramref name="outputs"/> is not empty, the core's output [B·O] (for an auxiliary head of the
    /// researcher's own, whose loss's gradient goes back through <see cref="Backward"/>'s outputGradients).
    /// The network's weights must not change until <see cref="Backward"/> has run.
    /// </summary>
    /// <exception cref="ArgumentException">The observations are not B frames or the instructions not B values.</exception>
    public abstract void Step(ReadOnlySpan<byte> observations, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs = default);

    /// <summary>After a step: environment b continues from a zero state where <paramref name="keep"/>[b] is 0 (its episode ended).</summary>
    public abstract void EndEpisodes(ReadOnlySpan<float> keep);

    /// <summary>The values [B] of the current state for these observations (as for <see cref="Step"/>), not recorded (the rollout's bootstrap).</summary>
    public abstract void Values(ReadOnlySpan<byte> observations, ReadOnlySpan<float> instructions, Span<float> values);

    /// <summary>
    /// The backward pass through the recorded steps from ∂loss/∂logits [n·B·A] and ∂loss/∂values [n·B] (step-major),
    /// and, when <paramref name="outputGradients"/> is not empty, ∂loss/∂(core output) [n·B·O] of an auxiliary loss
    /// on the core's outputs (added to what the heads send back): adds the parameters' gradients to their
    /// <c>grad</c>. Then the next rollout begins, from the current state.
    /// </summary>
    public abstract void Backward(ReadOnlySpan<float> logitGradients, ReadOnlySpan<float> valueGradients, ReadOnlySpan<float> outputGradients = default);

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
