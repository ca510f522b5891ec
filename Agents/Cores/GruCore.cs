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
    /// The GRU over a rollout without autograd. Forward keeps per frame x = [features | T], r, z, n and h·W_hnᵀ + b_hn.
    /// Backward, from ∂h': ∂n = ∂h'⊙(1 − z), ∂z = ∂h'⊙(h − n), ∂(n's input) = ∂n⊙(1 − n²), ∂r = ∂(n's input)⊙(h·W_hnᵀ + b_hn);
    /// through σ' = σ(1 − σ): ∂gi = [∂r_in | ∂z_in | ∂(n's input)], ∂gh = [∂r_in | ∂z_in | ∂(n's input)⊙r];
    /// ∂x = ∂gi·W_ih, ∂h = ∂h'⊙z + ∂gh·W_hh; ∂W_ih = Σ ∂giᵀ·x, ∂W_hh = Σ ∂ghᵀ·h, ∂b_ih = Σ ∂gi, ∂b_hh = Σ ∂gh.
    /// </summary>
    private sealed unsafe class Fast : FastCore
    {
        private readonly GRUCell _cell;
        private readonly int _features, _hidden, _inputs;
        private readonly RolloutBuffer _x, _gates, _hiddenN, _dInput, _dHidden, _transposed, _gi, _gh, _gradient, _packedHh;
        private bool _packedForBackward; // _packedHh holds this rollout's W_hh (the weights stay fixed until FinishBackward)

        public Fast(GruCore core, int features, int batch, int steps) : base(batch, steps)
        {
            _cell = core.gru;
            _features = features;
            _hidden = core.Hidden;
            _inputs = features + 1;
            long rows = (long)(steps + 1) * batch, gates = 3L * _hidden;
            _x = new(rows * _inputs);
            _gates = new(rows * gates);     // r | z | n per frame
            _hiddenN = new(rows * _hidden); // h·W_hnᵀ + b_hn per frame
            _dInput = new(rows * gates);    // ∂gi per frame
            _dHidden = new(rows * gates);   // ∂gh per frame
            _transposed = new(Math.Max(gates * rows, (long)(_inputs + _hidden) * batch));
            _gi = new(gates * batch);
            _gh = new(gates * batch);
            _gradient = new(gates * Math.Max(_inputs, _hidden));
            _packedHh = new(Sgemm.PackedCapacity((int)gates, _hidden));
        }

        public override void BeginRollout() => _packedForBackward = false;

        public override int FeatureSize => _features;

        public override int StateSize => _hidden;

        public override int OutputSize => _hidden;

        public override void Forward(int step, float* features, float* instructions, float* state, float* output, float* nextState)
        {
            int batch = Batch, hidden = _hidden, inputs = _inputs, gates = 3 * hidden;
            long first = (long)step * batch;
            float* x = _x.Data + (first * inputs);
            for (int b = 0; b < batch; b++)
            {
                Copy(features + ((long)b * _features), x + ((long)b * inputs), _features);
                x[((long)b * inputs) + _features] = instructions[b];
            }

            // gi = x·W_ihᵀ + b_ih and gh = h·W_hhᵀ + b_hh [B, 3H], through transposes (the kernel's B operand is xᵀ).
            float* xT = _transposed.Data, hT = xT + ((long)inputs * batch), gi = _gi.Data, gh = _gh.Data;
            float* productT = _dInput.Data + (first * gates); // this block's ∂gi is free until the backward pass
            FastLinear.Transpose(x, batch, inputs, xT);
            FastLinear.Transpose(state, batch, hidden, hT);
            Sgemm.Multiply(gates, batch, inputs, Data(_cell.weight_ih!), inputs, xT, batch, productT, batch, accumulate: false);
            FastLinear.TransposeAddingBias(productT, gates, batch, Data(_cell.bias_ih!), gi);
            Sgemm.Multiply(gates, batch, hidden, Data(_cell.weight_hh!), hidden, hT, batch, productT, batch, accumulate: false);
            FastLinear.TransposeAddingBias(productT, gates, batch, Data(_cell.bias_hh!), gh);
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

        public override void Backward(int step, float* features, float* instructions, float* state, float* nextState, float* dOutput, float* dNextState, float* dState)
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

        public override void FinishBackward(int steps, float* features, float* instructions, float* states, float* dFeatures)
        {
            int rows = steps * Batch, hidden = _hidden, inputs = _inputs, gates = 3 * hidden;
            float* transposed = _transposed.Data, gradient = _gradient.Data;
            _packedForBackward = false;

            // ∂x = ∂gi·W_ih, of which only the features' columns are formed (∂T is not needed).
            Sgemm.Multiply(rows, _features, gates, _dInput.Data, gates, Data(_cell.weight_ih!), inputs, dFeatures, _features, accumulate: false);
            FastLinear.Transpose(_dInput.Data, rows, gates, transposed);
            Sgemm.Multiply(gates, inputs, rows, transposed, rows, _x.Data, inputs, gradient, inputs, accumulate: false);
            AddGradient(_cell.weight_ih!, gradient);
            ColumnSums(_dInput.Data, rows, gates, gates, gradient);
            AddGradient(_cell.bias_ih!, gradient);
            FastLinear.Transpose(_dHidden.Data, rows, gates, transposed);
            Sgemm.Multiply(gates, hidden, rows, transposed, rows, states, hidden, gradient, hidden, accumulate: false);
            AddGradient(_cell.weight_hh!, gradient);
            ColumnSums(_dHidden.Data, rows, gates, gates, gradient);
            AddGradient(_cell.bias_hh!, gradient);
        }

        protected override void Dispose(bool disposing)
        {
            foreach (RolloutBuffer buffer in new[] { _x, _gates, _hiddenN, _dInput, _dHidden, _transposed, _gi, _gh, _gradient, _packedHh })
            {
                buffer.Dispose();
            }
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
            int j = 0;
            for (; j + TV.Count <= hidden; j += TV.Count)
            {
                TV r = FastLstmCell.Sigmoid(TV.Load(giRow + j) + TV.Load(ghRow + j));
                TV z = FastLstmCell.Sigmoid(TV.Load(giRow + hidden + j) + TV.Load(ghRow + hidden + j));
                TV n = FastLstmCell.Tanh(TV.Load(giRow + (2 * hidden) + j) + (r * TV.Load(ghRow + (2 * hidden) + j)));
                r.Store(g + j);
                z.Store(g + hidden + j);
                n.Store(g + (2 * hidden) + j);
                (n + (z * (TV.Load(h + j) - n))).Store(next + j);
            }

            for (; j < hidden; j++)
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
