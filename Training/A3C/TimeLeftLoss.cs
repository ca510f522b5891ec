namespace GridTime.Training.A3C;

/// <summary>
/// The auxiliary loss on a core's own time-left estimate s (<see cref="Agents.Cores.RecurrentCore.TimeLeftOutput"/>):
/// L = c · mean over environments of Σ over the rollout's steps of ½(s − (T − t))², with T − t the environment's time
/// left before the step's action (<see cref="Environment.GridWorld.TimeLeft"/>) and c = --time-left-loss. An
/// auxiliary task in the sense of Jaderberg et al. 2017 (UNREAL): it shapes the representation, the policy never sees
/// its target.
/// </summary>
public static class TimeLeftLoss
{
    /// <summary>
    /// Writes ∂L/∂(core output) into <paramref name="gradients"/> [n·B·O] (zero except column <paramref name="column"/>:
    /// c·(s − y)/B) from the rollout's core outputs <paramref name="outputs"/> [n·B·O] and targets
    /// <paramref name="timeLeft"/> [n·B] (step-major), O = <paramref name="width"/>, B = <paramref name="batch"/>;
    /// returns L.
    /// </summary>
    public static double Gradients(ReadOnlySpan<float> outputs, ReadOnlySpan<float> timeLeft, int width, int column, int batch, double weight, Span<float> gradients)
    {
        gradients.Clear();
        double loss = 0;
        for (int r = 0; r < timeLeft.Length; r++)
        {
            double error = outputs[(r * width) + column] - timeLeft[r];
            loss += 0.5 * error * error;
            gradients[(r * width) + column] = (float)(weight * error / batch);
        }

        return weight * loss / batch;
    }
}
