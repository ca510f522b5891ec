using GridTime.Agents.Cores;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// <see cref="CounterCore"/> and its ablations on the fast path. Per step:
/// count = a + NAC_step([1]) (the step NAC's one row of W), left = NAC_read([T | count]), the LSTM reads
/// [features | left] ([features] only, or [features | T | left], by wiring), output [h' | left] or h'.
/// State [h | c | a]. Backward: ∂left gathers the heads' and the LSTM's parts, ∂count = ∂a' + ∂left·W_readᵀ (its
/// count rows); ∂W_read = Σ [T | count]ᵀ·∂left and ∂W_step = Σ ∂count over the rollout.
/// </summary>
internal sealed unsafe class FastCounterCore : FastCore
{
    private readonly LstmKernel _lstm;
    private readonly NacKernel _step, _read;
    private readonly CounterWiring _wiring;
    private readonly int _features, _hidden, _counters, _inputs;
    private readonly RolloutBuffer _readInput, _readInputT, _dLeft, _dCount, _dh, _dTail, _dReadInput;

    public FastCounterCore(CounterCore core, int features, int batch, int steps) : base(batch, steps)
    {
        _lstm = new LstmKernel(core.Cell, batch, steps, features);
        _step = new NacKernel(core.StepNac);
        _read = new NacKernel(core.ReadNac);
        _wiring = core.Wiring;
        _features = features;
        _hidden = core.Hidden;
        _counters = core.Counters;
        _inputs = _lstm.Inputs;
        long rows = (long)(steps + 1) * batch;
        _readInput = new(rows * (1 + _counters));
        _readInputT = new(rows * (1 + _counters));
        _dLeft = new(rows * _counters);
        _dCount = new(rows * _counters);
        _dh = new((long)batch * _hidden);
        _dTail = new((long)batch * Math.Max(1, _inputs - features));
        _dReadInput = new((long)batch * (1 + _counters));
    }

    public override int FeatureSize => _features;

    public override int StateSize => (2 * _hidden) + _counters;

    public override int OutputSize => _hidden + (ToHeads ? _counters : 0);

    private bool ToHeads => _wiring != CounterWiring.LstmOnly;

    private bool ToLstm => _wiring != CounterWiring.HeadsOnly;

    // Where the time left sits in the LSTM's input: after the features (and T, with the raw T wired in).
    private int LeftColumn => _features + (_wiring == CounterWiring.LstmAndHeadsWithT ? 1 : 0);

    public override void BeginRollout()
    {
        _lstm.BeginRollout();
        _step.Refresh();
        _read.Refresh();
    }

    public override void ProjectFrames(int first, int count, float* features) => _lstm.ProjectFrames(first, count, features, _features);

    public override void Forward(int step, int* frames, float* instructions, float* state, float* output, float* nextState)
    {
        int batch = Batch, hidden = _hidden, k = _counters, s = StateSize, tail = _lstm.Tail, o = OutputSize;
        long first = (long)step * batch;
        float* readInput = _readInput.Data + (first * (1 + k)), x = _lstm.X(step), increment = _step.W;
        for (int b = 0; b < batch; b++)
        {
            // count = a + NAC_step([1]), into the next state and the readout's input [T | count].
            float* a = state + ((long)b * s) + (2 * hidden), count = nextState + ((long)b * s) + (2 * hidden), u = readInput + ((long)b * (1 + k));
            u[0] = instructions[b];
            for (int j = 0; j < k; j++)
            {
                count[j] = a[j] + increment[j];
                u[1 + j] = count[j];
            }

            if (_wiring == CounterWiring.LstmAndHeadsWithT)
            {
                x[(long)b * tail] = instructions[b]; // x's first column after the features; their part comes per frame (ProjectFrames)
            }
        }

        // left = [T | count]·W_read, straight into the LSTM's input (or a free block of ∂left when only the heads read it).
        float* left = ToLstm ? x + (LeftColumn - _features) : _dLeft.Data + (first * k);
        long ldLeft = ToLstm ? tail : k;
        _read.Forward(batch, readInput, 1 + k, left, ldLeft);
        _lstm.Forward(step, frames, state, state + hidden, s, nextState, nextState + hidden, s);
        for (int b = 0; b < batch; b++)
        {
            Copy(nextState + ((long)b * s), output + ((long)b * o), hidden);
            if (ToHeads)
            {
                Copy(left + (b * ldLeft), output + ((long)b * o) + hidden, k);
            }
        }
    }

    public override void Backward(int step, float* instructions, float* state, float* nextState, float* dOutput, float* dNextState, float* dState)
    {
        int batch = Batch, hidden = _hidden, k = _counters, s = StateSize, o = OutputSize;
        long first = (long)step * batch;
        float* dh = _dh.Data, dLeft = _dLeft.Data + (first * k), dCount = _dCount.Data + (first * k), dTail = _dTail.Data;
        for (int b = 0; b < batch; b++)
        {
            float* row = dh + ((long)b * hidden);
            Copy(dOutput + ((long)b * o), row, hidden);
            Add(dNextState + ((long)b * s), row, hidden);
            float* dl = dLeft + ((long)b * k);
            if (ToHeads)
            {
                Copy(dOutput + ((long)b * o) + hidden, dl, k);
            }
            else
            {
                new Span<float>(dl, k).Clear();
            }
        }

        _lstm.Backward(step, dh, dNextState + hidden, state + hidden, s, dTail, dState, dState + hidden);
        if (ToLstm)
        {
            int tail = _inputs - _features, offset = LeftColumn - _features;
            for (int b = 0; b < batch; b++)
            {
                Add(dTail + ((long)b * tail) + offset, dLeft + ((long)b * k), k);
            }
        }

        // ∂[T | count] = ∂left·W_readᵀ; ∂count = ∂a' + its count part, which is also ∂a (count = a + W_step).
        float* dReadInput = _dReadInput.Data;
        _read.Backward(batch, dLeft, k, dReadInput, 1 + k);
        for (int b = 0; b < batch; b++)
        {
            float* dc = dCount + ((long)b * k);
            Copy(dNextState + ((long)b * s) + (2 * hidden), dc, k);
            Add(dReadInput + ((long)b * (1 + k)) + 1, dc, k);
            Copy(dc, dState + ((long)b * s) + (2 * hidden), k);
        }
    }

    public override void FinishBackward(int steps, int* frames, int frameCount, float* frameFeatures, float* instructions, float* states, float* dFrames)
    {
        int rows = steps * Batch, k = _counters;
        _lstm.FinishBackward(steps, states, StateSize, frames, frameCount, frameFeatures, _features, dFrames);
        FastLinear.Transpose(_readInput.Data, rows, 1 + k, _readInputT.Data);
        _read.AddWeightGradients(rows, _readInputT.Data, rows, _dLeft.Data, k);

        // The step NAC's input is the constant 1: ∂W_step = Σ over the rollout of ∂count.
        float* dW = _dReadInput.Data;
        ColumnSums(_dCount.Data, rows, k, k, dW);
        _step.AddWeightGradients(dW);
    }

    protected override void Dispose(bool disposing)
    {
        _lstm.Dispose();
        _step.Dispose();
        _read.Dispose();
        foreach (RolloutBuffer buffer in new[] { _readInput, _readInputT, _dLeft, _dCount, _dh, _dTail, _dReadInput })
        {
            buffer.Dispose();
        }
    }
}
