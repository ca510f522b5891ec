using GridTime.Agents.Cores;
using TorchSharp;
using static GridTime.Agents.Kernels.ParameterMemory;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A <see cref="RolloutPass"/> computed entirely by GridTime's kernels, without autograd, for every network whose
/// core has a <see cref="FastCore"/>. Each step's forward pass writes its activations into buffers held for the
/// whole rollout; the backward pass then runs once for the rollout: the heads for all n·B frames in one go, the
/// core back through time step by step (through the <see cref="FastCore"/> seam), and the encoder's linear layer
/// and convolutions again for all distinct frames at once; every weight gradient is one product over the rollout.
/// The encoder, and the core's product with its features, run once per distinct frame of the rollout
/// (<see cref="DistinctFrames"/>, <see cref="FastCore.ProjectFrames"/>): a frame identical to one already seen (or, where the
/// caller gives frame keys, with the same key as one already seen) takes its features, and the gradients of the rows that show it are summed before those layers' backward passes.
/// <para>
/// Why: through autograd every step was several autograd nodes forward and backward, each a round of native
/// calls, tensor allocations and gradient hand-offs; in a profile these overheads were about a fifth of a
/// worker's time, and the backward pass ran each layer at batch B where n·B suits the kernels better.
/// tests/Agents/RolloutPassTests compares outputs and gradients with <see cref="AutogradRolloutPass"/> for every core.
/// </para>
/// </summary>
public sealed unsafe class FastRolloutPass : RolloutPass
{
    private const int Pixels = ConvEncoder.InputLength, ConvHidden = 13 * 13 * 16, ConvOutput = FastConvolutions.Features;

    private readonly ActorCritic _network;
    private readonly FastCore _core;
    private readonly int _batch, _width, _state, _output, _actions;
    private readonly Tensor _conv1Weight, _conv1Bias, _conv2Weight, _conv2Bias, _fcWeight, _fcBias;
    private readonly Tensor _policyWeight, _policyBias, _valueWeight, _valueBias;

    // Per recorded frame (row r = step·B + b); one block of B rows more than the rollout holds, for Values.
    private readonly RolloutBuffer _instructions, _states, _nextStates, _outputs, _keep;
    private readonly int[] _slotOfRow; // the distinct frame each row shows

    // Per distinct frame (slot): its pixels and encoder activations. The last B slots hold Values' frames not
    // seen in the rollout, which are encoded but not kept.
    private readonly RolloutBuffer _pixels, _convHidden, _convOutput, _encoded, _dEncoded;
    private readonly DistinctFrames _distinct;
    private readonly int _valuesSlots;

    // The state the next rollout starts from, and working memory of the backward pass.
    private readonly RolloutBuffer _start, _dOutputs, _dState, _dNextState, _dConvOutput, _scratch, _gradients;
    private readonly RolloutBuffer _fcWeightPacked; // W_fcᵀ [800, H] packed in panels (Sgemm.PackTransposed), made at the start of each rollout (the weights are fixed until Backward)
    private readonly RolloutBuffer _convWeightsArranged; // the convolutions' weights as their forward pass reads them (FastConvolutions.ArrangeWeights), also made at the start of each rollout
    private readonly float[] _bootstrapLogits;
    private int _steps;

    /// <summary>
    /// Whether this pass can run <paramref name="network"/>: the kernels are in use, its core has a
    /// <see cref="FastCore"/> (<see cref="RecurrentCore.CreateFastCore"/>) and the encoder's width is a multiple of 16.
    /// </summary>
    public static bool Takes(ActorCritic network) =>
        FastLinear.KernelInUse && network.Encoder.Features % 16 == 0 && network.Core.HasFastCore(network.Encoder.Features);

    /// <summary>
    /// A pass for <paramref name="batch"/> environments and rollouts of up to <paramref name="steps"/> steps; with
    /// <paramref name="fullWork"/>, without its savings (every frame encoded, the first convolution over every input:
    /// <see cref="RolloutPass.For"/>).
    /// </summary>
    public FastRolloutPass(ActorCritic network, int batch, int steps, bool fullWork = false)
    {
        if (!Takes(network))
        {
            throw new ArgumentException("this network is not one the fast rollout pass runs (see FastRolloutPass.Takes)", nameof(network));
        }

        _network = network;
        _batch = batch;
        FullWork = fullWork;
        _core = network.Core.CreateFastCore(network.Encoder.Features, batch, steps)!;
        (var conv1, var conv2, var fc) = network.Encoder.Layers;
        (var policy, var value) = network.Heads;
        (_conv1Weight, _conv1Bias, _conv2Weight, _conv2Bias) = (conv1.weight!, conv1.bias!, conv2.weight!, conv2.bias!);
        (_fcWeight, _fcBias) = (fc.weight!, fc.bias!);
        (_policyWeight, _policyBias, _valueWeight, _valueBias) = (policy.weight!, policy.bias!, value.weight!, value.bias!);
        _width = network.Encoder.Features;
        _state = _core.StateSize;
        _output = _core.OutputSize;
        _actions = ActorCritic.Actions;

        long rows = (long)(steps + 1) * batch;
        _pixels = new(rows * Pixels / sizeof(float));
        _instructions = new(rows);
        _convHidden = new(rows * ConvHidden);
        _convOutput = new(rows * ConvOutput);
        _encoded = new(rows * _width);
        _dEncoded = new(rows * _width);
        _slotOfRow = new int[rows];
        _valuesSlots = steps * batch;
        _distinct = new DistinctFrames((byte*)_pixels.Data, Pixels, _valuesSlots);
        _states = new(rows * _state);
        _nextStates = new(rows * _state);
        _outputs = new(rows * _output);
        _keep = new(rows);
        _start = new((long)batch * _state);
        _dOutputs = new(rows * _output);
        _dState = new((long)batch * _state);
        _dNextState = new((long)batch * _state);
        _dConvOutput = new(rows * ConvOutput);
        _scratch = new(Math.Max(rows * _width, (2L * (_actions + 1) * (_output + rows)) + _actions + 1)); // the encoder's ∂yᵀ, or the heads' products (Backpropagate)
        _gradients = new(Math.Max(_width, _conv1Weight.numel() + _conv1Bias.numel() + _conv2Weight.numel() + _conv2Bias.numel())); // the encoder's biases' and convolutions' gradients (W_fc's goes straight into its grad)
        _fcWeightPacked = new(Sgemm.PackedCapacity(ConvOutput, _width));
        _convWeightsArranged = new(FastConvolutions.ArrangedWeights);
        _bootstrapLogits = new float[batch * _actions];
        Restart(); // the first rollout starts from zeros (native memory comes uninitialised)
    }

    /// <inheritdoc/>
    public override ActorCritic Network => _network;

    /// <summary>Whether this pass does the whole network's work on every frame, without its savings (<see cref="RolloutPass.For"/>).</summary>
    internal bool FullWork { get; }

    /// <inheritdoc/>
    public override int Batch => _batch;

    /// <inheritdoc/>
    public override int MaximumSteps => _core.Capacity;

    /// <inheritdoc/>
    public override int Steps => _steps;

    /// <inheritdoc/>
    private protected override void RecordStep(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, Span<float> outputs)
    {
        if (_steps == 0)
        {
            BeginRollout();
        }

        Forward(_steps, frames, instructions, logits, values, recorded: true);
        if (!outputs.IsEmpty)
        {
            new ReadOnlySpan<float>(_outputs.Data + ((long)_steps * _batch * _output), _batch * _output).CopyTo(outputs);
        }

        new Span<float>(_keep.Data + ((long)_steps * _batch), _batch).Fill(1f);
        _steps++;
    }

    /// <inheritdoc/>
    protected override void ZeroEndedStates(ReadOnlySpan<float> keep)
    {
        if (_steps == 0)
        {
            // Before any step: the starting state itself.
            for (int b = 0; b < _batch; b++)
            {
                if (keep[b] == 0f)
                {
                    new Span<float>(_start.Data + ((long)b * _state), _state).Clear();
                }
            }

            return;
        }

        float* mask = _keep.Data + ((long)(_steps - 1) * _batch);
        for (int b = 0; b < _batch; b++)
        {
            mask[b] *= keep[b];
        }
    }

    /// <inheritdoc/>
    private protected override void BootstrapValues(StepFrames frames, ReadOnlySpan<float> instructions, Span<float> values)
    {
        if (_steps == 0)
        {
            BeginRollout();
        }

        Forward(_steps, frames, instructions, _bootstrapLogits, values, recorded: false); // into the block after the recorded steps
    }

    /// <inheritdoc/>
    protected override void Backpropagate(ReadOnlySpan<float> logitGradients, ReadOnlySpan<float> valueGradients, ReadOnlySpan<float> outputGradients)
    {
        int n = _steps, batch = _batch, width = _width, output = _output, state = _state;
        int rows = n * batch;

        // 1. The heads, for every frame at once: ∂output = ∂logits·W_π + ∂values·w_v (plus an auxiliary loss's ∂output); their weights' gradients.
        float* dOutputs = _dOutputs.Data, outputs = _outputs.Data;
        if (outputGradients.IsEmpty)
        {
            new Span<float>(dOutputs, rows * output).Clear();
        }
        else
        {
            outputGradients.CopyTo(new Span<float>(dOutputs, rows * output));
        }

        // As products over the rollout: with G = [∂logits | ∂values] [n·B, A + 1] and W = [W_π; w_v] [A + 1, O],
        // ∂W = Gᵀ·outputs, ∂b = Σ G, ∂outputs += G·W (only into the columns the heads train).
        int heads = _actions + 1;
        float* dHeads = _scratch.Data;                     // [A + 1, O], then the biases [A + 1]
        float* dHeadBiases = dHeads + ((long)heads * output);
        float* g = dHeadBiases + heads;                    // G [n·B, A + 1]
        float* gT = g + ((long)rows * heads);              // Gᵀ [A + 1, n·B]
        float* w = gT + ((long)heads * rows);              // W [A + 1, O]
        for (int r = 0; r < rows; r++)
        {
            for (int a = 0; a < heads; a++)
            {
                float d = a < _actions ? logitGradients[(r * _actions) + a] : valueGradients[r];
                g[((long)r * heads) + a] = d;
                gT[((long)a * rows) + r] = d;
            }
        }

        Copy(Data(_policyWeight), w, (long)_actions * output);
        Copy(Data(_valueWeight), w + ((long)_actions * output), output);
        Sgemm.Multiply(heads, output, rows, gT, rows, outputs, output, dHeads, output, accumulate: false);
        ColumnSums(g, rows, heads, heads, dHeadBiases);
        int trained = _network.Core.OutputsTrainedByHeads; // the heads send nothing back into the columns after these
        if (trained > 0)
        {
            Sgemm.Multiply(rows, trained, heads, g, heads, w, output, dOutputs, output, accumulate: true);
        }

        AddGradient(_policyWeight, dHeads);
        AddGradient(_valueWeight, dHeads + (_actions * output));
        AddGradient(_policyBias, dHeadBiases);
        AddGradient(_valueBias, dHeadBiases + _actions);

        // 2. The core back through time. The state entering step t was step t−1's output times its keep mask, so
        //    the gradient reaching step t−1's state is masked the same way; none crosses the rollout's start.
        float* dNext = _dNextState.Data, dState = _dState.Data;
        new Span<float>(dNext, batch * state).Clear();
        for (int t = n - 1; t >= 0; t--)
        {
            long first = (long)t * batch;
            _core.Backward(
                t, _instructions.Data + first, _states.Data + (first * state), _nextStates.Data + (first * state),
                dOutputs + (first * output), dNext, dState);
            if (t > 0)
            {
                Masked(dState, _keep.Data + first - batch, dNext);
            }
        }

        // The core gives the features' gradient per distinct frame: each frame's rows summed.
        int distinct = _distinct.Count;
        float* dY = _dEncoded.Data, gradient = _gradients.Data;
        fixed (int* frames = _slotOfRow)
        {
            _core.FinishBackward(n, frames, distinct, _encoded.Data, _instructions.Data, _states.Data, dY);
        }

        // 3. The encoder's linear layer for every distinct frame at once: through the ReLU, ∂input = ∂y·W, ∂W = ∂yᵀ·input, ∂b = Σ ∂y.
        FastLinear.PassedByRelu(dY, _encoded.Data, dY, (long)distinct * width);
        Sgemm.Multiply(distinct, ConvOutput, width, dY, width, Data(_fcWeight), ConvOutput, _dConvOutput.Data, ConvOutput, accumulate: false);
        float* dYT = _scratch.Data;
        FastLinear.Transpose(dY, distinct, width, dYT);
        float* dWfc = GradientTarget(_fcWeight, out bool addFc);
        Sgemm.Multiply(width, ConvOutput, distinct, dYT, distinct, _convOutput.Data, ConvOutput, dWfc, ConvOutput, addFc);
        ColumnSums(dY, distinct, width, width, gradient);
        AddGradient(_fcBias, gradient);

        // 4. The convolutions, for every distinct frame at once.
        float* dW1 = gradient, dB1 = dW1 + _conv1Weight.numel(), dW2 = dB1 + _conv1Bias.numel(), dB2 = dW2 + _conv2Weight.numel();
        using (FullWork ? SparseConv1.DenseOnThisThread() : null)
        {
            FastConvolutions.Backward((byte*)_pixels.Data, true, distinct, _convHidden.Data, _convOutput.Data, _dConvOutput.Data, Data(_conv2Weight), dW1, dB1, dW2, dB2);
        }

        AddGradient(_conv1Weight, dW1);
        AddGradient(_conv1Bias, dB1);
        AddGradient(_conv2Weight, dW2);
        AddGradient(_conv2Bias, dB2);

        StartNextRollout();
    }

    /// <inheritdoc/>
    public override void Restart()
    {
        _steps = 0;
        _distinct.Clear();
        new Span<float>(_start.Data, _batch * _state).Clear();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        _core.Dispose();
        RolloutBuffer[] buffers =
        [
            _pixels, _instructions, _convHidden, _convOutput, _encoded, _dEncoded, _states, _nextStates, _outputs, _keep,
            _start, _dOutputs, _dState, _dNextState, _dConvOutput, _scratch, _gradients, _fcWeightPacked, _convWeightsArranged,
        ];
        foreach (RolloutBuffer buffer in buffers)
        {
            buffer.Dispose();
        }
    }

    /// <summary>
    /// The forward pass of one step into block <paramref name="step"/> of the buffers, from the state after step − 1.
    /// Frames of a <paramref name="recorded"/> step not seen before in the rollout are kept as distinct frames
    /// (<see cref="FindSlots"/>); Values' unseen frames are encoded in the spare slots and forgotten.
    /// </summary>
    private void Forward(int step, StepFrames frames, ReadOnlySpan<float> instructions, Span<float> logits, Span<float> values, bool recorded)
    {
        int batch = _batch, width = _width, output = _output;
        long first = (long)step * batch;
        instructions.CopyTo(new Span<float>(_instructions.Data + first, batch));
        int firstNew = recorded ? _distinct.Count : _valuesSlots, fresh;
        try
        {
            fresh = FindSlots(first, frames, firstNew, recorded);
        }
        catch
        {
            // A picture looked up by key was refused (or its lookup failed): the step records nothing, so the frames it kept are forgotten.
            if (recorded)
            {
                _distinct.ForgetFrom(firstNew);
            }

            throw;
        }

        if (recorded)
        {
            FramesRecorded += batch;
            FramesEncoded += fresh;
        }

        // The state entering this step: the previous step's through its keep mask, or the rollout's start.
        float* state = _states.Data + (first * _state);
        if (step == 0)
        {
            Copy(_start.Data, state, (long)batch * _state);
        }
        else
        {
            Masked(_nextStates.Data + ((first - batch) * _state), _keep.Data + first - batch, state);
        }

        // Encoder, for the new distinct frames: convolutions, then relu(x·W_fcᵀ + b); the core takes each new frame's
        // features from there (FastCore.ProjectFrames).
        if (fresh > 0)
        {
            long skipped = Encode(firstNew, fresh);
            if (recorded)
            {
                Conv1MultiplyAddsSkipped += skipped; // counted on the frames FramesEncoded counts
            }
        }

        // Core.
        float* outputs = _outputs.Data + (first * output);
        fixed (int* slots = &_slotOfRow[first])
        {
            _core.Forward(step, slots, _instructions.Data + first, state, outputs, _nextStates.Data + (first * _state));
        }

        // Heads.
        float* policyWeight = Data(_policyWeight), policyBias = Data(_policyBias), valueWeight = Data(_valueWeight), valueBias = Data(_valueBias);
        for (int b = 0; b < batch; b++)
        {
            float* row = outputs + ((long)b * output);
            for (int a = 0; a < _actions; a++)
            {
                logits[(b * _actions) + a] = Dot(row, policyWeight + ((long)a * output), output) + policyBias[a];
            }

            values[b] = Dot(row, valueWeight, output) + valueBias[0];
        }
    }

    /// <summary>
    /// Each of the step's B frames' slot into the rows from <paramref name="first"/> on: the slot of a frame seen before
    /// in the rollout, found by key where <paramref name="frames"/> gives keys (a keyed frame's picture is read only when
    /// its key is new), else by its bytes; a new frame goes to the next slot from <paramref name="firstNew"/> on, and is
    /// kept for the rest of the rollout when <paramref name="recorded"/>. Gives the number of new frames.
    /// </summary>
    private int FindSlots(long first, StepFrames frames, int firstNew, bool recorded)
    {
        ReadOnlySpan<int> frameKeys = frames.Keys;
        bool keyed = !frameKeys.IsEmpty;
        int fresh = 0;
        for (int b = 0; b < _batch; b++)
        {
            ReadOnlySpan<byte> frame = keyed ? default : frames.Frame(b);
            ulong hash = 0;
            int slot = FullWork ? -1 : keyed ? _distinct.FindKey(frameKeys[b]) : _distinct.Find(frame, out hash);
            if (slot < 0)
            {
                slot = firstNew + fresh++;
                frame = keyed ? frames.Frame(b) : frame;
                if (recorded && keyed)
                {
                    _distinct.AddKeyed(frame, frameKeys[b]);
                }
                else if (recorded)
                {
                    _distinct.Add(frame, hash);
                }
                else
                {
                    frame.CopyTo(new Span<byte>(_distinct.Slot(slot), Pixels));
                }
            }

            _slotOfRow[first + b] = slot;
        }

        return fresh;
    }

    /// <summary>
    /// Before a rollout's first forward pass: the core forms what the weights give, W_fcᵀ is made in panels (a step's
    /// few new frames read all of it: see Sgemm.PackTransposed), and the convolutions' weights are arranged as their
    /// forward pass reads them.
    /// </summary>
    private void BeginRollout()
    {
        _core.BeginRollout();
        Sgemm.PackTransposed(ConvOutput, _width, Data(_fcWeight), ConvOutput, _fcWeightPacked.Data);
        FastConvolutions.ArrangeWeights(Data(_conv1Weight), Data(_conv2Weight), _convWeightsArranged.Data);
    }

    /// <summary>
    /// The encoder's forward pass for the <paramref name="count"/> frames in slots <paramref name="first"/> onwards:
    /// the convolutions, then relu(x·W_fcᵀ + b), a frame per row (the product's columns are the H features, so any
    /// number of new frames fills the kernel's register blocks).
    /// </summary>
    /// <returns>conv1's multiply-adds skipped on inputs of 0 (<see cref="RolloutPass.Conv1MultiplyAddsSkipped"/>).</returns>
    private long Encode(int first, int count)
    {
        int width = _width;
        float* convOutput = _convOutput.Data + ((long)first * ConvOutput), encoded = _encoded.Data + ((long)first * width);
        long conv1MultiplyAdds;
        using (FullWork ? SparseConv1.DenseOnThisThread() : null)
        {
            conv1MultiplyAdds = FastConvolutions.ForwardArranged(_distinct.Slot(first), true, count, _convWeightsArranged.Data, Data(_conv1Bias), Data(_conv2Bias), _convHidden.Data + ((long)first * ConvHidden), convOutput);
        }

        Sgemm.MultiplyPacked(count, width, ConvOutput, convOutput, ConvOutput, _fcWeightPacked.Data, encoded, width, accumulate: false);
        float* bias = Data(_fcBias);
        for (int r = 0; r < count; r++)
        {
            Add(bias, encoded + ((long)r * width), width);
        }

        FastLinear.Relu(encoded, (long)count * width);
        _core.ProjectFrames(first, count, encoded);
        return (count * ConvEncoder.Conv1MultiplyAdds) - conv1MultiplyAdds;
    }

    /// <summary>The state after the last recorded step (through its keep mask) becomes the next rollout's start.</summary>
    private void StartNextRollout()
    {
        if (_steps > 0)
        {
            long last = (long)(_steps - 1) * _batch;
            Masked(_nextStates.Data + (last * _state), _keep.Data + last, _start.Data);
        }

        _steps = 0;
        _distinct.Clear();
    }

    /// <summary>target[b] = source[b]·keep[b] for the B state rows.</summary>
    private void Masked(float* source, float* keep, float* target)
    {
        for (int b = 0; b < _batch; b++)
        {
            long row = (long)b * _state;
            if (keep[b] == 0f)
            {
                new Span<float>(target + row, _state).Clear();
            }
            else
            {
                Copy(source + row, target + row, _state);
            }
        }
    }
}
