using GridTime.Agents.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Agents.Arithmetic;

/// <summary>Every setting of the static arithmetic task in one place.</summary>
public sealed record ArithmeticSettings
{
    /// <summary>Numbers per input vector.</summary>
    public int Inputs { get; init; } = 10;

    /// <summary>a = the sum of inputs [ASliceStart, ASliceStart + SliceLength).</summary>
    public int ASliceStart { get; init; } = 0;

    /// <summary>b = the sum of inputs [BSliceStart, BSliceStart + SliceLength).</summary>
    public int BSliceStart { get; init; } = 4;

    /// <summary>Numbers summed into a and into b.</summary>
    public int SliceLength { get; init; } = 3;

    /// <summary>Training (and interpolation) inputs are uniform in [0, TrainRange).</summary>
    public float TrainRange { get; init; } = 10f;

    /// <summary>Extrapolation inputs are uniform in [0, ExtrapolationRange).</summary>
    public float ExtrapolationRange { get; init; } = 100f;

    /// <summary>Adam steps per model.</summary>
    public int Steps { get; init; } = 4000;

    /// <summary>Examples per step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Gradients are clipped to this norm (the NALU's exp path otherwise throws it far off).</summary>
    public double GradientClip { get; init; } = 1.0;

    /// <summary>Examples in each test set.</summary>
    public int TestSize { get; init; } = 2000;

    /// <summary>Randomly initialised models averaged for the "100" mark of the normalised error.</summary>
    public int RandomBaselines { get; init; } = 10;

    /// <summary>Seed of the data and of every model's initial weights.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// ε of the success criterion (<see cref="ArithmeticExperiment.EpsilonPerfectError"/>): 10⁻⁵, as Madsen &amp; Johansen
    /// (2020, section 4.1) for their static task.
    /// </summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>
    /// Full weight λ of the NAU and NMU sparsity regulariser mean(min(|W|, 1 − |W|)); it rises linearly from 0 at
    /// <see cref="SparsityFrom"/> to λ at <see cref="SparsityTo"/> (fractions of <see cref="Steps"/>), as M&amp;J warm it up.
    /// </summary>
    public double SparsityWeight { get; init; } = 1.0;

    /// <summary>Fraction of the steps at which the sparsity regulariser starts.</summary>
    public double SparsityFrom { get; init; } = 0.25;

    /// <summary>Fraction of the steps at which it reaches its full weight.</summary>
    public double SparsityTo { get; init; } = 0.5;
}

/// <summary>One cell of the arithmetic table.</summary>
/// <param name="Operation">The target function.</param>
/// <param name="Model">The model trained on it.</param>
/// <param name="Interpolation">Mean squared error on fresh inputs from the training range.</param>
/// <param name="Extrapolation">Mean squared error on inputs from the extrapolation range.</param>
/// <param name="InterpolationNormalised">100 × error / error of randomly initialised models (0 is perfect).</param>
/// <param name="ExtrapolationNormalised">The same for extrapolation.</param>
/// <param name="ExtrapolationRelative">Mean |prediction − target| / |target| on extrapolation inputs.</param>
/// <param name="EpsilonPerfect">Extrapolation MSE of the ε-perfect solution (<see cref="ArithmeticExperiment.EpsilonPerfectError"/>).</param>
public sealed record ArithmeticResult(
    ArithmeticOperation Operation,
    ArithmeticModel Model,
    double Interpolation,
    double Extrapolation,
    double InterpolationNormalised,
    double ExtrapolationNormalised,
    double ExtrapolationRelative,
    double EpsilonPerfect)
{
    /// <summary>
    /// Madsen &amp; Johansen's success criterion (2020, section 4.1): the extrapolation error is below that of the
    /// ε-perfect solution.
    /// </summary>
    public bool Success => Extrapolation < EpsilonPerfect;
}

/// <summary>
/// The static arithmetic task of Trask et al. (2018), section 4.1: inputs are <c>Inputs</c> numbers, a and b
/// are sums of two slices of them, and a model learns op(a, b) from inputs in [0, 10) and is tested on
/// [0, 10) (interpolation) and [0, 100) (extrapolation). Seeded and single-threaded, hence deterministic.
/// </summary>
public static class ArithmeticExperiment
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="operation"/> and measures it; <paramref name="stop"/> is
    /// checked between random baselines and between training steps (<see cref="OperationCanceledException"/>).
    /// </summary>
    public static ArithmeticResult Run(ArithmeticOperation operation, ArithmeticModel model, ArithmeticSettings settings, CancellationToken stop = default)
    {
        stop.ThrowIfCancellationRequested();
        using var scope = NewDisposeScope();
        ulong cell = (ulong)(((int)operation * 16) + (int)model);
        var data = new Generator((settings.Seed * 1000) + cell);
        (Tensor interpolationX, Tensor interpolationY) = Sample(operation, settings, settings.TrainRange, settings.TestSize, data);
        (Tensor extrapolationX, Tensor extrapolationY) = Sample(operation, settings, settings.ExtrapolationRange, settings.TestSize, data);

        double randomInterpolation = 0, randomExtrapolation = 0;
        for (int r = 0; r < settings.RandomBaselines; r++)
        {
            stop.ThrowIfCancellationRequested();
            var untrained = ArithmeticModels.Create(model, settings.Inputs, settings.Seed * 7919 + cell * 101 + (ulong)r + 1);
            randomInterpolation += MeanSquaredError(untrained, interpolationX, interpolationY) / settings.RandomBaselines;
            randomExtrapolation += MeanSquaredError(untrained, extrapolationX, extrapolationY) / settings.RandomBaselines;
        }

        var trained = ArithmeticModels.Create(model, settings.Inputs, settings.Seed * 7919 + cell * 101);
        Train(trained, operation, settings, data, stop);
        double interpolation = MeanSquaredError(trained, interpolationX, interpolationY);
        double extrapolation = MeanSquaredError(trained, extrapolationX, extrapolationY);
        double relative;
        using (no_grad())
        {
            relative = ((trained.call(extrapolationX).squeeze(1) - extrapolationY).abs() / extrapolationY.abs().ClampMin(1e-6)).mean().item<float>();
        }

        return new ArithmeticResult(
            operation,
            model,
            interpolation,
            extrapolation,
            Normalised(interpolation, randomInterpolation),
            Normalised(extrapolation, randomExtrapolation),
            relative,
            EpsilonPerfectError(operation, settings, extrapolationX, extrapolationY));
    }

    /// <summary>
    /// The mean squared error on inputs <paramref name="x"/> [N, inputs] (targets <paramref name="y"/> [N]) of the
    /// ε-perfect solution, in float64: the exact two-layer solution with every weight off by ε = <see cref="ArithmeticSettings.Epsilon"/>
    /// in the direction that moves the output the same way, so that no two offsets cancel: every input weight of a
    /// (a' = a + ε·Σx) and of b (b' = b + ε·Σx, or b − ε·Σx for a − b and a ÷ b, where b enters against a), and the
    /// output by a factor 1 + ε: op(a', b')·(1 + ε). Madsen &amp; Johansen (2020, section 4.1) define success as an extrapolation error below this,
    /// for NAU and NMU weights; the same threshold serves every operation and model here, a model that computes the
    /// function to within ε of exactly.
    /// </summary>
    public static double EpsilonPerfectError(ArithmeticOperation operation, ArithmeticSettings settings, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor wide = x.to_type(ScalarType.Float64);
        Tensor leak = wide.sum(1).Times(settings.Epsilon);
        Tensor a = wide.narrow(1, settings.ASliceStart, settings.SliceLength).sum(1).Plus(leak);
        Tensor b = wide.narrow(1, settings.BSliceStart, settings.SliceLength).sum(1).Plus(operation is ArithmeticOperation.Subtract or ArithmeticOperation.Divide ? leak.neg() : leak);
        Tensor perfect = operation.Apply(a, b).Times(1 + settings.Epsilon);
        return (perfect - y.to_type(ScalarType.Float64)).Power(2).mean().item<double>();
    }

    /// <summary>Fits <paramref name="model"/> to op(a, b) with Adam on fresh batches from the training range; <paramref name="stop"/> is checked every step.</summary>
    public static void Train(nn.Module<Tensor, Tensor> model, ArithmeticOperation operation, ArithmeticSettings settings, Generator data, CancellationToken stop = default)
    {
        var optimizer = new ParameterAdam(model.parameters());
        // NAU and NMU weights live in a box ([−1, 1], [0, 1]) kept by clamping after every step, with a sparsity regulariser.
        List<Nau> nauUnits = [.. model.modules().OfType<Nau>()];
        List<Nmu> nmuUnits = [.. model.modules().OfType<Nmu>()];
        for (int step = 0; step < settings.Steps; step++)
        {
            stop.ThrowIfCancellationRequested();
            // Cosine decay to zero: the weights must settle exactly on -1, 0 or 1, and a constant rate keeps them hovering.
            double learningRate = settings.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * step / settings.Steps));
            using var scope = NewDisposeScope();
            (Tensor x, Tensor y) = Sample(operation, settings, settings.TrainRange, settings.BatchSize, data);
            Tensor loss = (model.call(x).squeeze(1) - y).Power(2).mean();
            optimizer.ZeroGradients();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), settings.GradientClip);
            double sparsity = SparsityScale(settings, step);
            if (sparsity > 0)
            {
                nauUnits.ForEach(u => u.AddSparsityGradient(sparsity));
                nmuUnits.ForEach(u => u.AddSparsityGradient(sparsity));
            }

            optimizer.Step(learningRate);
            nauUnits.ForEach(u => u.ClampWeights());
            nmuUnits.ForEach(u => u.ClampWeights());
        }
    }

    /// <summary>
    /// The sparsity regulariser's weight at <paramref name="step"/>: 0 before <see cref="ArithmeticSettings.SparsityFrom"/>
    /// of the steps, rising linearly to <see cref="ArithmeticSettings.SparsityWeight"/> at <see cref="ArithmeticSettings.SparsityTo"/>.
    /// </summary>
    public static double SparsityScale(ArithmeticSettings settings, int step)
    {
        double from = settings.SparsityFrom * settings.Steps, to = settings.SparsityTo * settings.Steps;
        return settings.SparsityWeight * Math.Clamp((step - from) / Math.Max(1, to - from), 0, 1);
    }

    /// <summary>A batch of inputs uniform in [0, <paramref name="range"/>) and their targets.</summary>
    public static (Tensor Inputs, Tensor Targets) Sample(ArithmeticOperation operation, ArithmeticSettings settings, float range, int count, Generator generator)
    {
        Tensor x = rand(count, settings.Inputs, generator: generator).Times(range);
        Tensor a = x.narrow(1, settings.ASliceStart, settings.SliceLength).sum(1);
        Tensor b = x.narrow(1, settings.BSliceStart, settings.SliceLength).sum(1);
        return (x, operation.Apply(a, b));
    }

    private static double MeanSquaredError(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double error = (model.call(x).squeeze(1) - y).Power(2).mean().to_type(ScalarType.Float64).item<double>();
        return double.IsNaN(error) ? double.PositiveInfinity : error;
    }

    private static double Normalised(double error, double randomError) =>
        double.IsFinite(randomError) && randomError > 0 ? 100 * error / randomError : double.NaN;
}
