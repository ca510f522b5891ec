using GridTime.Agents;
using static TorchSharp.torch;

namespace GridTime.Training.Evaluation;

/// <summary>
/// A linear read-out ŷ = x·W + b of k targets from d features, fitted by ridge regression with an unpenalised
/// intercept: with X and Y centred on their column means, W = argmin ‖X_c W − Y_c‖² + λ‖W‖², solved as the least
/// squares problem [X_c; √λ I] W ≈ [Y_c; 0] (libtorch's <c>linalg.lstsq</c>, in double precision, so λ = 0 is
/// plain least squares and a rank-deficient X, such as a state with dead units, still has a solution), and
/// b = ȳ − x̄·W (Hastie, Tibshirani and Friedman, The Elements of Statistical Learning, 2nd ed., sec. 3.4.1). The
/// features are not standardised: a penalty then favours features of large magnitude, such as an unsquashed count,
/// over LSTM units in (−1, 1), and with λ = 0 a feature that holds the target exactly is read exactly.
/// </summary>
public sealed class LinearReadout
{
    private readonly double[] _weights;   // [d, k] row-major
    private readonly double[] _intercepts; // [k]

    private LinearReadout(int features, int outputs, double[] weights, double[] intercepts)
    {
        Features = features;
        Outputs = outputs;
        _weights = weights;
        _intercepts = intercepts;
    }

    /// <summary>d, the number of features.</summary>
    public int Features { get; }

    /// <summary>k, the number of targets.</summary>
    public int Outputs { get; }

    /// <summary>W[feature, output].</summary>
    public double Weight(int feature, int output) => _weights[(feature * Outputs) + output];

    /// <summary>b[output].</summary>
    public double Intercept(int output) => _intercepts[output];

    /// <summary>
    /// Fits the read-out. <paramref name="features"/> is n rows of <paramref name="width"/> values (row-major),
    /// <paramref name="targets"/> n rows of <paramref name="outputs"/> values, <paramref name="ridge"/> λ ≥ 0 (finite).
    /// Throws <see cref="ArgumentException"/> for mismatched lengths, no rows or a bad λ.
    /// </summary>
    public static LinearReadout Fit(ReadOnlySpan<float> features, int width, ReadOnlySpan<double> targets, int outputs, double ridge)
    {
        if (width < 1 || outputs < 1 || features.Length % width != 0 || targets.Length % outputs != 0 || features.Length / width != targets.Length / outputs || features.Length == 0)
        {
            throw new ArgumentException($"a linear read-out needs n ≥ 1 rows of {width} features and of {outputs} targets, got {features.Length} and {targets.Length} values");
        }

        if (!(ridge >= 0) || !double.IsFinite(ridge))
        {
            throw new ArgumentException($"the ridge penalty must be a finite number ≥ 0, got {ridge}");
        }

        int rows = features.Length / width;
        double[] x = new double[features.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = features[i];
        }

        using var scope = NewDisposeScope();
        Tensor xs = tensor(x, [rows, width], ScalarType.Float64);
        Tensor ys = tensor(targets.ToArray(), [rows, outputs], ScalarType.Float64);
        Tensor xMean = xs.mean([0]), yMean = ys.mean([0]);
        Tensor a = cat([xs - xMean, eye(width, dtype: ScalarType.Float64).Times(Math.Sqrt(ridge))], 0);
        Tensor b = cat([ys - yMean, zeros(width, outputs, dtype: ScalarType.Float64)], 0);
        Tensor w = linalg.lstsq(a, b).Solution;
        Tensor intercept = yMean - xMean.matmul(w);
        return new LinearReadout(width, outputs, w.contiguous().data<double>().ToArray(), intercept.contiguous().data<double>().ToArray());
    }

    /// <summary>ŷ for one row of <see cref="Features"/> values, written into <paramref name="output"/> (<see cref="Outputs"/> values).</summary>
    public void Predict(ReadOnlySpan<float> row, Span<double> output)
    {
        for (int k = 0; k < Outputs; k++)
        {
            output[k] = _intercepts[k];
        }

        for (int f = 0; f < Features; f++)
        {
            double value = row[f];
            if (value == 0)
            {
                continue;
            }

            for (int k = 0; k < Outputs; k++)
            {
                output[k] += value * _weights[(f * Outputs) + k];
            }
        }
    }
}

/// <summary>
/// How well predictions match targets, accumulated one pair at a time (memory does not grow with the count):
/// R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² (NaN when the targets do not vary) and the mean absolute error Σ|y − ŷ| / n.
/// The spread of y is accumulated by Welford's method, exact enough for targets up to 10^6 over 10^7 pairs.
/// </summary>
public sealed class FitScore
{
    private double _mean, _spread, _squaredError, _absoluteError;

    /// <summary>Pairs added.</summary>
    public long Count { get; private set; }

    /// <summary>Adds one (target, prediction) pair.</summary>
    public void Add(double target, double prediction)
    {
        Count++;
        double delta = target - _mean;
        _mean += delta / Count;
        _spread += delta * (target - _mean);
        double error = target - prediction;
        _squaredError += error * error;
        _absoluteError += Math.Abs(error);
    }

    /// <summary>Coefficient of determination; NaN with no pairs or constant targets.</summary>
    public double R2 => Count > 0 && _spread > 0 ? 1 - (_squaredError / _spread) : double.NaN;

    /// <summary>Mean absolute error, in the targets' unit; NaN with no pairs.</summary>
    public double MeanAbsoluteError => Count > 0 ? _absoluteError / Count : double.NaN;
}
