using System.Runtime.Intrinsics;
using GridTime.Agents.Cores;
using GridTime.Agents.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A <see cref="RolloutPass"/> for the paper's networks (the baseline and NAC cores) computed entirely by
/// GridTime's kernels, without autograd. Each step's forward pass writes its activations into buffers held
/// for the whole rollout; the backward pass then runs once for the rollout: the heads for all n·B frames in
/// one go, the LSTM back through time step by step, and the encoder's linear layer and convolutions again
/// for all n·B frames at once; every weight gradient is one product over the rollout.
/// <para>
/// Why: through autograd every step was four autograd nodes forward and four backward, each a round of native
/// calls, tensor allocations and gradient hand-offs; in a profile these overheads were about a fifth of a
/// worker's time, and the backward pass ran each layer at batch B where n·B suits the kernels better.
/// The arithmetic is the same as the autograd nodes' (<see cref="FastConvolutions"/>, <see cref="FastLstmCoreStep"/>):
/// tests/Agents/RolloutPassTests compares outputs and gradients with <see cref="AutogradRolloutPass"/>.
/// </para>
/// </summary>
public sealed unsafe class FastRolloutPass : RolloutPass
{
    private const int Pixels = 3 * 56 * 56, ConvHidden = 13 * 13 * 16, ConvOutput = FastConvolutions.Features;

    private readonly ActorCritic _network;
    private readonly int _batch, _capacity, _width, _hidden, _arithmetic, _inputs, _actions;
    private readonly Tensor _conv1Weight, _conv1Bias, _conv2Weight, _conv2Bias, _fcWeight, _fcBias;
    private readonly Tensor _wIh, _wHh, _bIh, _bHh, _policyWeight, _policyBias, _valueWeight, _valueBias;
    private readonly Tensor? _wHat, _mHat;

    // Per recorded frame (row r = step·B + b); one block of B rows more than the rollout holds, for Values.
    private readonly Buffer _pixels, _instructions, _convHidden, _convOutput, _features, _x, _hIn, _cIn, _gates, _tanhC, _hOut, _cOut, _keep;

    // The state the rollout started from, and working memory of the backward pass and the NAC.
    private readonly Buffer _h0, _c0, _dHidden, _dGates, _dGatesT, _dX, _dh, _dc, _dhPrev, _dcPrev, _dConvOutput, _dFeaturesT;
    private readonly Buffer _tanhW, _sigmoidM, _nacWT, _dU, _u, _dNac, _gradients;
    private readonly float[] _bootstrapLogits;
    private int _steps;

    /// <summary>Whether this pass can run <paramref name="network"/>: the kernels are in use, the core is the baseline or NAC LSTM, widths are multiples of 16.</summary>
    public static bool Takes(ActorCritic network) =>
        FastLinear.KernelInUse && network.Core is LstmCore { Arithmetic: null or Nac } core && core.Hidden % 16 == 0
        && network.Encoder.Features % 16 == 0 && core.Cell.bias_ih is not null && core.Cell.bias_hh is not null;

    /// <summary>A pass for <paramref name="batch"/> environments and rollouts of up to <paramref name="steps"/> steps.</summary>
    public FastRolloutPass(ActorCritic network, int batch, int steps)
    {
        if (!Takes(network))
        {
            throw new ArgumentException("this network is not one the fast rollout pass runs (see FastRolloutPass.Takes)", nameof(network));
        }

        _network = network;
        _batch = batch;
        _capacity = steps;
        var core = (LstmCore)network.Core;
        (var conv1, var conv2, var fc) = network.Encoder.Layers;
        (var policy, var value) = network.Heads;
        var nac = core.Arithmetic as Nac;
        (_conv1Weight, _conv1Bias, _conv2Weight, _conv2Bias) = (conv1.weight!, conv1.bias!, conv2.weight!, conv2.bias!);
        (_fcWeight, _fcBias) = (fc.weight!, fc.bias!);
        (_wIh, _wHh, _bIh, _bHh) = (core.Cell.weight_ih!, core.Cell.weight_hh!, core.Cell.bias_ih!, core.Cell.bias_hh!);
        (_policyWeight, _policyBias, _valueWeight, _valueBias) = (policy.weight!, policy.bias!, value.weight!, value.bias!);
        (_wHat, _mHat) = (nac?.WHat, nac?.MHat);
        _width = network.Encoder.Features;
        _hidden = core.Hidden;
        _arithmetic = nac is null ? 0 : (int)nac.WHat.shape[1];
        _inputs = _width + 1 + _arithmetic;
        _actions = ActorCritic.Actions;

        long rows = (long)(steps + 1) * batch;
        _pixels = new(rows * Pixels / sizeof(float));
        _instructions = new(rows);
        _convHidden = new(rows * ConvHidden);
        _convOutput = new(rows * ConvOutput);
        _features = new(rows * _width);
        _x = new(rows * _inputs);
        _hIn = new(rows * _hidden);
        _cIn = new(rows * _hidden);
        _gates = new(rows * 4 * _hidden);
        _tanhC = new(rows * _hidden);
        _hOut = new(rows * _hidden);
        _cOut = new(rows * _hidden);
        _keep = new(rows);
        _h0 = new((long)batch * _hidden);
        _c0 = new((long)batch * _hidden);
        _dHidden = new(rows * _hidden);
        _dGates = new(rows * 4 * _hidden);
        _dGatesT = new(rows * 4 * _hidden);
        _dX = new(rows * _inputs);
        _dh = new((long)batch * _hidden);
        _dc = new((long)batch * _hidden);
        _dhPrev = new((long)batch * _hidden);
        _dcPrev = new((long)batch * _hidden);
        _dConvOutput = new(rows * ConvOutput);
        _dFeaturesT = new(rows * _width);
        long units = 1 + _hidden;
        _tanhW = new(units * _arithmetic);
        _sigmoidM = new(units * _arithmetic);
        _nacWT = new(units * _arithmetic);
        _dU = new((long)batch * units);
        _u = new(rows * units);
        _dNac = new(rows * _arithmetic);
        _gradients = new(Math.Max(4L * _hidden * Math.Max(_inputs, _hidden), (long)_width * ConvOutput));
        _bootstrapLogits = new float[batch * _actions];
        Restart(); // the first rollout starts from zeros (native memory comes uninitialised)
    }

    /// <inheritdoc/>
    public override ActorCritic Network => _network;

    /// <inheritdoc/>
    public override int Steps => _steps;

    /// <inheritdoc/>
    public override void Step(Tensor observations, Tensor instructions, Span<float> logits, Span<float> values)
    {
        if (_steps == _capacity)
        {
            throw new InvalidOperationException($"the rollout already holds {_capacity} steps; run Backward first");
        }

        if (_steps == 0)
        {
            ReadNacWeight();
        }

        Forward(_steps, observations, instructions, logits, values);
        new Span<float>(_keep.Data + ((long)_steps * _batch), _batch).Fill(1f);
        _steps++;
    }

    /// <inheritdoc/>
    public override void EndEpisodes(ReadOnlySpan<float> keep)
    {
        if (_steps == 0)
        {
            // Before any step: the starting state itself.
            for (int b = 0; b < _batch; b++)
            {
                if (keep[b] == 0f)
                {
                    new Span<float>(_h0.Data + ((long)b * _hidden), _hidden).Clear();
                    new Span<float>(_c0.Data + ((long)b * _hidden), _hidden).Clear();
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
    public override void Values(Tensor observations, Tensor instructions, Span<float> values)
    {
        if (_steps == 0)
        {
            ReadNacWeight();
        }

        Forward(_steps, observations, instructions, _bootstrapLogits, values); // into the block after the recorded steps
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> logitGradients, ReadOnlySpan<float> valueGradients)
    {
        int n = _steps, batch = _batch, hidden = _hidden, inputs = _inputs, width = _width, k = _arithmetic;
        int rows = n * batch, units = 1 + hidden;
        if (logitGradients.Length != rows * _actions || valueGradients.Length != rows)
        {
            throw new ArgumentException($"expected gradients for {n} steps of {batch} environments");
        }

        float* wIh = Data(_wIh), wHh = Data(_wHh);

        // 1. The heads, for every frame at once: ∂h_out = ∂logits·W_π + ∂values·w_v; their weights' gradients.
        float* dHidden = _dHidden.Data, hOut = _hOut.Data;
        new Span<float>(dHidden, rows * hidden).Clear();
        float* dHeads = _gradients.Data; // [A + 1, H] then the biases [A + 1]
        new Span<float>(dHeads, ((_actions + 1) * hidden) + _actions + 1).Clear();
        float* dHeadBiases = dHeads + ((_actions + 1) * hidden);
        float* policyWeight = Data(_policyWeight), valueWeight = Data(_valueWeight);
        for (int r = 0; r < rows; r++)
        {
            for (int a = 0; a <= _actions; a++)
            {
                float g = a < _actions ? logitGradients[(r * _actions) + a] : valueGradients[r];
                if (g == 0f)
                {
                    continue;
                }

                dHeadBiases[a] += g;
                FastHeads.Axpy(g, hOut + ((long)r * hidden), dHeads + ((long)a * hidden), hidden);
                FastHeads.Axpy(g, a < _actions ? policyWeight + ((long)a * hidden) : valueWeight, dHidden + ((long)r * hidden), hidden);
            }
        }

        AddGradient(_policyWeight, dHeads);
        AddGradient(_valueWeight, dHeads + (_actions * hidden));
        AddGradient(_policyBias, dHeadBiases);
        AddGradient(_valueBias, dHeadBiases + _actions);

        // 2. The LSTM back through time. The state entering step t was step t−1's output times its keep mask,
        //    so the gradient reaching step t−1's output is masked the same way; none crosses the rollout's start.
        float* dh = _dh.Data, dc = _dc.Data, dhPrev = _dhPrev.Data, dcPrev = _dcPrev.Data;
        float* dGates = _dGates.Data, dX = _dX.Data, dU = _dU.Data, dNac = _dNac.Data;
        new Span<float>(dhPrev, batch * hidden).Clear();
        new Span<float>(dcPrev, batch * hidden).Clear();
        for (int t = n - 1; t >= 0; t--)
        {
            long first = (long)t * batch;
            for (int b = 0; b < batch; b++)
            {
                long row = (first + b) * hidden;
                float* dhRow = dh + ((long)b * hidden);
                float* fromHeads = dHidden + row, fromNext = dhPrev + ((long)b * hidden);
                for (int j = 0; j < hidden; j += Vector512<float>.Count)
                {
                    (Vector512.Load(fromHeads + j) + Vector512.Load(fromNext + j)).Store(dhRow + j);
                }

                FastLstmCell.GatesBackward(
                    _gates.Data + (4 * row), _tanhC.Data + row, _cIn.Data + row, dhRow, dcPrev + ((long)b * hidden),
                    dGates + (4 * row), dc + ((long)b * hidden), hidden);
            }

            // ∂x = ∂z·W_ih (the features' part goes to the encoder, the NAC's back into h(t−1)); ∂h(t−1) = ∂z·W_hh.
            float* dz = dGates + (first * 4 * hidden), dx = dX + (first * inputs);
            Avx512Sgemm.Multiply(batch, inputs, 4 * hidden, dz, 4 * hidden, wIh, inputs, dx, inputs, accumulate: false);
            Avx512Sgemm.Multiply(batch, hidden, 4 * hidden, dz, 4 * hidden, wHh, hidden, dhPrev, hidden, accumulate: false);
            if (k > 0)
            {
                float* dNacStep = dNac + (first * k);
                for (int b = 0; b < batch; b++)
                {
                    Copy(dx + (((long)b * inputs) + width + 1), dNacStep + ((long)b * k), k);
                }

                // ∂[T | h(t−1)] = ∂nac·Wᵀ; its h part adds to ∂h(t−1).
                Avx512Sgemm.Multiply(batch, units, k, dNacStep, k, _nacWT.Data, units, dU, units, accumulate: false);
                for (int b = 0; b < batch; b++)
                {
                    float* to = dhPrev + ((long)b * hidden), from = dU + ((long)b * units) + 1;
                    for (int j = 0; j < hidden; j += Vector512<float>.Count)
                    {
                        (Vector512.Load(to + j) + Vector512.Load(from + j)).Store(to + j);
                    }
                }
            }

            // dhPrev and dc now hold ∂h and ∂c of the state entering step t (dc becomes dcPrev for step t − 1);
            // through step t − 1's keep mask.
            float* swap = dc;
            dc = dcPrev;
            dcPrev = swap;
            if (t > 0)
            {
                float* keep = _keep.Data + first - batch;
                for (int b = 0; b < batch; b++)
                {
                    if (keep[b] == 0f)
                    {
                        new Span<float>(dhPrev + ((long)b * hidden), hidden).Clear();
                        new Span<float>(dcPrev + ((long)b * hidden), hidden).Clear();
                    }
                }
            }
        }

        // 3. The LSTM's weights: ∂W_ih = ∂zᵀ·x, ∂W_hh = ∂zᵀ·h_in, both biases Σ ∂z, each one product over the rollout.
        float* dGatesT = _dGatesT.Data, gradient = _gradients.Data;
        FastLinear.Transpose(dGates, rows, 4 * hidden, dGatesT);
        Avx512Sgemm.Multiply(4 * hidden, inputs, rows, dGatesT, rows, _x.Data, inputs, gradient, inputs, accumulate: false);
        AddGradient(_wIh, gradient);
        Avx512Sgemm.Multiply(4 * hidden, hidden, rows, dGatesT, rows, _hIn.Data, hidden, gradient, hidden, accumulate: false);
        AddGradient(_wHh, gradient);
        new Span<float>(gradient, 4 * hidden).Clear();
        FastConvolutions.AddColumnSums(dGates, rows, 4 * hidden, gradient);
        AddGradient(_bIh, gradient);
        AddGradient(_bHh, gradient);

        if (k > 0)
        {
            // The NAC: ∂W = [T | h_in]ᵀ·∂nac, then through W = tanh(Ŵ)⊙σ(M̂) to ∂Ŵ and ∂M̂.
            float* u = _u.Data;
            for (int r = 0; r < rows; r++)
            {
                u[r] = _instructions.Data[r];
            }

            FastLinear.Transpose(_hIn.Data, rows, hidden, u + rows);
            float* dW = gradient, dM = gradient + (units * k);
            Avx512Sgemm.Multiply(units, k, rows, u, rows, dNac, k, dW, k, accumulate: false);
            float* tanhW = _tanhW.Data, sigmoidM = _sigmoidM.Data;
            for (long i = 0; i < (long)units * k; i++)
            {
                float tanh = tanhW[i], sigmoid = sigmoidM[i];
                dM[i] = dW[i] * tanh * sigmoid * (1f - sigmoid);
                dW[i] *= sigmoid * (1f - (tanh * tanh));
            }

            AddGradient(_wHat!, dW);
            AddGradient(_mHat!, dM);
        }

        // 4. The encoder's linear layer for every frame at once: through its ReLU, ∂input = ∂y·W, ∂W = ∂yᵀ·input, ∂b = Σ ∂y.
        float* dY = dX, features = _features.Data; // ∂y in place of ∂x's features columns, rows `inputs` apart
        for (long r = 0; r < rows; r++)
        {
            // A mask, not a branch: the ReLU's pattern is unpredictable.
            float* row = dY + (r * inputs), y = features + (r * width);
            for (int j = 0; j < width; j += Vector512<float>.Count)
            {
                Vector512<float> passes = Vector512.GreaterThan(Vector512.Load(y + j), Vector512<float>.Zero);
                Vector512.BitwiseAnd(Vector512.Load(row + j), passes).Store(row + j);
            }
        }

        float* fcWeight = Data(_fcWeight);
        Avx512Sgemm.Multiply(rows, ConvOutput, width, dY, inputs, fcWeight, ConvOutput, _dConvOutput.Data, ConvOutput, accumulate: false);
        float* dYT = _dFeaturesT.Data;
        FastLinear.Transpose(dY, rows, width, inputs, dYT);
        Avx512Sgemm.Multiply(width, ConvOutput, rows, dYT, rows, _convOutput.Data, ConvOutput, gradient, ConvOutput, accumulate: false);
        AddGradient(_fcWeight, gradient);
        RowSums(dYT, width, rows, gradient);
        AddGradient(_fcBias, gradient);

        // 5. The convolutions, for every frame at once.
        float* dW1 = gradient, dB1 = dW1 + _conv1Weight.numel(), dW2 = dB1 + _conv1Bias.numel(), dB2 = dW2 + _conv2Weight.numel();
        FastConvolutions.Backward((byte*)_pixels.Data, true, rows, _convHidden.Data, _convOutput.Data, _dConvOutput.Data, Data(_conv2Weight), dW1, dB1, dW2, dB2);
        AddGradient(_conv1Weight, dW1);
        AddGradient(_conv1Bias, dB1);
        AddGradient(_conv2Weight, dW2);
        AddGradient(_conv2Bias, dB2);

        StartNextRollout();
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        Buffer[] buffers =
        [
            _pixels, _instructions, _convHidden, _convOutput, _features, _x, _hIn, _cIn, _gates, _tanhC, _hOut, _cOut, _keep,
            _h0, _c0, _dHidden, _dGates, _dGatesT, _dX, _dh, _dc, _dhPrev, _dcPrev, _dConvOutput, _dFeaturesT,
            _tanhW, _sigmoidM, _nacWT, _dU, _u, _dNac, _gradients,
        ];
        foreach (Buffer buffer in buffers)
        {
            buffer.Dispose();
        }
    }

    /// <inheritdoc/>
    public override void Restart()
    {
        _steps = 0;
        new Span<float>(_h0.Data, _batch * _hidden).Clear();
        new Span<float>(_c0.Data, _batch * _hidden).Clear();
    }

    /// <summary>The NAC's weight W = tanh(Ŵ)⊙σ(M̂), its factors kept for the backward pass: read once per rollout, since the weights do not change within one.</summary>
    private void ReadNacWeight()
    {
        if (_arithmetic > 0)
        {
            FastLstmCoreStep.NacFactors(Data(_wHat!), Data(_mHat!), _wHat!.numel(), _tanhW.Data, _sigmoidM.Data);
            FastLstmCoreStep.NacWeightTransposed(_tanhW.Data, _sigmoidM.Data, 1 + _hidden, _arithmetic, _nacWT.Data);
        }
    }

    /// <summary>The forward pass of one step into block <paramref name="step"/> of the buffers, from the state after step − 1.</summary>
    private void Forward(int step, Tensor observations, Tensor instructions, Span<float> logits, Span<float> values)
    {
        int batch = _batch, hidden = _hidden, width = _width;
        long first = (long)step * batch;
        if (observations.dtype != ScalarType.Byte || observations.numel() != (long)batch * Pixels)
        {
            throw new ArgumentException($"expected uint8 observations [{batch}, 3, 56, 56]", nameof(observations));
        }

        byte* pixels = (byte*)_pixels.Data + (first * Pixels);
        float* instruction = _instructions.Data + first;
        using (Tensor o = observations.contiguous(), asFloat = instructions.to_type(ScalarType.Float32))
        using (Tensor t = asFloat.contiguous())
        {
            o.bytes.CopyTo(new Span<byte>(pixels, batch * Pixels));
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.bytes)[..batch].CopyTo(new Span<float>(instruction, batch));
        }

        // The state entering this step: the previous step's output through its keep mask, or the rollout's start.
        float* h = _hIn.Data + (first * hidden), c = _cIn.Data + (first * hidden);
        if (step == 0)
        {
            Copy(_h0.Data, h, batch * hidden);
            Copy(_c0.Data, c, batch * hidden);
        }
        else
        {
            Masked(_hOut.Data + ((first - batch) * hidden), _keep.Data + first - batch, h);
            Masked(_cOut.Data + ((first - batch) * hidden), _keep.Data + first - batch, c);
        }

        // Encoder: convolutions, then relu(x·W_fcᵀ + b) through transposes (the kernel's B operand is xᵀ).
        float* convOutput = _convOutput.Data + (first * ConvOutput), features = _features.Data + (first * width);
        FastConvolutions.Forward(pixels, true, batch, Data(_conv1Weight), Data(_conv1Bias), Data(_conv2Weight), Data(_conv2Bias), _convHidden.Data + (first * ConvHidden), convOutput);
        float* xt = _dConvOutput.Data, yt = _dFeaturesT.Data; // free until the backward pass
        FastLinear.Transpose(convOutput, batch, ConvOutput, xt);
        Avx512Sgemm.Multiply(width, batch, ConvOutput, Data(_fcWeight), ConvOutput, xt, batch, yt, batch, accumulate: false);
        FastLinear.TransposeAddingBias(yt, width, batch, Data(_fcBias), features);
        FastLinear.Relu(features, (long)batch * width);

        // Core.
        float* hOut = _hOut.Data + (first * hidden);
        FastLstmCoreStep.Forward(
            batch, width, hidden, _arithmetic, features, instruction, h, c, Data(_wIh), Data(_wHh), Data(_bIh), Data(_bHh),
            _tanhW.Data, _sigmoidM.Data, _x.Data + (first * _inputs), _gates.Data + (first * 4 * hidden), _tanhC.Data + (first * hidden),
            hOut, _cOut.Data + (first * hidden), hidden);

        // Heads.
        float* policyWeight = Data(_policyWeight), policyBias = Data(_policyBias), valueWeight = Data(_valueWeight), valueBias = Data(_valueBias);
        for (int b = 0; b < batch; b++)
        {
            float* row = hOut + ((long)b * hidden);
            for (int a = 0; a < _actions; a++)
            {
                logits[(b * _actions) + a] = FastHeads.Dot(row, policyWeight + ((long)a * hidden), hidden) + policyBias[a];
            }

            values[b] = FastHeads.Dot(row, valueWeight, hidden) + valueBias[0];
        }
    }

    /// <summary>The state after the last recorded step (through its keep mask) becomes the next rollout's start.</summary>
    private void StartNextRollout()
    {
        if (_steps > 0)
        {
            long last = (long)(_steps - 1) * _batch;
            Masked(_hOut.Data + (last * _hidden), _keep.Data + last, _h0.Data);
            Masked(_cOut.Data + (last * _hidden), _keep.Data + last, _c0.Data);
        }

        _steps = 0;
    }

    /// <summary>target[b] = source[b]·keep[b] for the B rows of a state half.</summary>
    private void Masked(float* source, float* keep, float* target)
    {
        for (int b = 0; b < _batch; b++)
        {
            long row = (long)b * _hidden;
            if (keep[b] == 0f)
            {
                new Span<float>(target + row, _hidden).Clear();
            }
            else
            {
                Copy(source + row, target + row, _hidden);
            }
        }
    }

    /// <summary>grad += <paramref name="values"/> (as many as the parameter has), or grad = them if it has none yet.</summary>
    private static void AddGradient(Tensor parameter, float* values)
    {
        using Tensor? existing = parameter.grad;
        long count = parameter.numel();
        if (existing is null)
        {
            Tensor gradient = empty_like(parameter);
            Copy(values, Data(gradient), count);
            parameter.grad = gradient;
            gradient.Dispose();
            return;
        }

        float* g = Data(existing);
        long i = 0;
        for (; i + Vector512<float>.Count <= count; i += Vector512<float>.Count)
        {
            (Vector512.Load(g + i) + Vector512.Load(values + i)).Store(g + i);
        }

        for (; i < count; i++)
        {
            g[i] += values[i];
        }
    }

    /// <summary>The sums of the <paramref name="rows"/> rows of <paramref name="columns"/> columns each.</summary>
    private static void RowSums(float* data, int rows, int columns, float* result)
    {
        for (long r = 0; r < rows; r++)
        {
            float* row = data + (r * columns);
            Vector512<float> sum = Vector512<float>.Zero;
            int j = 0;
            for (; j + Vector512<float>.Count <= columns; j += Vector512<float>.Count)
            {
                sum += Vector512.Load(row + j);
            }

            float total = Vector512.Sum(sum);
            for (; j < columns; j++)
            {
                total += row[j];
            }

            result[r] = total;
        }
    }

    private static void Copy(float* source, float* target, long count) =>
        System.Buffer.MemoryCopy(source, target, count * sizeof(float), count * sizeof(float));

    private static float* Data(Tensor t) =>
        (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref t.bytes.GetPinnableReference()); // parameters: contiguous, storage never moves

    /// <summary>A 64-byte-aligned float buffer of fixed size in native memory, freed with the pass (or, failing that, when collected).</summary>
    private sealed class Buffer(long floats) : IDisposable
    {
        public float* Data { get; private set; } = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(Math.Max(floats, 1) * sizeof(float)), 64);

        public void Dispose()
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(Data);
            Data = null;
            GC.SuppressFinalize(this);
        }

        ~Buffer() => System.Runtime.InteropServices.NativeMemory.AlignedFree(Data);
    }
}
