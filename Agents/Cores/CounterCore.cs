using GridTime.Agents.Layers;
using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// A core built to extrapolate in T (issue 9's first design). It keeps a count that is never squashed:
/// <code>
///   a(t) = a(t−1) + NAC_step([1])          accumulator, K units; with W = 1 it holds t exactly
///   r(t) = NAC_read([T, a(t)])             K readouts; with weights (1, −1) it is T − t, the steps left
///   LSTM input = [features, r(t)]          the raw T never reaches the LSTM, only the time left
///   heads read [h(t), r(t)]                so "time left" also acts on the policy linearly
/// </code>
/// Three ablations change its wiring (<see cref="CounterWiring"/>): the time left goes only into the LSTM
/// (heads read h alone), or only to the heads (the LSTM reads the image features alone), or the raw T also
/// goes into the LSTM.
/// <para>
/// Why: the paper's NAC sends its result back through the LSTM, whose state lives in (−1, 1); a T larger
/// than any seen in training then drives the LSTM somewhere it has never been. Here the count is carried by
/// an addition (exact for any length) and the LSTM only sees the time left, which falls into the familiar
/// range as the deadline approaches.
/// </para>
/// State layout: [h (Hidden) | c (Hidden) | a (K)].
/// </summary>
public sealed class CounterCore : RecurrentCore
{
    private readonly LSTMCell lstm;
    private readonly Nac step;
    private readonly Nac read;

    /// <summary>A counter core reading <paramref name="features"/> encoder features, with <paramref name="counters"/> accumulator units.</summary>
    public CounterCore(int features, int hidden, int counters, CounterWiring wiring = CounterWiring.LstmAndHeads) : base("core")
    {
        Hidden = hidden;
        Counters = counters;
        Wiring = wiring;
        step = new Nac(1, counters, "step");
        read = new Nac(1 + counters, counters, "read");
        lstm = nn.LSTMCell(features + (ToLstm ? counters : 0) + (Wiring == CounterWiring.LstmAndHeadsWithT ? 1 : 0), hidden);
        using (no_grad())
        {
            lstm.bias_ih!.zero_();
            lstm.bias_hh!.zero_();
        }

        RegisterComponents();
    }

    /// <summary>Width of h and c.</summary>
    public int Hidden { get; }

    /// <summary>Accumulator units K.</summary>
    public int Counters { get; }

    /// <summary>Where the time left goes.</summary>
    public CounterWiring Wiring { get; }

    private bool ToLstm => Wiring != CounterWiring.HeadsOnly;

    private bool ToHeads => Wiring != CounterWiring.LstmOnly;

    /// <summary>The LSTM cell, for the fast path's kernels.</summary>
    internal LSTMCell Cell => lstm;

    /// <inheritdoc/>
    public override long MultiplyAddsPerStep(int features) =>
        Counters + ((1L + Counters) * Counters) + (4L * Hidden * (lstm.weight_ih!.shape[1] + Hidden)); // step and readout NACs, the LSTM

    /// <inheritdoc/>
    public override long FeatureMultiplyAddsPerStep(int features) => 4L * Hidden * features;

    /// <inheritdoc/>
    public override bool HasFastCore(int features) => lstm.bias_ih is not null && lstm.bias_hh is not null;

    /// <inheritdoc/>
    public override FastCore? CreateFastCore(int features, int batch, int steps) =>
        HasFastCore(features) ? new FastCounterCore(this, features, batch, steps) : null;

    /// <summary>The accumulator's increment NAC (input [1]).</summary>
    public Nac StepNac => step;

    /// <inheritdoc/>
    public override IReadOnlyList<LabelledUnit> ArithmeticUnits =>
    [
        LabelledUnit.Of("step NAC: a(t) = a(t-1) + NAC_step([1]), the increments of the accumulators a", step, ["1"], LabelledUnit.Numbered("a", Counters)),
        LabelledUnit.Of("readout NAC: r(t) = NAC_read([T, a(t)]), the time left r", read, ["T", .. LabelledUnit.Numbered("a", Counters)], LabelledUnit.Numbered("r", Counters)),
    ];

    /// <summary>The readout NAC (input [T, a]).</summary>
    public Nac ReadNac => read;

    /// <inheritdoc/>
    public override int StateSize => (2 * Hidden) + Counters;

    /// <inheritdoc/>
    public override int OutputSize => Hidden + (ToHeads ? Counters : 0);

    /// <inheritdoc/>
    public override (string Output, string State) ExportStep(Onnx.OnnxGraph graph, string features, string instruction, string state)
    {
        string h = graph.Columns(state, 0, Hidden), c = graph.Columns(state, Hidden, Hidden);
        // NAC_step([1]) is the same [1, K] row for every environment; it broadcasts over the batch.
        string count = graph.Add(graph.Columns(state, 2 * Hidden, Counters), step.Export(graph, graph.Constant([1f], 1, 1)));
        string left = read.Export(graph, graph.Concat(instruction, count));
        string lstmInput = Wiring switch
        {
            CounterWiring.HeadsOnly => features,
            CounterWiring.LstmAndHeadsWithT => graph.Concat(features, instruction, left),
            _ => graph.Concat(features, left),
        };
        (string nextH, string nextC) = graph.LstmCell(lstm, lstmInput, h, c, "core.lstm");
        return (ToHeads ? graph.Concat(nextH, left) : nextH, graph.Concat(nextH, nextC, count));
    }

    /// <inheritdoc/>
    public override (Tensor Output, Tensor State) Step(Tensor features, Tensor instruction, Tensor state)
    {
        using var scope = NewDisposeScope();
        Tensor h = state.narrow(1, 0, Hidden);
        Tensor c = state.narrow(1, Hidden, Hidden);
        Tensor count = state.narrow(1, 2 * Hidden, Counters).Plus(step.call(ones_like(instruction)));
        Tensor left = read.call(cat([instruction, count], 1));
        Tensor lstmInput = Wiring switch
        {
            CounterWiring.HeadsOnly => features,
            CounterWiring.LstmAndHeadsWithT => cat([features, instruction, left], 1),
            _ => cat([features, left], 1),
        };
        (Tensor nextH, Tensor nextC) = FastLstmCell.Step(lstm, lstmInput, h, c);
        Tensor output = ToHeads ? cat([nextH, left], 1) : nextH.alias();
        return (output.MoveToOuterDisposeScope(), cat([nextH, nextC, count], 1).MoveToOuterDisposeScope());
    }
}

/// <summary>Where a <see cref="CounterCore"/> sends the time left r(t).</summary>
public enum CounterWiring
{
    /// <summary>Into the LSTM and to the policy and value heads (the counter agent).</summary>
    LstmAndHeads,

    /// <summary>Into the LSTM only; the heads read h alone (ablation).</summary>
    LstmOnly,

    /// <summary>To the heads only; the LSTM reads the image features alone (ablation).</summary>
    HeadsOnly,

    /// <summary>Into the LSTM and to the heads, and the raw T also goes into the LSTM (ablation: does keeping T out matter?).</summary>
    LstmAndHeadsWithT,
}
