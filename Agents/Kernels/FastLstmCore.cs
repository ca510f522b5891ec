using GridTime.Agents.Cores;
using GridTime.Agents.Layers;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The paper's cores (<see cref="LstmCore"/>: baseline, and nac with a NAC reading [T | h(t−1)]) on the fast
/// path: x = [features | T | NAC([T | h])] into one LSTM cell; output h'. State [h | c].
/// </summary>
internal sealed unsafe class FastLstmCore : FastCore
{
    private readonly LstmKernel _lstm;
    private readonly NacKernel? _nac;
    private readonly int _features, _hidden, _arithmetic;
    private readonly RolloutBuffer _u, _uT, _dNac, _dh, _dTail, _dU;

    public FastLstmCore(LstmCore core, int features, int batch, int steps) : base(batch, steps)
    {
        _lstm = new LstmKernel(core.Cell, batch, steps);
        _nac = core.Arithmetic is Nac nac ? new NacKernel(nac) : null;
        _features = features;
        _hidden = core.Hidden;
        _arithmetic = _nac?.Outputs ?? 0;
        long rows = (long)(steps + 1) * batch, units = 1 + _hidden;
        _u = new(_nac is null ? 1 : rows * units);
        _uT = new(_nac is null ? 1 : rows * units);
        _dNac = new(rows * _arithmetic);
        _dh = new((long)batch * _hidden);
        _dTail = new((long)batch * (1 + _arithmetic));
        _dU = new((long)batch * units);
    }

    public override int FeatureSize => _features;

    public override int StateSize => 2 * _hidden;

    public override int OutputSize => _hidden;

    public override void BeginRollout() => _nac?.Refresh();

    public override void Forward(int step, float* features, float* instructions, float* state, float* output, float* nextState)
    {
        int batch = Batch, hidden = _hidden, inputs = _lstm.Inputs, units = 1 + hidden;
        float* x = _lstm.X(step);
        for (int b = 0; b < batch; b++)
        {
            Copy(features + ((long)b * _features), x + ((long)b * inputs), _features);
            x[((long)b * inputs) + _features] = instructions[b];
        }

        if (_nac is not null)
        {
            // The NAC reads [T | h(t−1)]; its output fills x's last columns.
            float* u = _u.Data + ((long)step * batch * units);
            for (int b = 0; b < batch; b++)
            {
                u[(long)b * units] = instructions[b];
                Copy(state + ((long)b * 2 * hidden), u + ((long)b * units) + 1, hidden);
            }

            _nac.Forward(batch, u, units, x + _features + 1, inputs);
        }

        _lstm.Forward(step, state, state + hidden, 2 * hidden, nextState, nextState + hidden, 2 * hidden);
        for (int b = 0; b < batch; b++)
        {
            Copy(nextState + ((long)b * 2 * hidden), output + ((long)b * hidden), hidden);
        }
    }

    public override void Backward(int step, float* features, float* instructions, float* state, float* dOutput, float* dNextState, float* dFeatures, float* dState)
    {
        int batch = Batch, hidden = _hidden, units = 1 + hidden;
        float* dh = _dh.Data;
        for (int b = 0; b < batch; b++)
        {
            float* row = dh + ((long)b * hidden);
            Copy(dOutput + ((long)b * hidden), row, hidden);
            Add(dNextState + ((long)b * 2 * hidden), row, hidden);
        }

        // ∂x: its features part goes to the encoder, ∂T is dropped, the NAC's part goes back into ∂h(t−1).
        float* dTail = _dTail.Data;
        _lstm.Backward(step, dh, dNextState + hidden, state + hidden, 2 * hidden, dFeatures, _features, dTail, dState, dState + hidden);
        if (_nac is not null)
        {
            float* dU = _dU.Data;
            _nac.Backward(batch, dTail + 1, 1 + _arithmetic, dU, units);
            for (int b = 0; b < batch; b++)
            {
                Add(dU + ((long)b * units) + 1, dState + ((long)b * 2 * hidden), hidden);
            }

            // ∂nac of this step, kept for the NAC's weight gradient.
            float* dNac = _dNac.Data + ((long)step * batch * _arithmetic);
            for (int b = 0; b < batch; b++)
            {
                Copy(dTail + ((long)b * (1 + _arithmetic)) + 1, dNac + ((long)b * _arithmetic), _arithmetic);
            }
        }
    }

    public override void AddWeightGradients(int steps, float* features, float* instructions, float* states)
    {
        _lstm.AddWeightGradients(steps, states, 2 * _hidden);
        if (_nac is not null)
        {
            // ∂W = [T | h]ᵀ·∂nac over the rollout.
            int rows = steps * Batch, units = 1 + _hidden;
            FastLinear.Transpose(_u.Data, rows, units, _uT.Data);
            _nac.AddWeightGradients(rows, _uT.Data, rows, _dNac.Data, _arithmetic);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _lstm.Dispose();
        _nac?.Dispose();
        foreach (RolloutBuffer buffer in new[] { _u, _uT, _dNac, _dh, _dTail, _dU })
        {
            buffer.Dispose();
        }
    }
}
