using System.Diagnostics.CodeAnalysis;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// A backward pass in which the weight gradients of <see cref="FastLinear"/> and <see cref="FastLstmCell"/>
/// are formed once, at its end, instead of at every use of the weight.
/// <para>
/// Why: a recurrent network uses each weight once per step. Per use, ∂W = gᵀ·x is a full [out, in] matrix
/// product of only a batch of terms (32), which autograd then adds into W.grad: for the LSTM some 8 MB of
/// memory traffic per step, and with two workers the two cores spent much of the backward pass waiting on
/// memory. Over a whole rollout it is one product of n·B terms (640), which the kernel runs near its peak.
/// </para>
/// <para>
/// While <see cref="Backward"/> runs, those layers keep each use's output-gradient rows and input rows here
/// (and return no weight gradient to autograd); then each weight gets ∂W = Σ gᵀ·x from one matrix product,
/// and each bias Σ g, added to its <c>grad</c>. Only parameters (leaf tensors that need a gradient) are
/// deferred; they are known by the address of their data (a module such as LSTMCell hands out a new wrapper
/// at every access), and must be among the parameters given. One per thread at a time; the buffers are kept
/// from one backward pass to the next.
/// </para>
/// </summary>
public sealed unsafe class DeferredWeightGradients
{
    [ThreadStatic]
    private static DeferredWeightGradients? running;

    private readonly List<Product> _products = [];
    private readonly Dictionary<IntPtr, Sum> _sums = [];
    private readonly NativeBuffer _transposed = new();

    /// <summary>
    /// Runs <c>loss.backward()</c>, then adds the deferred weight and bias gradients to the <c>grad</c> of
    /// those of <paramref name="parameters"/> they belong to (all deferred ones must be there).
    /// </summary>
    public void Backward(Tensor loss, IReadOnlyList<Tensor> parameters)
    {
        if (running is not null)
        {
            throw new InvalidOperationException("a deferred backward pass is already running on this thread");
        }

        foreach (Product product in _products)
        {
            product.Rows = 0;
        }

        foreach (Sum sum in _sums.Values)
        {
            sum.Added = false;
        }

        running = this;
        try
        {
            loss.backward();
        }
        finally
        {
            running = null;
        }

        var byAddress = new Dictionary<IntPtr, Tensor>();
        foreach (Tensor parameter in parameters)
        {
            byAddress[AddressOf(parameter)] = parameter;
        }

        Tensor Parameter(IntPtr address) => byAddress.TryGetValue(address, out Tensor? parameter)
            ? parameter
            : throw new InvalidOperationException("a layer's weight gradient was deferred, but the weight is not among the parameters given");
        foreach (Product product in _products)
        {
            product.AddToGradients(_transposed, Parameter);
        }

        foreach ((IntPtr address, Sum sum) in _sums)
        {
            if (sum.Added)
            {
                Tensor parameter = Parameter(address);
                Tensor gradient = empty_like(parameter);
                fixed (byte* g = gradient.bytes)
                {
                    Buffer.MemoryCopy(sum.Values.AtLeast(sum.Count), g, sum.Count * sizeof(float), sum.Count * sizeof(float));
                }

                AddGradient(parameter, gradient);
            }
        }
    }

    /// <summary>
    /// In a layer's forward pass: notes in <paramref name="ctx"/>, under <paramref name="key"/>, the addresses of
    /// <paramref name="parameters"/> (weights and biases, null entries for none) if their gradients could be
    /// deferred: they are all parameters, leaf tensors that need a gradient. Asked while the tensors passed in
    /// are alive; the backward pass gets them back from <see cref="TryRecall"/>.
    /// </summary>
    internal static void Remember(autograd.AutogradContext ctx, string key, params Tensor?[] parameters) =>
        ctx.save_data(key, parameters.All(p => p is null || (p.is_leaf && p.requires_grad)) ? parameters.Select(AddressOf).ToArray() : null!);

    /// <summary>
    /// In the layer's backward pass: the deferred pass running on this thread and the addresses noted under
    /// <paramref name="key"/> by <see cref="Remember"/>, if there is such a pass and those parameters can go to it.
    /// </summary>
    internal static bool TryRecall(autograd.AutogradContext ctx, string key, [NotNullWhen(true)] out DeferredWeightGradients? pass, out IntPtr[] parameters)
    {
        pass = running;
        parameters = ctx.get_data(key) as IntPtr[] ?? [];
        if (pass is null || parameters.Length == 0)
        {
            pass = null;
            return false;
        }

        return true;
    }

    /// <summary>The address by which a parameter is known here (zero for none).</summary>
    private static IntPtr AddressOf(Tensor? parameter)
    {
        if (parameter is null)
        {
            return IntPtr.Zero;
        }

        fixed (byte* data = parameter.bytes)
        {
            return (IntPtr)data;
        }
    }

    /// <summary>
    /// Keeps one use: output-gradient rows <paramref name="gradient"/> [rows, outputs] shared by
    /// <paramref name="weights"/>[i] [outputs, widths[i]], whose inputs were <paramref name="inputs"/>[i]
    /// [rows, widths[i]], and by <paramref name="biases"/> [outputs] (each gets Σ over rows of the gradient;
    /// zero entries are none). Parameters are given by <see cref="AddressOf"/>.
    /// </summary>
    internal void Record(IntPtr[] weights, IntPtr[] biases, float* gradient, int rows, int outputs, float*[] inputs, int[] widths)
    {
        Product? product = _products.Find(p => p.Weights[0] == weights[0]);
        if (product is null)
        {
            product = new Product(weights, biases, outputs, widths);
            _products.Add(product);
        }
        else if (product.Outputs != outputs || !product.Widths.AsSpan().SequenceEqual(widths))
        {
            throw new InvalidOperationException($"a weight of shape [{product.Outputs}, {string.Join(", ", product.Widths)}] was used with shape [{outputs}, {string.Join(", ", widths)}]");
        }

        product.Append(gradient, rows, inputs);
    }

    /// <summary>
    /// Adds <paramref name="count"/> floats of a ready-made gradient of the parameter at <paramref name="address"/>
    /// (a small one, formed at each use: a convolution's, a NAC's) to this pass's running sum, instead of
    /// handing it to autograd to add into <c>grad</c> at every step.
    /// </summary>
    internal void Add(IntPtr address, float* gradient, long count)
    {
        if (!_sums.TryGetValue(address, out Sum? sum))
        {
            sum = new Sum();
            _sums[address] = sum;
        }

        float* values = sum.Values.AtLeast(count);
        if (!sum.Added)
        {
            Buffer.MemoryCopy(gradient, values, count * sizeof(float), count * sizeof(float));
            sum.Count = count;
            sum.Added = true;
            return;
        }

        if (sum.Count != count)
        {
            throw new InvalidOperationException($"a parameter's gradient of {sum.Count} values was added to with {count}");
        }

        ParameterMemory.Add(gradient, values, count);
    }

    /// <summary>grad += <paramref name="gradient"/> (or grad = it, if none yet); disposes <paramref name="gradient"/>'s wrapper.</summary>
    private static void AddGradient(Tensor parameter, Tensor gradient)
    {
        using Tensor? existing = parameter.grad;
        if (existing is null)
        {
            parameter.grad = gradient;
        }
        else
        {
            existing.AddInPlace(gradient);
        }

        gradient.Dispose();
    }

    /// <summary>A parameter's gradient summed over a pass (see <see cref="Add"/>).</summary>
    private sealed class Sum
    {
        public NativeBuffer Values { get; } = new();

        public long Count { get; set; }

        /// <summary>Whether anything was added in the current pass.</summary>
        public bool Added { get; set; }
    }

    /// <summary>The uses of one group of weights that share their output gradient (an LSTM's two products, or one linear layer).</summary>
    private sealed class Product(IntPtr[] weights, IntPtr[] biases, int outputs, int[] widths)
    {
        private readonly NativeBuffer _gradients = new();
        private readonly NativeBuffer[] _inputs = [.. widths.Select(_ => new NativeBuffer())];

        public IntPtr[] Weights { get; } = weights;

        public int Outputs { get; } = outputs;

        public int[] Widths { get; } = widths;

        /// <summary>Rows kept in this backward pass.</summary>
        public long Rows { get; set; }

        public void Append(float* gradient, int rows, float*[] inputs)
        {
            long total = Rows + rows;
            float* g = _gradients.AtLeastKeeping(total * Outputs, Rows * Outputs);
            Buffer.MemoryCopy(gradient, g + (Rows * Outputs), (long)rows * Outputs * sizeof(float), (long)rows * Outputs * sizeof(float));
            for (int i = 0; i < Widths.Length; i++)
            {
                float* x = _inputs[i].AtLeastKeeping(total * Widths[i], Rows * Widths[i]);
                Buffer.MemoryCopy(inputs[i], x + (Rows * Widths[i]), (long)rows * Widths[i] * sizeof(float), (long)rows * Widths[i] * sizeof(float));
            }

            Rows = total;
        }

        public void AddToGradients(NativeBuffer transposed, Func<IntPtr, Tensor> parameter)
        {
            if (Rows == 0)
            {
                return;
            }

            int rows = checked((int)Rows);
            float* g = _gradients.AtLeast(Rows * Outputs);
            float* gt = transposed.AtLeast(Rows * Outputs);
            FastLinear.Transpose(g, rows, Outputs, gt);
            for (int i = 0; i < Weights.Length; i++)
            {
                Tensor dW = empty(Outputs, Widths[i]);
                fixed (byte* d = dW.bytes)
                {
                    Sgemm.Multiply(Outputs, Widths[i], rows, gt, rows, _inputs[i].AtLeast(Rows * Widths[i]), Widths[i], (float*)d, Widths[i], accumulate: false);
                }

                AddGradient(parameter(Weights[i]), dW);
            }

            if (biases.Any(b => b != IntPtr.Zero))
            {
                Tensor sums = zeros(Outputs);
                fixed (byte* s = sums.bytes)
                {
                    float* sum = (float*)s;
                    for (long r = 0; r < Rows; r++)
                    {
                        ParameterMemory.Add(g + (r * Outputs), sum, Outputs);
                    }
                }

                foreach (IntPtr bias in biases)
                {
                    if (bias != IntPtr.Zero)
                    {
                        AddGradient(parameter(bias), sums.clone());
                    }
                }

                sums.Dispose();
            }
        }
    }
}
