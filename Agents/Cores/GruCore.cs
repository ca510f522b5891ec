using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static GridTime.Agents.Kernels.ParameterMemory;
using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// A GRU core (Cho et al. 2014) in the baseline's place: one GRU cell whose input is [features, T]. State [h];
/// the heads read h. Written as the proof that a core is one class: the module for autograd, and its fast-path
/// arithmetic (<see cref="Fast"/>) beside it.
/// <para>
/// libtorch's <c>GRUCell</c>: [r | z | n] gates, r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr), z likewise,
/// n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h. Biases start at 0, as the LSTM's.
/// </para>
/// </summary>
public sealed class GruCore : RecurrentCore
{
    private readonly GRUCell gru;

    /// <summary>A core reading <paramref name="features"/> encoder features, of width <paramref name="hidden"/>.</summary>
    public GruCore(int features, int hidden) : base("core")
    {
        Hidden = hidden;
        gru = nn.GRUCell(features + 1, hidden);
        using (no_grad())
        {
            gru.bias_ih!.zero_();
            gru.bias_hh!.zero_();
        }

        RegisterComponents();
    }

    /// <summary>Width of h.</summary>
    public int Hidden { get; }

    /// <inheritdoc/>
    public override int StateSize => Hidden;

    /// <inheritdoc/>
    public override int OutputSize => Hidden;

    /// <inheritdoc/>
    public override long MultiplyAddsPerStep(int features) => 3L * Hidden * (features + 1 + Hidden);

    /// <inheritdoc/>
    public override long FeatureMultiplyAddsPerStep(int features) => 3L * Hidden * features;

    /// <inheritdoc/>
    public override (Tensor Output, Tensor State) Step(Tensor features, Tensor instruction, Tensor state)
    {
        using var scope = NewDisposeScope();
        Tensor next = gru.call(cat([features, instruction], 1), state);
        return (next.alias().MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Writes <see cref="Step"/> into <paramref name="graph"/> with libtorch's GRUCell gate order [r | z | n]:
    /// r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n), h' = n + z ⊙ (h − n) (= (1 − z) ⊙ n + z ⊙ h).
    /// </summary>
    public override (string Output, string State) ExportStep(Onnx.OnnxGraph graph, string features, string instruction, string state)
    {
        string gi = graph.Linear(graph.Concat(features, instruction), gru.weight_ih!, gru.bias_ih, "core.gru.ih");
        string gh = graph.Linear(state, gru.weight_hh!, gru.bias_hh, "core.gru.hh");
        string r = graph.Sigmoid(graph.Add(graph.Columns(gi, 0, Hidden), graph.Columns(gh, 0, Hidden)));
        string z = graph.Sigmoid(graph.Add(graph.Columns(gi, Hidden, Hidden), graph.Columns(gh, Hidden, Hidden)));
        string n = graph.Tanh(graph.Add(graph.Columns(gi, 2 * Hidden, Hidden), graph.Mul(r, graph.Columns(gh, 2 * Hidden, Hidden))));
        string next = graph.Add(n, graph.Mul(z, graph.Sub(state, n)));
        return (next, next);
    }

    /// <inheritdoc/>
    public override bool HasFastCore(int features) => gru.bias_ih is not null && gru.bias_hh is not null;

    /// <inheritdoc/>
    public override FastCore? CreateFastCore(int features, int batch, int steps) => HasFastCore(features) ? new Fast(this, features, batch, steps) : null;

    /// <summary>
    /// The GRU over a rollout without autograd. Forward keeps per frame r, z, n and h·W_hnᵀ + b_hn; gi = x·W_ihᵀ + b_ih for
    /// x = [features | T] is the features' part per distinct frame (<see cref="FrameProjection"/>) plus T·W_ih[:, F] + b_ih.
    /// Backward, from ∂h': ∂n = ∂h'⊙(1 − z), ∂z = ∂h'⊙(h − n), ∂(n's input) = ∂n⊙(1 − n²), ∂r = ∂(n's input)⊙(h·W_hnᵀ + b_hn);
    /// through σ' = σ(1 − σ): ∂gi = [∂r_in | ∂z_in | ∂(n's input)], ∂gh = [∂r_in | ∂z_in | ∂(n's input)⊙r];
    /// ∂x = ∂gi·W_ih, ∂h = ∂h'⊙z + ∂gh·W_hh; ∂W_ih = Σ ∂giᵀ·x, ∂W_hh = Σ ∂ghᵀ·h, ∂b_ih = Σ ∂gi, ∂b_hh = Σ ∂gh.
    /// </summary>
    private sealed unsafe class Fast : FastCore
    {
        private readonly GRUCell _cell;
        private readonly int _features, _hidden, _inputs;
        private readonly RolloutBuffer _gates, _hiddenN, _dInput, _dHidden, _transposed, _gi, _gh, _gradient, _packedHh, _packedHhT, _instructionWeights;
        private readonly FrameProjection _frames; // W_ih[:, :F]·features per frame
        private bool _packedForBackward; // _packedHh holds this rollout's W_hh (the weights stay fixed until FinishBackward)

        public Fast(GruCore core, int features, int batch, int steps) : base(batch, steps)
        {
            _cell = core.gru;
            _features = features;
            _hidden = core.Hidden;
            _inputs = features + 1;
            long rows = (long)(steps + 1) * batch, gates = 3L * _hidden;
            _gates = new(rows * gates);     // r | z | n per frame
            _hiddenN = new(rows * _hidden); // h·W_hnᵀ + b_hn per frame
            _dInput = new(rows * gates);    // ∂gi per frame
            _dHidden = new(rows * gates);   // ∂gh per frame
            _transposed = new(gates * rows);
            _gi = new(gates * batch);
            _gh = new(gates * batch);
            _gradient = new(gates * _inputs); // W_ih's gradient and the biases' (W_hh's goes straight into its grad)
            _packedHh = new(Sgemm.PackedCapacity((int)gates, _hidden));
            _packedHhT = new(Sgemm.PackedCapacity(_hidden, (int)gates)); // W_hhᵀ in panels, for the steps' h·W_hhᵀ
            _instructionWeights = new(gates); // W_ih[:, F], T's column
            _frames = new FrameProjection(() => _cell.weight_ih!, features, rows);
        }

        public override void BeginRollout()
        {
            _packedForBackward = false;
            _frames.BeginRollout();
            Sgemm.PackTransposed(_hidden, 3 * _hidden, Data(_cell.weight_hh!), _hidden, _packedHhT.Data);
            CopyColumn(Data(_cell.weight_ih!), 3 * _hidden, _inputs, _features, _instructionWeights.Data);
        }

        public override void ProjectFrames(int first, int count, float* features) => _frames.Project(first, count, features, _features);

        public override int FeatureSize => _features;

        public override int StateSize => _hidden;

        public override int OutputSize => _hidden;

        public override void Forward(int step, int* frames, float* instructions, float* state, float* output, float* nextState)
        {
            int batch = Batch, hidden = _hidden, gates = 3 * hidden;
            long first = (long)step * batch;

            // gi = b_ih + T·W_ih[:, F] + the frame's W_ih[:, :F]·features; gh = b_hh + h·W_hhᵀ [B, 3H], a row per
            // environment (W_hhᵀ packed in BeginRollout).
            float* gi = _gi.Data, gh = _gh.Data, bIh = Data(_cell.bias_ih!), bHh = Data(_cell.bias_hh!);
            for (int b = 0; b < batch; b++)
            {
                float* row = gi + ((long)b * gates);
                Copy(bIh, row, gates);
                Axpy(instructions[b], _instructionWeights.Data, row, gates);
                Copy(bHh, gh + ((long)b * gates), gates);
            }

            _frames.AddTo(frames, batch, gi, gates);
            Sgemm.MultiplyPacked(batch, gates, hidden, state, hidden, _packedHhT.Data, gh, gates, accumulate: true);
            float* kept = _gates.Data + (first * gates), hiddenN = _hiddenN.Data + (first * hidden);
            for (int b = 0; b < batch; b++)
            {
                long row = (long)b * gates;
                float* giRow = gi + row, ghRow = gh + row, g = kept + row, h = state + ((long)b * hidden), next = nextState + ((long)b * hidden);
                Copy(ghRow + (2 * hidden), hiddenN + ((long)b * hidden), hidden);
                Gates(giRow, ghRow, g, h, next, hidden);
            }

            Copy(nextState, output, (long)batch * hidden);
        }

        public override void Backward(int step, float* instructions, float* state, float* nextState, float* dOutput, float* dNextState, float* dState)
        {
            int batch = Batch, hidden = _hidden, inputs = _inputs, gates = 3 * hidden;
            long first = (long)step * batch;
            float* kept = _gates.Data + (first * gates), hiddenN = _hiddenN.Data + (first * hidden);
            float* dGi = _dInput.Data + (first * gates), dGh = _dHidden.Data + (first * gates);
            for (int b = 0; b < batch; b++)
            {
                long row = (long)b * gates;
                GatesBackward(
                    kept + row, state + ((long)b * hidden), hiddenN + ((long)b * hidden), dOutput + ((long)b * hidden), dNextState + ((long)b * hidden),
                    dGi + row, dGh + row, dState + ((long)b * hidden), hidden);
            }

            // ∂h = ∂h'⊙z (written above) + ∂gh·W_hh, W_hh read from panels packed once per rollout (Sgemm.Pack says why); ∂x waits for FinishBackward.
            if (!_packedForBackward)
            {
                Sgemm.Pack(gates, hidden, Data(_cell.weight_hh!), hidden, _packedHh.Data);
                _packedForBackward = true;
            }

            Sgemm.MultiplyPacked(batch, hidden, gates, dGh, gates, _packedHh.Data, dState, hidden, accumulate: true);
        }

        public override void FinishBackward(int steps, int* frames, int frameCount, float* frameFeatures, float* instructions, float* states, float* dFrames)
        {
            int rows = steps * Batch, hidden = _hidden, inputs = _inputs, gates = 3 * hidden;
            float* transposed = _transposed.Data, gradient = _gradient.Data, dGi = _dInput.Data;
            _packedForBackward = false;

            // ∂x = ∂gi·W_ih, of which only the features' columns are formed (∂T is not needed), per frame; ∂W_ih's
            // features' columns per frame, T's column Tᵀ·∂gi.
            _frames.Backward(dGi, rows, frames, frameCount, frameFeatures, _features, dFrames, gradient, inputs);
            float* column = _gi.Data;
            Sgemm.Multiply(1, gates, rows, instructions, rows, dGi, gates, column, gates, accumulate: false);
            WriteColumn(column, gates, gradient, inputs, _features);

            AddGradient(_cell.weight_ih!, gradient);
            ColumnSums(_dInput.Data, rows, gates, gates, gradient);
            AddGradient(_cell.bias_ih!, gradient);
            FastLinear.Transpose(_dHidden.Data, rows, gates, transposed);
            float* dWhh = GradientTarget(_cell.weight_hh!, out bool addHh);
            Sgemm.Multiply(gates, hidden, rows, transposed, rows, states, hidden, dWhh, hidden, addHh);
            ColumnSums(_dHidden.Data, rows, gates, gates, gradient);
            AddGradient(_cell.bias_hh!, gradient);
        }

        protected override void Dispose(bool disposing)
        {
            foreach (RolloutBuffer buffer in new[] { _gates, _hiddenN, _dInput, _dHidden, _transposed, _gi, _gh, _gradient, _packedHh, _packedHhT, _instructionWeights })
            {
                buffer.Dispose();
            }

            _frames.Dispose();
        }

        /// <summary>
        /// For one row: from the gates g = [r | z | n], the h that entered, h·W_hnᵀ + b_hn and ∂h' = ∂output + ∂next, the
        /// gradients of the input-side pre-activations [∂r | ∂z | ∂n] into <paramref name="dI"/>, of the hidden-side ones
        /// (∂n times r) into <paramref name="dH"/>, and ∂h'⊙z (h's own share of ∂h) into <paramref name="dh"/>.
        /// </summary>
        private static unsafe void GatesBackward(float* g, float* h, float* hn, float* dOut, float* dNext, float* dI, float* dH, float* dh, int hidden)
        {
            switch (Simd.Width)
            {
                case SimdWidth.Bits512:
                    GatesBackward<Vec512>(g, h, hn, dOut, dNext, dI, dH, dh, hidden);
                    break;
                case SimdWidth.Bits256:
                    GatesBackward<Vec256>(g, h, hn, dOut, dNext, dI, dH, dh, hidden);
                    break;
                default:
                    GatesBackward<Vec128>(g, h, hn, dOut, dNext, dI, dH, dh, hidden);
                    break;
            }
        }

        private static unsafe void GatesBackward<TV>(float* g, float* h, float* hn, float* dOut, float* dNext, float* dI, float* dH, float* dh, int hidden)
            where TV : unmanaged, ISimdVector<TV>
        {
            TV one = TV.One;
            int j = 0;
            for (; j + TV.Count <= hidden; j += TV.Count)
            {
                TV r = TV.Load(g + j), z = TV.Load(g + hidden + j), n = TV.Load(g + (2 * hidden) + j), d = TV.Load(dOut + j) + TV.Load(dNext + j);
                TV dnIn = d * (one - z) * (one - (n * n));
                TV drIn = dnIn * TV.Load(hn + j) * r * (one - r);
                TV dzIn = d * (TV.Load(h + j) - n) * z * (one - z);
                drIn.Store(dI + j);
                dzIn.Store(dI + hidden + j);
                dnIn.Store(dI + (2 * hidden) + j);
                drIn.Store(dH + j);
                dzIn.Store(dH + hidden + j);
                (dnIn * r).Store(dH + (2 * hidden) + j);
                (d * z).Store(dh + j);
            }

            for (; j < hidden; j++)
            {
                float r = g[j], z = g[hidden + j], n = g[(2 * hidden) + j], d = dOut[j] + dNext[j];
                float dnIn = d * (1f - z) * (1f - (n * n));
                float drIn = dnIn * hn[j] * r * (1f - r);
                float dzIn = d * (h[j] - n) * z * (1f - z);
                (dI[j], dI[hidden + j], dI[(2 * hidden) + j]) = (drIn, dzIn, dnIn);
                (dH[j], dH[hidden + j], dH[(2 * hidden) + j]) = (drIn, dzIn, dnIn * r);
                dh[j] = d * z;
            }
        }

        /// <summary>
        /// One row's gates from gi = x·W_ihᵀ + b_ih and gh = h·W_hhᵀ + b_hh [3H]: r, z, n into <paramref name="g"/> [3H]
        /// and h' = n + z·(h − n) into <paramref name="next"/> [H] (PyTorch's GRUCell).
        /// </summary>
        private static unsafe void Gates(float* giRow, float* ghRow, float* g, float* h, float* next, int hidden)
        {
            switch (Simd.Width)
            {
                case SimdWidth.Bits512:
                    Gates<Vec512>(giRow, ghRow, g, h, next, hidden);
                    break;
                case SimdWidth.Bits256:
                    Gates<Vec256>(giRow, ghRow, g, h, next, hidden);
                    break;
                default:
                    Gates<Vec128>(giRow, ghRow, g, h, next, hidden);
                    break;
            }
        }

        private static unsafe void Gates<TV>(float* giRow, float* ghRow, float* g, float* h, float* next, int hidden)
            where TV : unmanaged, ISimdVector<TV>
        {
            // r and z first, then n and h': an exponential or two per iteration rather than three in a chain (n waits on
            // r), so that independent iterations overlap (FastLstmCell.Gates says why). The same values to the bit.
            int full = hidden / TV.Count * TV.Count;
            for (int l = 0; l < full; l += TV.Count)
            {
                FastLstmCell.Sigmoid(TV.Load(giRow + l) + TV.Load(ghRow + l)).Store(g + l);
                FastLstmCell.Sigmoid(TV.Load(giRow + hidden + l) + TV.Load(ghRow + hidden + l)).Store(g + hidden + l);
            }

            for (int l = 0; l < full; l += TV.Count)
            {
                TV n = FastLstmCell.Tanh(TV.Load(giRow + (2 * hidden) + l) + (TV.Load(g + l) * TV.Load(ghRow + (2 * hidden) + l)));
                n.Store(g + (2 * hidden) + l);
                (n + (TV.Load(g + hidden + l) * (TV.Load(h + l) - n))).Store(next + l);
            }

            for (int j = full; j < hidden; j++)
            {
                float r = 1f / (1f + MathF.Exp(-(giRow[j] + ghRow[j])));
                float z = 1f / (1f + MathF.Exp(-(giRow[hidden + j] + ghRow[hidden + j])));
                float n = MathF.Tanh(giRow[(2 * hidden) + j] + (r * ghRow[(2 * hidden) + j]));
                (g[j], g[hidden + j], g[(2 * hidden) + j]) = (r, z, n);
                next[j] = n + (z * (h[j] - n));
            }
        }
    }
}
