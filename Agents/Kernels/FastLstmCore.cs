using GridTime.Agents.Cores;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The paper's cores (<see cref="LstmCore"/>: baseline, and nac or nalu with a NAC or NALU reading [T | h(t−1)]) on
/// the fast path: x = [features | T | unit([T | h])] (or unit([T]) when the unit reads T alone) into one LSTM cell;
/// output h'. State [h | c].
/// </summary>
internal sealed unsafe class FastLstmCore : FastCore
{
    private readonly LstmKernel _lstm;
    private readonly ArithmeticUnitKernel? _unit;
    private readonly int _features, _hidden, _arithmetic, _units;
    private readonly RolloutBuffer _dh, _dTail, _dU;

    public FastLstmCore(LstmCore core, int features, int batch, int steps) : base(batch, steps)
    {
        _lstm = new LstmKernel(core.Cell, batch, steps, features);
        _unit = core.Arithmetic is null ? null : ArithmeticUnitKernel.For(core.Arithmetic, batch, steps)
            ?? throw new ArgumentException($"no kernel for the arithmetic unit {core.Arithmetic.GetType().Name}");
        _features = features;
        _hidden = core.Hidden;
        _arithmetic = _unit?.Outputs ?? 0;
        _units = core.ArithmeticReadsState ? 1 + _hidden : 1; // the unit's input: [T | h(t−1)] or [T]
        _dh = new((long)batch * _hidden);
        _dTail = new((long)batch * (1 + _arithmetic));
        _dU = new((long)batch * _units);
    }

    public override int FeatureSize => _features;

    public override int StateSize => 2 * _hidden;

    public override int OutputSize => _hidden;

    public override void BeginRollout()
    {
        _lstm.BeginRollout();
        _unit?.Refresh();
    }

    public override void ProjectFrames(int first, int count, float* features) => _lstm.ProjectFrames(first, count, features, _features);

    public override void Forward(int step, int* frames, float* instructions, float* state, float* output, float* nextState)
    {
        int batch = Batch, hidden = _hidden, tail = _lstm.Tail, units = _units;
        float* x = _lstm.X(step); // x's columns after the features, [T | unit output]; the features' part comes per frame (ProjectFrames)
        for (int b = 0; b < batch; b++)
        {
            x[(long)b * tail] = instructions[b];
        }

        if (_unit is not null)
        {
            // The unit reads [T | h(t−1)] (or [T]); its output fills x's last columns.
            float* u = _unit.Input(step);
            for (int b = 0; b < batch; b++)
            {
                u[(long)b * units] = instructions[b];
                if (units > 1)
                {
                    Copy(state + ((long)b * 2 * hidden), u + ((long)b * units) + 1, hidden);
                }
            }

            _unit.Forward(step, x + 1, tail);
        }

        _lstm.Forward(step, frames, state, state + hidden, 2 * hidden, nextState, nextState + hidden, 2 * hidden);
        for (int b = 0; b < batch; b++)
        {
            Copy(nextState + ((long)b * 2 * hidden), output + ((long)b * hidden), hidden);
        }
    }

    public override void Backward(int step, float* instructions, float* state, float* nextState, float* dOutput, float* dNextState, float* dState)
    {
        int batch = Batch, hidden = _hidden, units = _units;
        float* dh = _dh.Data;
        for (int b = 0; b < batch; b++)
        {
            float* row = dh + ((long)b * hidden);
            Copy(dOutput + ((long)b * hidden), row, hidden);
            Add(dNextState + ((long)b * 2 * hidden), row, hidden);
        }

        // ∂x: its features part goes to the encoder (FinishBackward), ∂T is dropped, the unit's part goes back into ∂h(t−1).
        float* dTail = _dTail.Data;
        _lstm.Backward(step, dh, dNextState + hidden, state + hidden, 2 * hidden, dTail, dState, dState + hidden);
        if (_unit is not null)
        {
            // The unit keeps ∂y for its weight gradients; only a unit that reads h(t−1) sends gradient back into it (∂T is dropped).
            float* dU = _dU.Data;
            _unit.Backward(step, dTail + 1, 1 + _arithmetic, dU);
            for (int b = 0; units > 1 && b < batch; b++)
            {
                Add(dU + ((long)b * units) + 1, dState + ((long)b * 2 * hidden), hidden);
            }
        }
    }

    public override void FinishBackward(int steps, int* frames, int frameCount, float* frameFeatures, float* instructions, float* states, float* dFrames)
    {
        _lstm.FinishBackward(steps, states, 2 * _hidden, frames, frameCount, frameFeatures, _features, dFrames);
        _unit?.AddWeightGradients(steps);
    }

    protected override void Dispose(bool disposing)
    {
        _lstm.Dispose();
        _unit?.Dispose();
        foreach (RolloutBuffer buffer in new[] { _dh, _dTail, _dU })
        {
            buffer.Dispose();
        }
    }
}
