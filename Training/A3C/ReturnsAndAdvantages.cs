namespace GridTime.Training.A3C;

/// <summary>
/// The targets of one rollout of n steps in B environments, computed from the last step back (Schulman et
/// al. 2016): the n-step return R_t = r_t + γ·R_{t+1} and the generalised advantage estimate
/// A_t = δ_t + γλ·A_{t+1} with δ_t = r_t + γ·V_{t+1} − V_t, both cut where an episode ended (notDone = 0)
/// and bootstrapped from the value after the last step. Arrays are step-major: index i·B + b.
/// They are constants of the loss (no gradient flows through them), so they are plain arithmetic on floats.
/// </summary>
public static class ReturnsAndAdvantages
{
    /// <summary>Fills <paramref name="returns"/> and <paramref name="advantages"/> [n·B] from rewards, notDone and values [n·B] and the bootstrap value [B].</summary>
    public static void Compute(
        ReadOnlySpan<float> rewards, ReadOnlySpan<float> notDone, ReadOnlySpan<float> values, ReadOnlySpan<float> bootstrap,
        double gamma, double lambda, Span<float> returns, Span<float> advantages)
    {
        int batch = bootstrap.Length, steps = rewards.Length / batch;
        if (rewards.Length != steps * batch || notDone.Length != rewards.Length || values.Length != rewards.Length
            || returns.Length != rewards.Length || advantages.Length != rewards.Length)
        {
            throw new ArgumentException($"rollout arrays must all be {steps} x {batch} long");
        }

        for (int b = 0; b < batch; b++)
        {
            double followingReturn = bootstrap[b], followingValue = bootstrap[b], advantage = 0;
            for (int i = steps - 1; i >= 0; i--)
            {
                int at = (i * batch) + b;
                followingReturn = rewards[at] + (gamma * followingReturn * notDone[at]);
                double delta = rewards[at] + (gamma * followingValue * notDone[at]) - values[at];
                advantage = delta + (gamma * lambda * notDone[at] * advantage);
                returns[at] = (float)followingReturn;
                advantages[at] = (float)advantage;
                followingValue = values[at];
            }
        }
    }
}
