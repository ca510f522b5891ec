using System.Globalization;
using GridTime.Training.A3C;
using static TorchSharp.torch.utils.tensorboard;

namespace GridTime.Training.Runs;

/// <summary>
/// Writes one row per logging interval to metrics.csv and the same scalars, under the same names, to
/// TensorBoard event files in tb/. Names are namespaced as in CleanRL: charts/… for what the agent
/// achieves, losses/… for the optimisation.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    /// <summary>The metric names, in column order after frames and wall_seconds.</summary>
    public static readonly string[] Names =
    [
        "charts/episodes",
        "charts/mean_reward",
        "charts/fraction_of_best",
        "charts/exact_arrival_rate",
        "charts/frames_per_second",
        "losses/policy_loss",
        "losses/value_loss",
        "losses/entropy",
        "losses/grad_norm",
    ];

    private readonly StreamWriter _csv;
    private readonly TorchSharp.Modules.SummaryWriter _tensorBoard;

    /// <summary>Opens metrics.csv for appending (writing the header if new) and a new TensorBoard event file.</summary>
    public MetricsLog(string csvPath, string tensorBoardFolder)
    {
        bool exists = File.Exists(csvPath) && new FileInfo(csvPath).Length > 0;
        _csv = new StreamWriter(csvPath, append: true);
        if (!exists)
        {
            _csv.WriteLine(string.Join(',', ["frames", "wall_seconds", .. Names]));
            _csv.Flush();
        }

        _tensorBoard = SummaryWriter(tensorBoardFolder);
    }

    /// <summary>Writes one interval's row.</summary>
    public void Write(long frames, double wallSeconds, IntervalTotals totals, double framesPerSecond)
    {
        double[] values =
        [
            totals.Episodes,
            totals.MeanReward,
            totals.FractionOfBest,
            totals.ExactArrivalRate,
            framesPerSecond,
            totals.PerUpdate(totals.PolicyLoss),
            totals.PerUpdate(totals.ValueLoss),
            totals.PerUpdate(totals.Entropy),
            totals.PerUpdate(totals.GradientNorm),
        ];
        var fields = new List<string> { frames.ToString(CultureInfo.InvariantCulture), wallSeconds.ToString("F1", CultureInfo.InvariantCulture) };
        fields.AddRange(values.Select(v => v.ToString("G6", CultureInfo.InvariantCulture)));
        _csv.WriteLine(string.Join(',', fields));
        _csv.Flush();
        int step = (int)Math.Min(frames, int.MaxValue);
        for (int i = 0; i < Names.Length; i++)
        {
            if (double.IsFinite(values[i]))
            {
                _tensorBoard.add_scalar(Names[i], (float)values[i], step);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _csv.Dispose();
}
