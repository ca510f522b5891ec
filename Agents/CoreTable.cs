using GridTime.Agents.Cores;
using GridTime.Agents.Layers;

namespace GridTime.Agents;

/// <summary>One row of <see cref="CoreTable"/>: what an agent name builds, and its size before anything is built.</summary>
/// <param name="Kind">The core's name (<see cref="CoreKind"/>, spelt in kebab case on the command line).</param>
/// <param name="Build">Builds the core for a network of shape <see cref="AgentOptions"/> (encoder width = Hidden).</param>
/// <param name="Size">
/// Its parameters and output width for that shape, counted from the layer shapes without building anything (the
/// memory estimate is made before allocating); tests compare them with the built core.
/// </param>
/// <param name="ChoosesArithmeticInput">
/// Whether the core has a NAC or NALU whose input <see cref="AgentOptions.ArithmeticInput"/> chooses (nac, nalu); other
/// cores refuse a non-default choice.
/// </param>
/// <param name="HasArithmeticUnits">Whether the core has any NAC, NALU or NAU (<see cref="RecurrentCore.ArithmeticUnits"/>): what --nac-learning-rate-scale acts on.</param>
/// <param name="HasAdditionUnits">Whether the core has NAUs (<see cref="RecurrentCore.AdditionUnits"/>): what the NAU regulariser and its learning-rate decay act on.</param>
/// <param name="HasTimeLeftOutput">Whether the core outputs its own time-left estimate (<see cref="RecurrentCore.TimeLeftOutput"/>): what the time-left loss, cap, gradient and readout settings act on.</param>
public sealed record CoreDescriptor(
    CoreKind Kind,
    Func<AgentOptions, RecurrentCore> Build,
    Func<AgentOptions, (long Parameters, long Output)> Size,
    bool ChoosesArithmeticInput = false,
    bool HasArithmeticUnits = false,
    bool HasAdditionUnits = false,
    bool HasTimeLeftOutput = false);

/// <summary>
/// Every core an agent can have, one row each. <see cref="ActorCritic"/> builds from it, the memory estimate sizes
/// from it, and <c>--help</c> and the tests list from <see cref="CoreKinds.All"/>. A core's other facts — state
/// layout and size, output width, multiply-adds per step, its fast path — are members of its class
/// (<see cref="RecurrentCore"/>). h = Hidden (also the encoder's width), k = ArithmeticWidth.
/// </summary>
public static class CoreTable
{
    /// <summary>The rows, in <see cref="CoreKind"/> order.</summary>
    public static IReadOnlyList<CoreDescriptor> All { get; } =
    [
        new(CoreKind.Baseline, o => new LstmCore(o.Hidden, o.Hidden, null, 0), o => (Lstm(o.Hidden + 1L, o.Hidden), o.Hidden)),
        new(CoreKind.Nac, o => new LstmCore(o.Hidden, o.Hidden, new Nac(UnitInputs(o), o.ArithmeticWidth), o.ArithmeticWidth),
            o => ((2L * UnitInputs(o) * o.ArithmeticWidth) + Lstm(o.Hidden + 1L + o.ArithmeticWidth, o.Hidden), o.Hidden), ChoosesArithmeticInput: true, HasArithmeticUnits: true),
        new(CoreKind.Nalu, o => new LstmCore(o.Hidden, o.Hidden, new Nalu(UnitInputs(o), o.ArithmeticWidth, o.NaluEpsilon), o.ArithmeticWidth),
            o => ((3L * UnitInputs(o) * o.ArithmeticWidth) + Lstm(o.Hidden + 1L + o.ArithmeticWidth, o.Hidden), o.Hidden), ChoosesArithmeticInput: true, HasArithmeticUnits: true),
        Counter(CoreKind.Counter, CounterWiring.LstmAndHeads),
        Counter(CoreKind.CounterLstmOnly, CounterWiring.LstmOnly),
        Counter(CoreKind.CounterHeadsOnly, CounterWiring.HeadsOnly),
        Counter(CoreKind.CounterWithT, CounterWiring.LstmAndHeadsWithT),
        new(CoreKind.Gru, o => new GruCore(o.Hidden, o.Hidden), o => ((3L * o.Hidden * (o.Hidden + 1L + o.Hidden)) + (6L * o.Hidden), o.Hidden)),
        new(CoreKind.Timer, o => new TimerCore(o.Hidden, o.Hidden, o.TimeLeftCap, o.TimeLeftGradient, o.TimeLeftReadout),
            o => (1 + (o.TimeLeftReadout == TimeLeftReadout.Nau ? 2 : 0) + ((o.Hidden + 1L) * o.Hidden) + o.Hidden, o.Hidden + 1L),
            HasArithmeticUnits: true, HasAdditionUnits: true, HasTimeLeftOutput: true),
    ];

    /// <summary>The row of <paramref name="kind"/>; an unknown core is an <see cref="ArgumentException"/>, never another core's row.</summary>
    public static CoreDescriptor Of(CoreKind kind) => All.FirstOrDefault(row => row.Kind == kind) ?? throw new ArgumentException($"no core called {kind}");

    // The NAC's or NALU's input width in the nac and nalu cores: [T | h(t−1)] or [T] (AgentOptions.ArithmeticInput).
    private static int UnitInputs(AgentOptions o) => o.ArithmeticInput == ArithmeticInput.Instruction ? 1 : 1 + o.Hidden;

    // An LSTM cell of input width i and width h: 4h·i + 4h·h weights and two biases of 4h.
    private static long Lstm(long inputs, long hidden) => (4 * hidden * (inputs + hidden)) + (8 * hidden);

    // The counter's step NAC [1 → k] and readout NAC [1 + k → k] (Ŵ and M̂ each), and its LSTM by wiring.
    private static CoreDescriptor Counter(CoreKind kind, CounterWiring wiring) => new(
        kind,
        o => new CounterCore(o.Hidden, o.Hidden, o.ArithmeticWidth, wiring),
        o =>
        {
            long h = o.Hidden, k = o.ArithmeticWidth;
            long inputs = h + (wiring == CounterWiring.HeadsOnly ? 0 : k) + (wiring == CounterWiring.LstmAndHeadsWithT ? 1 : 0);
            return ((2 * k) + (2 * (1 + k) * k) + Lstm(inputs, h), h + (wiring == CounterWiring.LstmOnly ? 0 : k));
        },
        HasArithmeticUnits: true);
}
