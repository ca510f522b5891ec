using GridTime.Agents.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Agents.Arithmetic;

/// <summary>The three models compared on the static arithmetic task.</summary>
public enum ArithmeticModel
{
    /// <summary>Linear 10 → 16, ReLU6, linear 16 → 1: a standard network, which cannot extrapolate.</summary>
    Mlp,

    /// <summary>NAC 10 → 2, NAC 2 → 1.</summary>
    Nac,

    /// <summary>NALU 10 → 2, NALU 2 → 1.</summary>
    Nalu,

    /// <summary>NAU 10 → 2, NAU 2 → 1 (Madsen &amp; Johansen 2020): addition and subtraction.</summary>
    Nau,

    /// <summary>NAU 10 → 2, NMU 2 → 1 (Madsen &amp; Johansen 2020): multiplication.</summary>
    Nmu,
}

/// <summary>Builds the models of <see cref="ArithmeticModel"/>.</summary>
public static class ArithmeticModels
{
    /// <summary>Width of the MLP's hidden layer.</summary>
    public const int MlpHidden = 16;

    /// <summary>Width of the hidden layer of the two-layer NAC and NALU: two, one for a and one for b.</summary>
    public const int ArithmeticHidden = 2;

    /// <summary>A freshly initialised model with <paramref name="inputs"/> inputs and one output, determined by <paramref name="seed"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(ArithmeticModel model, int inputs, ulong seed) =>
        SeededConstruction.Build(seed, () => model switch
        {
            ArithmeticModel.Mlp => nn.Sequential(nn.Linear(inputs, MlpHidden), nn.ReLU6(), nn.Linear(MlpHidden, 1)),
            ArithmeticModel.Nac => nn.Sequential(new Nac(inputs, ArithmeticHidden, "nac1"), new Nac(ArithmeticHidden, 1, "nac2")),
            ArithmeticModel.Nau => nn.Sequential(new Nau(inputs, ArithmeticHidden, "nau1"), new Nau(ArithmeticHidden, 1, "nau2")),
            ArithmeticModel.Nmu => nn.Sequential(new Nau(inputs, ArithmeticHidden, "nau1"), new Nmu(ArithmeticHidden, 1, "nmu")),
            _ => (nn.Module<Tensor, Tensor>)nn.Sequential(new Nalu(inputs, ArithmeticHidden, name: "nalu1"), new Nalu(ArithmeticHidden, 1, name: "nalu2")),
        });
}
