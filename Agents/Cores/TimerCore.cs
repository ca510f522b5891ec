using GridTime.Agents.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// A core built to keep time exactly for any T: addition units that can become exact, a readout that never leaves
/// the range seen in training, and a feed-forward policy that needs no memory besides the count.
/// <code>
///   r(t) = NAU_read([T, a(t−1)])          the time left; with weights (1, −1) exactly T − t
///   a(t) = a(t−1) + NAU_step([1])         the step count; with W = 1 exactly t + 1 after step t
///   s(t) = min(r(t), C)                   C = --time-left-cap (8 on the 5x5 grid): beyond it, s is C
///   h(t) = relu([features, s(t)]·Wᵀ + b)  Hidden units
///   heads read [h(t), s(t)]
/// </code>
/// State layout: [a (1)]. Output: [h (Hidden) | s (1)]; s is the core's time-left estimate
/// (<see cref="RecurrentCore.TimeLeftOutput"/>), which an auxiliary loss can pull towards T − t.
/// <para>
/// Why: the state (agent's cell, target's cell, time left) decides the best action, and the image gives the cells.
/// With r exactly T − t and every time left above C cut to C, every input the policy sees at any T is one it saw in
/// training (an episode with T ≥ C has s = C for its first T − C + 1 steps); so an agent that is exact on the training range is exact
/// at T = 1000. The NAUs (Madsen &amp; Johansen 2020) can sit at exactly ±1, so the count does not drift.
/// </para>
/// </summary>
public sealed class TimerCore : RecurrentCore
{
    private readonly Nau step;
    private readonly Nau read;
    private readonly Linear policy;

    /// <summary>A timer core reading <paramref name="features"/> encoder features into <paramref name="hidden"/> units, its readout cut at <paramref name="cap"/>.</summary>
    public TimerCore(int features, int hidden, int cap) : base("core")
    {
        Hidden = hidden;
        Cap = cap;
        step = new Nau(1, 1, "step");
        read = new Nau(2, 1, "read");
        policy = nn.Linear(features + 1, hidden);
        RegisterComponents();
    }

    /// <summary>Width of h.</summary>
    public int Hidden { get; }

    /// <summary>C, the largest time left passed on unchanged (<see cref="AgentOptions.TimeLeftCap"/>).</summary>
    public int Cap { get; }

    /// <summary>The step count's increment (input [1]).</summary>
    public Nau StepNau => step;

    /// <summary>The time-left readout (input [T, a]).</summary>
    public Nau ReadNau => read;

    /// <inheritdoc/>
    public override int StateSize => 1;

    /// <inheritdoc/>
    public override int OutputSize => Hidden + 1;

    /// <inheritdoc/>
    public override int? TimeLeftOutput => Hidden;

    /// <inheritdoc/>
    public override IReadOnlyList<Nau> AdditionUnits => [step, read];

    /// <inheritdoc/>
    public override IReadOnlyList<LabelledUnit> ArithmeticUnits =>
    [
        LabelledUnit.Of("read NAU: r(t) = NAU_read([T, a(t-1)]), the time left (exact with weights +1, -1)", read, ["T", "a"], ["r"]),
        LabelledUnit.Of("step NAU: a(t) = a(t-1) + NAU_step([1]), the step count (exact with W = 1)", step, ["1"], ["a"]),
    ];

    /// <inheritdoc/>
    public override long MultiplyAddsPerStep(int features) => 1 + 2 + ((features + 1L) * Hidden);

    /// <inheritdoc/>
    public override (string Output, string State) ExportStep(Onnx.OnnxGraph graph, string features, string instruction, string state)
    {
        string left = graph.MatMul(graph.Concat(instruction, state), graph.Weight(read.Weight, "core.read.weight"));
        // NAU_step([1]) is the same [1, 1] for every environment; it broadcasts over the batch.
        string count = graph.Add(state, graph.MatMul(graph.Constant([1f], 1, 1), graph.Weight(step.Weight, "core.step.weight")));
        string cut = graph.Node("Min", [left, graph.Constant([Cap], 1, 1)]);
        string h = graph.Relu(graph.Linear(graph.Concat(features, cut), policy.weight, policy.bias, "core.policy"));
        return (graph.Concat(h, cut), count);
    }

    /// <inheritdoc/>
    public override (Tensor Output, Tensor State) Step(Tensor features, Tensor instruction, Tensor state)
    {
        using var scope = NewDisposeScope();
        Tensor left = read.call(cat([instruction, state], 1));
        Tensor count = state + step.call(ones_like(instruction));
        Tensor cut = left.clamp_max(Cap);
        Tensor h = nn.functional.relu(policy.call(cat([features, cut], 1)));
        return (cat([h, cut], 1).MoveToOuterDisposeScope(), count.MoveToOuterDisposeScope());
    }
}
