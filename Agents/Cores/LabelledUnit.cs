using GridTime.Agents.Layers;

namespace GridTime.Agents.Cores;

/// <summary>
/// An arithmetic unit of a core (a NAC, the NAC inside a NALU, or a NAU) with names for the rows and columns of its
/// effective weights W [inputs x outputs], as <c>gridtime inspect</c> prints them: "T" the instruction, "h1".."hH" the
/// LSTM's previous output, "a1".."aK" the counter's accumulators, "1" a constant input.
/// </summary>
/// <param name="Role">What the unit does in the core, one line.</param>
/// <param name="Weight">Its effective weights W [inputs, outputs] (a NAC's tanh(Ŵ)·σ(M̂), a NAU's W), a new tensor.</param>
/// <param name="Inputs">A name per input (row of W).</param>
/// <param name="Outputs">A name per output (column of W).</param>
public sealed record LabelledUnit(string Role, Func<TorchSharp.torch.Tensor> Weight, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    /// <summary>A NAC's unit: W = tanh(Ŵ)·σ(M̂).</summary>
    public static LabelledUnit Of(string role, Nac unit, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs) => new(role, unit.Weight, inputs, outputs);

    /// <summary>A NAU's unit: W itself.</summary>
    public static LabelledUnit Of(string role, Nau unit, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs) => new(role, () => unit.Weight.detach().clone(), inputs, outputs);

    /// <summary>"h1", "h2", ..., "h<paramref name="count"/>".</summary>
    public static string[] Numbered(string prefix, long count) => [.. Enumerable.Range(1, (int)count).Select(i => $"{prefix}{i}")];
}
