namespace GridTime.Training.A3C;

/// <summary>
/// A3C's loss over one rollout and its gradient with respect to the policy's logits and the values, formed by hand
/// (Mnih et al. 2016, "Asynchronous Methods for Deep Reinforcement Learning", Algorithm S3, with the entropy bonus of
/// its section 4): summed over the rollout's n steps and averaged over its B environments,
/// <code>
/// L = (1/B) Σ_b Σ_t [ −log π(a_t | s_t)·Â_t − β·H(π(· | s_t)) + c·½(R_t − V(s_t))² ],   H(π) = −Σ_a π_a log π_a,
/// ∂L/∂z_a = (1/B)·[ −Â_t·(1[a = a_t] − π_a) + β·π_a·(log π_a + H) ],   ∂L/∂V = (1/B)·c·(V − R_t),
/// </code>
/// with π = softmax(z) over a step's logits z, β = --entropy-coef and c = --value-coef; the advantages Â and returns
/// R are constants (<see cref="ReturnsAndAdvantages"/>). Why by hand: through libtorch's autograd the same loss was a
/// dozen small operations and their backward pass; `gridtime bench` (nac, one worker, 256 bits, an Intel Xeon of the
/// Emerald Rapids generation) timed 0.43 ms of loss and 24.6 ms of backward per 640-frame update with them, 0.06 and
/// 23.6 ms with this one pass over the logits.
/// </summary>
public static class A3CLoss
{
    /// <summary>The most actions a row's logits may hold (a bound for the working memory of one row).</summary>
    public const int MaxActions = 1024;

    /// <summary>The loss and its parts, each per environment and summed over the rollout's steps.</summary>
    /// <param name="Loss">L, what the gradients are the gradient of.</param>
    /// <param name="PolicyLoss">(1/B) Σ −log π(a_t)·Â_t.</param>
    /// <param name="ValueLoss">(1/B) Σ ½(R_t − V)², before the coefficient c.</param>
    /// <param name="Entropy">(1/B) Σ H(π), before the coefficient β.</param>
    public readonly record struct Figures(double Loss, double PolicyLoss, double ValueLoss, double Entropy);

    /// <summary>
    /// L and its parts for a rollout of <paramref name="values"/>.Length = n·B rows (step-major: row t·B + b), the
    /// gradients ∂L/∂z into <paramref name="logitGradients"/> [n·B·A] and ∂L/∂V into <paramref name="valueGradients"/>
    /// [n·B] (both overwritten), from the logits <paramref name="logits"/> [n·B·A], the values, the actions taken
    /// <paramref name="taken"/> [n·B] (each in 0..A − 1), the advantages and the returns [n·B]. The sums are taken in
    /// double and the figures given as float32 holds them, as the loss was in libtorch: a non-finite logit, value,
    /// advantage or return, or a loss beyond float32's range (a value function diverged), makes the loss NaN or
    /// infinite, and the trainer refuses such an update.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match, or <paramref name="batch"/> does not divide the rows.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An action is outside 0..A − 1.</exception>
    public static Figures Compute(
        ReadOnlySpan<float> logits, ReadOnlySpan<float> values, ReadOnlySpan<int> taken, ReadOnlySpan<float> advantages,
        ReadOnlySpan<float> returns, int batch, double entropyCoef, double valueCoef, Span<float> logitGradients, Span<float> valueGradients)
    {
        int rows = values.Length;
        if (batch <= 0 || rows % batch != 0 || rows == 0 || logits.Length % rows != 0)
        {
            throw new ArgumentException($"{logits.Length} logits and {rows} values are not a rollout of whole steps of {batch} environments");
        }

        int actions = logits.Length / rows;
        if (actions is 0 or > MaxActions)
        {
            throw new ArgumentException($"{actions} logits per row: a policy has 1 to {MaxActions} actions");
        }

        if (taken.Length != rows || advantages.Length != rows || returns.Length != rows || logitGradients.Length != logits.Length || valueGradients.Length != rows)
        {
            throw new ArgumentException($"the rollout has {rows} rows: actions, advantages, returns and value gradients need {rows} each and the logit gradients {logits.Length}");
        }

        double policyLoss = 0, valueLoss = 0, entropy = 0, perEnvironment = 1.0 / batch;
        Span<double> logProbabilities = stackalloc double[actions], probabilities = stackalloc double[actions];
        for (int r = 0; r < rows; r++)
        {
            int action = taken[r];
            if ((uint)action >= (uint)actions)
            {
                throw new ArgumentOutOfRangeException(nameof(taken), action, $"row {r}: an action is one of 0..{actions - 1}");
            }

            // log π = z − max z − log Σ exp(z − max z): no exponential overflows. Math.Max passes a NaN on.
            ReadOnlySpan<float> z = logits.Slice(r * actions, actions);
            double largest = z[0];
            for (int a = 1; a < actions; a++)
            {
                largest = Math.Max(largest, z[a]);
            }

            double sum = 0;
            for (int a = 0; a < actions; a++)
            {
                probabilities[a] = Math.Exp(z[a] - largest);
                sum += probabilities[a];
            }

            double logSum = Math.Log(sum), h = 0;
            for (int a = 0; a < actions; a++)
            {
                probabilities[a] /= sum;
                logProbabilities[a] = z[a] - largest - logSum;
                h -= probabilities[a] * logProbabilities[a];
            }

            double advantage = advantages[r], error = values[r] - returns[r];
            Span<float> dz = logitGradients.Slice(r * actions, actions);
            for (int a = 0; a < actions; a++)
            {
                double p = probabilities[a];
                dz[a] = (float)(perEnvironment * ((-advantage * ((a == action ? 1 : 0) - p)) + (entropyCoef * p * (logProbabilities[a] + h))));
            }

            valueGradients[r] = (float)(perEnvironment * valueCoef * error);
            policyLoss -= logProbabilities[action] * advantage;
            valueLoss += 0.5 * error * error;
            entropy += h;
        }

        policyLoss *= perEnvironment;
        valueLoss *= perEnvironment;
        entropy *= perEnvironment;
        double loss = policyLoss - (entropyCoef * entropy) + (valueCoef * valueLoss);
        return new Figures(AsFloat(loss), AsFloat(policyLoss), AsFloat(valueLoss), AsFloat(entropy));
    }

    /// <summary>x as float32 holds it: beyond its range, infinite.</summary>
    private static double AsFloat(double x) => (float)x;
}
