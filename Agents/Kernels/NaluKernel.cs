using GridTime.Agents.Layers;
using static GridTime.Agents.Kernels.ParameterMemory;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A <see cref="Nalu"/> (its arithmetic in <see cref="NaluMath"/>) as an <see cref="ArithmeticUnitKernel"/>, with
/// ℓ = log(|u| + ε): ∂u = ∂a·Wᵀ + (∂(ℓ·W)·Wᵀ)⊙sign(u)/(|u| + ε) + ∂(u·G)·Gᵀ; ∂W = uᵀ·∂a + ℓᵀ·∂(ℓ·W), ∂G = uᵀ·∂(u·G).
/// </summary>
internal sealed unsafe class NaluKernel : ArithmeticUnitKernel
{
    private readonly Nalu _nalu;
    private readonly NacKernel _nac;
    private readonly float _epsilon;
    private readonly RolloutBuffer _log, _logT, _add, _multiply, _gate, _dLogW, _dGateInput, _gT, _scratch, _dW, _dG;

    public NaluKernel(Nalu nalu, int batch, int steps) : base((int)nalu.Gate.shape[0], (int)nalu.Gate.shape[1], batch, steps)
    {
        _nalu = nalu;
        _nac = new NacKernel(nalu.Accumulator);
        _epsilon = (float)nalu.Epsilon;
        long rows = (long)(steps + 1) * batch, inputs = Inputs, outputs = Outputs;
        (_log, _logT) = (new(rows * inputs), new(rows * inputs));
        (_add, _multiply, _gate) = (new(rows * outputs), new(rows * outputs), new(rows * outputs));
        (_dLogW, _dGateInput) = (new(rows * outputs), new(rows * outputs));
        _gT = new(inputs * outputs);
        _scratch = new(batch * inputs);
        (_dW, _dG) = (new(inputs * outputs), new(inputs * outputs));
    }

    public override void Refresh()
    {
        _nac.Refresh();
        float* g = Data(_nalu.Gate);
        for (int i = 0; i < Inputs; i++)
        {
            for (int j = 0; j < Outputs; j++)
            {
                _gT.Data[((long)j * Inputs) + i] = g[((long)i * Outputs) + j];
            }
        }
    }

    public override void Forward(int step, float* y, long ldY)
    {
        int batch = Batch, inputs = Inputs, outputs = Outputs;
        long first = (long)step * batch;
        float* u = Input(step), log = _log.Data + (first * inputs);
        float* add = _add.Data + (first * outputs), multiply = _multiply.Data + (first * outputs), gate = _gate.Data + (first * outputs);
        NaluMath.Log(u, (long)batch * inputs, _epsilon, log);

        _nac.Forward(batch, u, inputs, add, outputs);
        _nac.Forward(batch, log, inputs, multiply, outputs);
        Sgemm.Multiply(batch, outputs, inputs, u, inputs, Data(_nalu.Gate), outputs, gate, outputs, accumulate: false);
        for (int b = 0; b < batch; b++)
        {
            long row = (long)b * outputs;
            NaluMath.Mix(add + row, multiply + row, gate + row, y + (b * ldY), outputs);
        }
    }

    public override void Backward(int step, float* dy, long ldDy, float* du)
    {
        int batch = Batch, inputs = Inputs, outputs = Outputs;
        long first = (long)step * batch;
        float* add = _add.Data + (first * outputs), multiply = _multiply.Data + (first * outputs), gate = _gate.Data + (first * outputs);
        float* dAdd = DY.Data + (first * outputs), dLogW = _dLogW.Data + (first * outputs), dGateInput = _dGateInput.Data + (first * outputs);
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < outputs; j++)
            {
                long i = ((long)b * outputs) + j;
                (dAdd[i], dLogW[i], dGateInput[i]) = NaluMath.MixBackward(dy[(b * ldDy) + j], add[i], multiply[i], gate[i]);
            }
        }

        // ∂u = ∂a·Wᵀ + (∂(ℓ·W)·Wᵀ)⊙sign(u)/(|u| + ε) + ∂(u·G)·Gᵀ.
        float* u = Input(step), scratch = _scratch.Data;
        _nac.Backward(batch, dLogW, outputs, scratch, inputs);
        NaluMath.LogBackward(scratch, u, (long)batch * inputs, _epsilon);

        _nac.Backward(batch, dAdd, outputs, du, inputs);
        Add(scratch, du, batch * inputs);
        Sgemm.Multiply(batch, inputs, outputs, dGateInput, outputs, _gT.Data, inputs, du, inputs, accumulate: true);
    }

    public override void AddWeightGradients(int steps)
    {
        int rows = steps * Batch, inputs = Inputs, outputs = Outputs;
        FastLinear.Transpose(U.Data, rows, inputs, UT.Data);
        FastLinear.Transpose(_log.Data, rows, inputs, _logT.Data);
        float* dW = _dW.Data;
        Sgemm.Multiply(inputs, outputs, rows, UT.Data, rows, DY.Data, outputs, dW, outputs, accumulate: false);
        Sgemm.Multiply(inputs, outputs, rows, _logT.Data, rows, _dLogW.Data, outputs, dW, outputs, accumulate: true);
        _nac.AddWeightGradients(dW);
        Sgemm.Multiply(inputs, outputs, rows, UT.Data, rows, _dGateInput.Data, outputs, _dG.Data, outputs, accumulate: false);
        AddGradient(_nalu.Gate, _dG.Data);
    }

    protected override void Dispose(bool disposing)
    {
        _nac.Dispose();
        foreach (RolloutBuffer buffer in new[] { _log, _logT, _add, _multiply, _gate, _dLogW, _dGateInput, _gT, _scratch, _dW, _dG })
        {
            buffer.Dispose();
        }

        base.Dispose(disposing);
    }
}
