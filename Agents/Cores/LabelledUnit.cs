using GridTime.Agents.Layers;

namespace GridTime.Agents.Cores;

/// <summary>
/// A NAC of a core (also the NAC inside a NALU) with names for the rows and columns of its weights W [inputs x
/// outputs], as <c>gridtime inspect</c> prints them: "T" the instruction, "h1".."hH" the LSTM's previous output,
/// "a1".."aK" the counter's accumulators, "1" a constant input.
/// </summary>
/// <param name="Role">What the unit does in the core, one line.</param>
/// <param name="Unit">The NAC.</param>
/// <param name="Inputs">A name per input (row of W).</param>
/// <param name="Outputs">A name per output (column of W).</param>
public sealed record LabelledUnit(string Role, Nac Unit, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    /// <summary>"h1", "h2", ..., "h<paramref name="count"/>".</summary>
    public static string[] Numbered(string prefix, long count) => [.. Enumerable.Range(1, (int)count).Select(i => $"{prefix}{i}")];
}
