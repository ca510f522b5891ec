using GridTime.Agents.Kernels;
using GridTime.Agents.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// The paper's cores: one LSTM cell whose input is [features, T] (baseline) or
/// [features, T, A([T, h(t−1)])] where A is a NAC or a NALU (nac, nalu); A reads [T] alone when built with
/// input width 1 (<see cref="ArithmeticInput.Instruction"/>).
/// <code>
///   features ──┐
///   T ─────────┼──────────────────────────► LSTM ──► h(t) ──► heads
///   T, h(t−1) ─┴─► NAC or NALU (width 8) ──►  ▲
/// </code>
/// State layout: [h (Hidden) | c (Hidden)].
/// </summary>
public sealed class LstmCore : RecurrentCore
{
    private readonly LSTMCell lstm;
    private readonly nn.Module<Tensor, Tensor>? arithmetic;

    /// <summary>A core reading <paramref name="features"/> encoder features.</summary>
    /// <param name="features">Encoder output width.</param>
    /// <param name="hidden">LSTM width.</param>
    /// <param name="arithmetic">The NAC or NALU that reads [T, h(t−1)], or null for the baseline.</param>
    /// <param name="arithmeticWidth">Output width of <paramref name="arithmetic"/>.</param>
    public LstmCore(int features, int hidden, nn.Module<Tensor, Tensor>? arithmetic, int arithmeticWidth) : base("core")
    {
        Hidden = hidden;
        this.arithmetic = arithmetic;
        lstm = nn.LSTMCell(features + 1 + (arithmetic is null ? 0 : arithmeticWidth), hidden);
        using (no_grad())
        {
            // Zero LSTM biases, as in the A3C implementations this agent follows.
            lstm.bias_ih!.zero_();
            lstm.bias_hh!.zero_();
        }

        RegisterComponents();
    }

    /// <summary>The LSTM cell, for kernels that run the step without autograd (<see cref="FastRolloutPass"/>).</summary>
    internal LSTMCell Cell => lstm;

    /// <summary>The NAC or NALU reading [T, h(t−1)] (or [T] alone, <see cref="ArithmeticReadsState"/>), or null for the baseline.</summary>
    internal nn.Module<Tensor, Tensor>? Arithmetic => arithmetic;

    /// <summary>Whether the arithmetic unit reads [T, h(t−1)] (input width 1 + Hidden) rather than [T] alone (width 1).</summary>
    internal bool ArithmeticReadsState => arithmetic is not null && ArithmeticInputs != 1;

    // The unit's input width, from its weights: 1 + Hidden or 1.
    private long ArithmeticInputs => arithmetic switch
    {
        null => 0,
        Nac nac => nac.WHat.shape[0],
        Nalu nalu => nalu.Gate.shape[0],
        _ => throw new InvalidOperationException($"no input width for {arithmetic.GetType().Name}"),
    };

    /// <inheritdoc/>
    public override IReadOnlyList<LabelledUnit> ArithmeticUnits => arithmetic switch
    {
        Nac nac => [Labelled(nac, $"NAC reading {Reads}; its outputs n go into the LSTM beside the features and T", "n")],
        Nalu nalu => [Labelled(nalu.Accumulator, $"the NALU's NAC reading {Reads}; the NALU's outputs n go into the LSTM", "n")],
        _ => [],
    };

    /// <summary>Width of h and c.</summary>
    public int Hidden { get; }

    /// <inheritdoc/>
    public override int StateSize => 2 * Hidden;

    /// <inheritdoc/>
    public override int OutputSize => Hidden;

    /// <inheritdoc/>
    public override long FeatureMultiplyAddsPerStep(int features) => 4L * Hidden * features;

    /// <inheritdoc/>
    public override long MultiplyAddsPerStep(int features)
    {
        long inputs = lstm.weight_ih!.shape[1], units = ArithmeticInputs;
        long unit = arithmetic switch
        {
            null => 0,
            Nac nac => units * nac.WHat.shape[1],
            Nalu nalu => 3 * units * nalu.Gate.shape[1], // the add path, the log path and the gate
            _ => throw new InvalidOperationException($"no multiply-add count for {arithmetic.GetType().Name}"),
        };
        return unit + (4L * Hidden * (inputs + Hidden));
    }

    /// <inheritdoc/>
    public override bool HasFastCore(int features) =>
        arithmetic is null or Nac or Nalu && lstm.bias_ih is not null && lstm.bias_hh is not null;

    /// <inheritdoc/>
    public override FastCore? CreateFastCore(int features, int batch, int steps) =>
        HasFastCore(features) ? new FastLstmCore(this, features, batch, steps) : null;

    /// <inheritdoc/>
    public override (string Output, string State) ExportStep(Onnx.OnnxGraph graph, string features, string instruction, string state)
    {
        string h = graph.Columns(state, 0, Hidden), c = graph.Columns(state, Hidden, Hidden);
        string input = arithmetic switch
        {
            null => graph.Concat(features, instruction),
            Nac nac => graph.Concat(features, instruction, nac.Export(graph, ArithmeticReadsState ? graph.Concat(instruction, h) : instruction)),
            Nalu nalu => graph.Concat(features, instruction, nalu.Export(graph, ArithmeticReadsState ? graph.Concat(instruction, h) : instruction)),
            _ => throw new InvalidOperationException($"no ONNX export for {arithmetic.GetType().Name}"),
        };
        (string nextH, string nextC) = graph.LstmCell(lstm, input, h, c, "core.lstm");
        return (nextH, graph.Concat(nextH, nextC));
    }

    /// <inheritdoc/>
    public override (Tensor Output, Tensor State) Step(Tensor features, Tensor instruction, Tensor state)
    {
        if ((arithmetic is null || (arithmetic is Nac && ArithmeticReadsState)) && FastLstmCoreStep.Takes(lstm, features, instruction))
        {
            return FastLstmCoreStep.Step(lstm, arithmetic as Nac, features, instruction, state);
        }

        using var scope = NewDisposeScope();
        Tensor h = state.narrow(1, 0, Hidden);
        Tensor c = state.narrow(1, Hidden, Hidden);
        Tensor input = arithmetic is null
            ? cat([features, instruction], 1)
            : cat([features, instruction, arithmetic.call(ArithmeticReadsState ? cat([instruction, h], 1) : instruction)], 1);
        (Tensor nextH, Tensor nextC) = FastLstmCell.Step(lstm, input, h, c);
        return (nextH.MoveToOuterDisposeScope(), cat([nextH, nextC], 1).MoveToOuterDisposeScope());
    }

    private string Reads => ArithmeticReadsState ? "[T, h(t-1)]" : "[T]";

    // Inputs [T, h1..hH] (or [T]) in the order Step concatenates them; outputs prefix1..prefixK.
    private LabelledUnit Labelled(Nac unit, string role, string prefix) =>
        LabelledUnit.Of(role, unit, ArithmeticReadsState ? ["T", .. LabelledUnit.Numbered("h", Hidden)] : ["T"], LabelledUnit.Numbered(prefix, unit.WHat.shape[1]));
}
