using GridTime.Agents.Kernels;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Arithmetic;

/// <summary>
/// Adam (Kingma &amp; Ba 2015, Algorithm 1; β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, as PyTorch's defaults) over a module's
/// parameters with moments of its own, each step one <see cref="AdamStep"/> pass per parameter. Not TorchSharp's
/// <c>optim.Adam</c>: its step turns numbers into <c>Scalar</c>s that nothing keeps alive, which a garbage collection
/// on another thread may free while libtorch still reads them (the arithmetic task trains models on every core at once).
/// </summary>
public sealed unsafe class ParameterAdam
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
    private readonly Parameter[] _parameters;
    private readonly float[][] _m, _v;
    private int _steps;

    /// <summary>An optimizer of <paramref name="parameters"/> (contiguous float32 CPU tensors), its moments 0.</summary>
    public ParameterAdam(IEnumerable<Parameter> parameters)
    {
        _parameters = [.. parameters];
        _m = [.. _parameters.Select(p => new float[p.numel()])];
        _v = [.. _parameters.Select(p => new float[p.numel()])];
    }

    /// <summary>Sets every parameter's gradient to 0 (where it has one).</summary>
    public void ZeroGradients()
    {
        foreach (Parameter parameter in _parameters)
        {
            using Tensor? gradient = parameter.grad; // a new wrapper on each get: disposed here
            gradient?.zero_();
        }
    }

    /// <summary>One step at learning rate <paramref name="learningRate"/> for every parameter that has a gradient.</summary>
    public void Step(double learningRate)
    {
        _steps++;
        double stepSize = -learningRate / (1 - Math.Pow(Beta1, _steps)), rootCorrection2 = Math.Sqrt(1 - Math.Pow(Beta2, _steps));
        for (int i = 0; i < _parameters.Length; i++)
        {
            using Tensor? gradient = _parameters[i].grad;
            if (gradient is null)
            {
                continue;
            }

            fixed (float* m = _m[i], v = _v[i])
            {
                AdamStep.Apply(ParameterMemory.Data(_parameters[i]), ParameterMemory.Data(gradient), m, v, _m[i].Length, Beta1, Beta2, Epsilon, stepSize, rootCorrection2);
            }
        }
    }
}
