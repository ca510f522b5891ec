using GridTime.Agents.Kernels;
using GridTime.Agents.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static GridTime.Agents.Kernels.ParameterMemory;
using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// A core built to keep time exactly for any T: addition units that can become exact, a readout that never leaves
/// the range seen in training, and a feed-forward policy that needs no memory besides the count.
/// <code>
///   r(t) = NAU_read([T, a(t−1)])          the time left; with weights (1, −1) exactly T − t
///          (or T − a(t−1), no weights, with <see cref="TimeLeftReadout.Difference"/>)
///   a(t) = a(t−1) + NAU_step([1])         the step count; with W = 1 exactly t + 1 after step t
///   s(t) = min(r(t), C)                   C = --time-left-cap (8 on the 5x5 grid): beyond it, s is C
///   h(t) = relu([features, s(t)]·Wᵀ + b)  Hidden units
///   heads read [h(t), s(t)]
/// </code>
/// State layout: [a (1)]. Output: [h (Hidden) | s (1)]; s is the core's time-left estimate
/// (<see cref="RecurrentCore.TimeLeftOutput"/>), which an auxiliary loss can pull towards T − t. With
/// <see cref="TimeLeftGradient.TimeLeftLoss"/> (training's default) only that loss trains r: the policy layer and the heads read s detached.
/// <para>
/// Why: the state (agent's cell, target's cell, time left) decides the best action, and the image gives the cells.
/// With r exactly T − t and every time left above C cut to C, every input the policy sees at any T is one it saw in
/// training (an episode with T ≥ C has s = C for its first T − C + 1 steps); so an agent that is exact on the training range is exact
/// at T = 1000. The NAUs (Madsen &amp; Johansen 2020) can sit at exactly ±1, so the count does not drift.
/// </para>
/// <para>
/// Trained by the reward alone (no time-left loss, <see cref="TimeLeftGradient.All"/>), the learned readout keeps the
/// ratio of its two weights a few percent from 1, which no extrapolation survives; <see cref="TimeLeftReadout.Difference"/>
/// leaves one weight to learn, the count's increment, which the NAU's clamp holds at exactly 1 once training pushes it there.
/// </para>
/// <para>
/// The module for autograd, and its fast-path arithmetic (<see cref="Fast"/>) beside it, as <see cref="GruCore"/>.
/// </para>
/// </summary>
public sealed class TimerCore : RecurrentCore
{
    private readonly Nau step;
    private readonly Nau? read;
    private readonly Linear policy;

    /// <summary>
    /// A timer core reading <paramref name="features"/> encoder features into <paramref name="hidden"/> units, its readout
    /// (<paramref name="readout"/>) cut at <paramref name="cap"/> and trained by the losses <paramref name="gradient"/> names.
    /// </summary>
    public TimerCore(int features, int hidden, int cap, TimeLeftGradient gradient = TimeLeftGradient.All, TimeLeftReadout readout = TimeLeftReadout.Nau) : base("core")
    {
        Hidden = hidden;
        Cap = cap;
        Gradient = gradient;
        step = new Nau(1, 1, "step");
        if (readout == TimeLeftReadout.Difference)
        {
            using var noGrad = no_grad();
            step.Weight.abs_(); // a count that rises (TimeLeftReadout.Difference says why)
        }

        read = readout == TimeLeftReadout.Nau ? new Nau(2, 1, "read") : null;
        policy = nn.Linear(features + 1, hidden);
        RegisterComponents();
    }

    /// <summary>Width of h.</summary>
    public int Hidden { get; }

    /// <summary>C, the largest time left passed on unchanged (<see cref="AgentOptions.TimeLeftCap"/>).</summary>
    public int Cap { get; }

    /// <summary>Which losses train the readout r (<see cref="TimeLeftGradient"/>).</summary>
    public TimeLeftGradient Gradient { get; }

    /// <summary>How r is read from T and a (<see cref="TimeLeftReadout"/>).</summary>
    public TimeLeftReadout Readout => read is null ? TimeLeftReadout.Difference : TimeLeftReadout.Nau;

    /// <summary>The step count's increment (input [1]).</summary>
    public Nau StepNau => step;

    /// <summary>The time-left readout (input [T, a]); null with <see cref="TimeLeftReadout.Difference"/>, which has no weights.</summary>
    public Nau? ReadNau => read;

    /// <inheritdoc/>
    public override int StateSize => 1;

    /// <inheritdoc/>
    public override int OutputSize => Hidden + 1;

    /// <inheritdoc/>
    public override int? TimeLeftOutput => Hidden;

    /// <inheritdoc/>
    public override int OutputsTrainedByHeads => Gradient == TimeLeftGradient.TimeLeftLoss ? Hidden : OutputSize;

    /// <inheritdoc/>
    public override IReadOnlyList<Nau> AdditionUnits => read is null ? [step] : [step, read];

    /// <inheritdoc/>
    public override IReadOnlyList<LabelledUnit> ArithmeticUnits =>
    [
        .. read is null ? [] : new[] { LabelledUnit.Of("read NAU: r(t) = NAU_read([T, a(t-1)]), the time left (exact with weights +1, -1)", read, ["T", "a"], ["r"]) },
        LabelledUnit.Of(read is null ? "step NAU: a(t) = a(t-1) + NAU_step([1]), the step count (exact with W = 1); the time left is r(t) = T - a(t-1)" : "step NAU: a(t) = a(t-1) + NAU_step([1]), the step count (exact with W = 1)", step, ["1"], ["a"]),
    ];

    /// <inheritdoc/>
    public override long MultiplyAddsPerStep(int features) => 1 + (read is null ? 0 : 2) + ((features + 1L) * Hidden);

    /// <inheritdoc/>
    public override long FeatureMultiplyAddsPerStep(int features) => (long)features * Hidden;

    /// <inheritdoc/>
    public override (string Output, string State) ExportStep(Onnx.OnnxGraph graph, string features, string instruction, string state)
    {
        string left = read is null ? graph.Sub(instruction, state) : graph.MatMul(graph.Concat(instruction, state), graph.Weight(read.Weight, "core.read.weight"));
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
        Tensor left = read is null ? instruction.Plus(state.neg()) : read.call(cat([instruction, state], 1));
        Tensor count = state.Plus(step.call(ones_like(instruction)));
        Tensor cut = left.ClampMax(Cap);
        Tensor seen = Gradient == TimeLeftGradient.TimeLeftLoss ? cut.detach() : cut; // what the policy layer may train
        Tensor h = nn.functional.relu(policy.call(cat([features, seen], 1)));
        return (cat([h, cut], 1).MoveToOuterDisposeScope(), count.MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override bool HasFastCore(int features) => policy.bias is not null;

    /// <inheritdoc/>
    public override FastCore? CreateFastCore(int features, int batch, int steps) => HasFastCore(features) ? new Fast(this, features, batch, steps) : null;

    /// <summary>
    /// The timer over a rollout without autograd. Forward keeps per frame s, r, and h until the backward pass overwrites it
    /// with ∂y; [features | s]·Wᵀ is the features' part per distinct frame (<see cref="FrameProjection"/>) plus s·W[:, F]. Backward, from ∂output = [∂h | ∂s]: ∂y = ∂h where h &gt; 0 (libtorch's ReLU
    /// passes nothing at 0); ∂features = ∂y·W[:, :F]; ∂s += ∂y·W[:, F] (with <see cref="TimeLeftGradient.All"/>); ∂r = ∂s where r ≤ C (libtorch's clamp_max backward,
    /// where(self &lt;= max, grad, 0): the gradient passes at r = C too); ∂a = ∂a' + ∂r·W_read[a] (a' = a + W_step).
    /// Weights: ∂W = Σ ∂yᵀ·x, ∂b = Σ ∂y, ∂W_read = Σ [T, a]ᵀ·∂r, ∂W_step = Σ ∂a' over the rollout. The difference readout is
    /// the learned one held at W_read = (1, −1) with no gradient of its own.
    /// </summary>
    private sealed unsafe class Fast : FastCore
    {
        private readonly Parameter? _read;
        private readonly Parameter _step;
        private readonly Tensor _weight, _bias;
        private readonly int _features, _hidden, _inputs;
        private readonly float _cap;
        private readonly RolloutBuffer _s, _left, _dY, _dLeft, _dCount, _sWeights, _column, _gradient;
        private readonly FrameProjection _frames; // W[:, :F]·features per frame
        private readonly bool _policyTrainsS;
        private float _readT, _readA, _increment;

        public Fast(TimerCore core, int features, int batch, int steps) : base(batch, steps)
        {
            (_read, _step, _weight, _bias) = (core.read?.Weight, core.step.Weight, core.policy.weight!, core.policy.bias!);
            _features = features;
            _hidden = core.Hidden;
            _inputs = features + 1;
            _cap = core.Cap;
            _policyTrainsS = core.Gradient == TimeLeftGradient.All;
            long rows = (long)(steps + 1) * batch;
            _s = new(rows);
            _left = new(rows);
            _dY = new(rows * _hidden); // h per frame from the forward pass, ∂y from the backward pass
            _dLeft = new(rows);
            _dCount = new(rows);
            _sWeights = new(_hidden); // W[:, F], s's column
            _column = new(_hidden);
            _gradient = new((long)_hidden * _inputs);
            _frames = new FrameProjection(() => _weight, features, rows);
        }

        public override int FeatureSize => _features;

        public override int StateSize => 1;

        public override int OutputSize => _hidden + 1;

        public override void BeginRollout()
        {
            (_readT, _readA) = _read is null ? (1f, -1f) : (Data(_read)[0], Data(_read)[1]);
            _increment = Data(_step)[0];
            _frames.BeginRollout();
            CopyColumn(Data(_weight), _hidden, _inputs, _features, _sWeights.Data);
        }

        public override void ProjectFrames(int first, int count, float* features) => _frames.Project(first, count, features, _features);

        public override void Forward(int step, int* frames, float* instructions, float* state, float* output, float* nextState)
        {
            int batch = Batch, hidden = _hidden, width = hidden + 1;
            long first = (long)step * batch;
            float* seen = _s.Data + first, left = _left.Data + first, h = _dY.Data + (first * hidden), bias = Data(_bias);
            for (int b = 0; b < batch; b++)
            {
                // r = [T, a]·W_read, a' = a + 1·W_step, s = min(r, C) (NaN stays NaN, as in clamp_max).
                float a = state[b], r = (instructions[b] * _readT) + (a * _readA), s = MathF.Min(r, _cap);
                nextState[b] = a + _increment;
                left[b] = r;
                seen[b] = s;
                output[((long)b * width) + hidden] = s;

                // h = relu(b + s·W[:, F] + the frame's W[:, :F]·features), the frame's part added below.
                float* row = h + ((long)b * hidden);
                Copy(bias, row, hidden);
                Axpy(s, _sWeights.Data, row, hidden);
            }

            _frames.AddTo(frames, batch, h, hidden);
            for (int b = 0; b < batch; b++)
            {
                float* row = h + ((long)b * hidden);
                FastLinear.Relu(row, hidden);
                Copy(row, output + ((long)b * width), hidden);
            }
        }

        public override void Backward(int step, float* instructions, float* state, float* nextState, float* dOutput, float* dNextState, float* dState)
        {
            int batch = Batch, hidden = _hidden, width = hidden + 1;
            long first = (long)step * batch;
            float* dY = _dY.Data + (first * hidden), left = _left.Data + first, dLeft = _dLeft.Data + first, dCount = _dCount.Data + first;
            for (int b = 0; b < batch; b++)
            {
                float* row = dY + ((long)b * hidden);
                FastLinear.PassedByRelu(dOutput + ((long)b * width), row, row, hidden); // h's rows become ∂y
            }

            // ∂s adds ∂y·W[:, F] unless only the time-left loss trains r (then ∂s is that loss's alone: the pass left the
            // heads' gradient out of this column). ∂features wait for FinishBackward.
            float* sColumn = _sWeights.Data;
            for (int b = 0; b < batch; b++)
            {
                float dS = dOutput[((long)b * width) + hidden] + (_policyTrainsS ? Dot(dY + ((long)b * hidden), sColumn, hidden) : 0f);
                float dR = left[b] <= _cap ? dS : 0f;
                dLeft[b] = dR;
                dCount[b] = dNextState[b];
                dState[b] = dNextState[b] + (dR * _readA);
            }
        }

        public override void FinishBackward(int steps, int* frames, int frameCount, float* frameFeatures, float* instructions, float* states, float* dFrames)
        {
            int rows = steps * Batch, hidden = _hidden, inputs = _inputs;
            float* gradient = _gradient.Data, dY = _dY.Data, column = _column.Data;

            // ∂features = ∂y·W[:, :F] and W's features' columns per frame; s's column sᵀ·∂y.
            _frames.Backward(dY, rows, frames, frameCount, frameFeatures, _features, dFrames, gradient, inputs);
            Sgemm.Multiply(1, hidden, rows, _s.Data, rows, dY, hidden, column, hidden, accumulate: false);
            WriteColumn(column, hidden, gradient, inputs, _features);

            AddGradient(_weight, gradient);
            ColumnSums(_dY.Data, rows, hidden, hidden, gradient);
            AddGradient(_bias, gradient);

            // The readout's input is [T, a] (the state is a alone); the step NAU's is the constant 1.
            if (_read is not null)
            {
                gradient[0] = Dot(_dLeft.Data, instructions, rows);
                gradient[1] = Dot(_dLeft.Data, states, rows);
                AddGradient(_read, gradient);
            }

            ColumnSums(_dCount.Data, rows, 1, 1, gradient);
            AddGradient(_step, gradient);
        }

        protected override void Dispose(bool disposing)
        {
            foreach (RolloutBuffer buffer in new[] { _s, _left, _dY, _dLeft, _dCount, _sWeights, _column, _gradient })
            {
                buffer.Dispose();
            }

            _frames.Dispose();
        }
    }
}
