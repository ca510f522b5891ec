using GridTime.Agents.Kernels;
using static TorchSharp.torch;

namespace GridTime.Agents;

/// <summary>
/// A <see cref="RolloutPass"/> through TorchSharp's autograd, for any network: each step is
/// <see cref="ActorCritic.Step"/> with its graph kept, and the backward pass is autograd's from
/// Σ logits·∂logits + Σ values·∂values (+ Σ outputs·∂outputs for an auxiliary loss; its gradient is the one given), with the matrix layers' weight
/// gradients formed once per rollout (<see cref="DeferredWeightGradients"/>).
/// </summary>
/// <param name="network">The network run; its parameters receive the gradients.</param>
/// <param name="batch">B, the environments of every step.</param>
/// <param name="steps">The most steps a rollout may record (<see cref="RolloutPass.MaximumSteps"/>).</param>
public sealed class AutogradRolloutPass(ActorCritic network, int batch, int steps) : RolloutPass
{
    private readonly List<Tensor> _logits = [];
    private readonly List<Tensor> _values = [];
    private readonly List<Tensor> _outputs = [];
    private readonly Tensor[] _parameters = [.. network.parameters()];
    private readonly DeferredWeightGradients _weightGradients = new();
    private Tensor _state = network.InitialState(batch).DetachFromDisposeScope();
    private byte[]? _lookedUp; // a step's pictures where they were given by key

    /// <inheritdoc/>
    public override ActorCritic Network => network;

    /// <inheritdoc/>
    public override int Batch => batch;

    /// <inheritdoc/>
    public override int MaximumSteps => steps;

    /// <inheritdoc/>
    public override int Steps => _logits.Count;

    /// <inheritdoc/>
    private protected override void RecordStep(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs)
    {
        using Tensor pictures = ObservationTensors.Frames(frames.All(batch, ref _lookedUp)), t = ObservationTensors.Instructions(instructions);
        long skippedBefore = FastConvolutions.Conv1MultiplyAddsSkippedOnThisThread; // the convolutions' node, with the kernels on
        AgentOutput output = network.Step(pictures, t, _state);
        FramesRecorded += batch;
        FramesEncoded += batch;
        Conv1MultiplyAddsSkipped += FastConvolutions.Conv1MultiplyAddsSkippedOnThisThread - skippedBefore;
        _logits.Add(output.Logits.DetachFromDisposeScope());
        _values.Add(output.Values.DetachFromDisposeScope());
        _outputs.Add(output.Hidden!.DetachFromDisposeScope());
        Replace(output.State.DetachFromDisposeScope());
        CopyTo(output.Logits, logits);
        CopyTo(output.Values, values);
        if (!outputs.IsEmpty)
        {
            CopyTo(output.Hidden!, outputs);
        }
    }

    /// <inheritdoc/>
    protected override void ZeroEndedStates(ReadOnlySpan<float> keep)
    {
        if (keep.IndexOf(0f) < 0)
        {
            return;
        }

        using Tensor mask = tensor(keep.ToArray()).unsqueeze(1);
        Replace((_state * mask).DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    private protected override void BootstrapValues(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> values)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        CopyTo(network.Step(ObservationTensors.Frames(frames.All(batch, ref _lookedUp)), ObservationTensors.Instructions(instructions), _state).Values, values);
    }

    /// <inheritdoc/>
    protected override void Backpropagate(ReadOnlySpan<float> logitGradients, ReadOnlySpan<float> valueGradients, ReadOnlySpan<float> outputGradients)
    {
        using (NewDisposeScope())
        {
            Tensor logits = stack(_logits, 0), values = stack(_values, 0);
            Tensor dLogits = tensor(logitGradients.ToArray()).view(logits.shape), dValues = tensor(valueGradients.ToArray()).view(values.shape);
            Tensor surrogate = (logits * dLogits).sum().Plus((values * dValues).sum());
            if (!outputGradients.IsEmpty)
            {
                Tensor outputs = stack(_outputs, 0);
                surrogate = surrogate.Plus((outputs * tensor(outputGradients.ToArray()).view(outputs.shape)).sum());
            }

            _weightGradients.Backward(surrogate, _parameters);
        }

        Forget();
        Replace(_state.detach().DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    public override void Restart()
    {
        Forget();
        Replace(zeros_like(_state).DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        Forget();
        _state.Dispose();
    }

    private void Forget()
    {
        _logits.ForEach(t => t.Dispose());
        _values.ForEach(t => t.Dispose());
        _outputs.ForEach(t => t.Dispose());
        _logits.Clear();
        _values.Clear();
        _outputs.Clear();
    }

    private void Replace(Tensor state)
    {
        // The old state may still be an input of the recorded graph: autograd keeps its own reference.
        _state.Dispose();
        _state = state;
    }

    private static void CopyTo(Tensor source, Span<float> target)
    {
        using Tensor values = source.detach().contiguous();
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(values.bytes)[..target.Length].CopyTo(target);
    }
}
