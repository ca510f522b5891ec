using GridTime.Environment;

namespace GridTime.Training.A3C;

/// <summary>
/// Draws each environment's action from its policy: a softmax over the logits and one uniform draw per
/// environment, from a seeded stream. Done on the CPU in plain code because acting needs no gradient
/// through the draw, and as tensor operations (softmax, multinomial, reading the result) it was three native
/// calls and two allocations at every step, each costing more than the 32 five-way draws themselves.
/// </summary>
public sealed class ActionSampler(ulong seed)
{
    private readonly SeededRandom _random = new(seed);

    /// <summary>
    /// Fills <paramref name="actions"/> [B] and <paramref name="probabilities"/> [B·A] (the policy, for episode
    /// logs) from <paramref name="logits"/> [B·A] (B rows of A).
    /// </summary>
    public void Sample(ReadOnlySpan<float> logits, Span<int> actions, Span<float> probabilities)
    {
        ReadOnlySpan<float> z = logits;
        int count = logits.Length / actions.Length;
        for (int b = 0; b < actions.Length; b++)
        {
            ReadOnlySpan<float> row = z.Slice(b * count, count);
            Span<float> p = probabilities.Slice(b * count, count);
            float largest = float.NegativeInfinity;
            foreach (float v in row)
            {
                largest = Math.Max(largest, v);
            }

            float sum = 0;
            for (int a = 0; a < count; a++)
            {
                p[a] = MathF.Exp(row[a] - largest);
                sum += p[a];
            }

            // The first action whose cumulative weight exceeds the draw; if rounding leaves the draw at the sum,
            // the last action with any weight.
            float draw = _random.NextSingle() * sum, cumulative = 0;
            int chosen = -1, last = 0;
            for (int a = 0; a < count; a++)
            {
                cumulative += p[a];
                last = p[a] > 0 ? a : last;
                if (chosen < 0 && draw < cumulative)
                {
                    chosen = a;
                }
            }

            actions[b] = chosen >= 0 ? chosen : last;
            for (int a = 0; a < count; a++)
            {
                p[a] /= sum;
            }
        }
    }
}
