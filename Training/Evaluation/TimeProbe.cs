using System.Globalization;
using System.Text;
using GridTime.Agents;
using GridTime.Environment;

namespace GridTime.Training.Evaluation;

/// <summary>How well the linear read-outs of a <see cref="TimeProbe"/> recover the time for one T.</summary>
/// <param name="Instruction">T.</param>
/// <param name="Split">"training" (T in the training range), "beyond" (above it) or "below".</param>
/// <param name="Steps">States measured: every step every episode took.</param>
/// <param name="Elapsed">Read-out of the elapsed time t (steps taken).</param>
/// <param name="Left">Read-out of the time left T − t.</param>
public sealed record ProbeRow(int Instruction, string Split, long Steps, FitScore Elapsed, FitScore Left);

/// <summary>
/// Why an agent keeps time or fails: linear read-outs of the elapsed time t and of the time left T − t from the
/// core's recurrent state after each step (<see cref="ActorCritic.StateSize"/> values; for the counter core the
/// accumulator a holds t exactly), fitted (<see cref="LinearReadout"/>) on greedy episodes of every T of the
/// training range and measured, per T, on fresh greedy episodes of the T values asked for, inside the range and
/// beyond it. A read-out that stays exact beyond the range says the state still carries the time there; one that
/// drifts says where the agent's notion of time runs out.
/// </summary>
public static class TimeProbe
{
    /// <summary>Offset of the fitting episodes' seed from the probe's seed, so they are never the measured episodes.</summary>
    public const ulong FitSeedStream = 0xF17;

    /// <summary>Largest size, in bytes, of the least-squares problem of the fit ((n + d) · d doubles).</summary>
    public const long MaximumFitBytes = 2L << 30;

    /// <summary>The CSV columns of probe.csv before the provenance, in order.</summary>
    public static readonly string[] Columns = ["T", "split", "steps", "elapsed_r2", "elapsed_mae", "time_left_r2", "time_left_mae", "ridge"];

    /// <summary>
    /// Fits the read-outs on <paramref name="episodes"/> greedy episodes of every T of the training range of
    /// <paramref name="rules"/> (seed derived from <paramref name="seed"/>), then measures them on
    /// <paramref name="episodes"/> greedy episodes (seed <paramref name="seed"/>, the start positions eval uses) of each
    /// T of <paramref name="instructions"/>. Episodes end at arrival or the rules' timeout. <paramref name="ridge"/> is λ of
    /// <see cref="LinearReadout.Fit"/>. Throws <see cref="UsageException"/> when the fit would exceed
    /// <see cref="MaximumFitBytes"/>; <paramref name="stop"/> is checked at every step.
    /// </summary>
    public static IReadOnlyList<ProbeRow> Run(ActorCritic network, GridWorldOptions rules, IReadOnlyList<int> instructions, int episodes, ulong seed, double ridge, CancellationToken stop = default)
    {
        TorchSharp.torch.set_num_threads(1);
        int width = network.StateSize;
        long fitRows = Enumerable.Range(rules.MinInstruction, rules.MaxInstruction - rules.MinInstruction + 1).Sum(t => (long)episodes * rules.TimeoutFor(t));
        long fitBytes = (fitRows + width) * width * sizeof(double);
        if (fitBytes > MaximumFitBytes)
        {
            throw new UsageException($"fitting on {episodes} episodes per T of T {rules.MinInstruction}..{rules.MaxInstruction} with a state of {width} values needs up to {fitBytes >> 20} MiB, more than {MaximumFitBytes >> 20} MiB: use fewer --episodes");
        }

        var features = new List<float>();
        var targets = new List<double>();
        ulong fitSeed = SeededRandom.Derive(seed, FitSeedStream);
        for (int t = rules.MinInstruction; t <= rules.MaxInstruction; t++)
        {
            int instruction = t;
            Play(network, rules, instruction, episodes, fitSeed, stop, (step, state) =>
            {
                features.AddRange(state);
                targets.Add(step);
                targets.Add(instruction - step);
            });
        }

        LinearReadout readout = LinearReadout.Fit([.. features], width, [.. targets], 2, ridge);
        features.Clear();
        targets.Clear();

        var rows = new List<ProbeRow>();
        var predicted = new double[2];
        foreach (int instruction in instructions)
        {
            var elapsed = new FitScore();
            var left = new FitScore();
            Play(network, rules, instruction, episodes, seed, stop, (step, state) =>
            {
                readout.Predict(state, predicted);
                elapsed.Add(step, predicted[0]);
                left.Add(instruction - step, predicted[1]);
            });
            rows.Add(new ProbeRow(instruction, SplitOf(instruction, rules), elapsed.Count, elapsed, left));
        }

        return rows;
    }

    /// <summary>"training", "beyond" or "below": where <paramref name="instruction"/> lies against the training range of <paramref name="rules"/>.</summary>
    public static string SplitOf(int instruction, GridWorldOptions rules) =>
        instruction > rules.MaxInstruction ? "beyond" : instruction < rules.MinInstruction ? "below" : "training";

    /// <summary>The rows as CSV lines of <see cref="Columns"/> (without a header), each followed by <paramref name="constant"/> fields.</summary>
    public static IEnumerable<string> CsvRows(IEnumerable<ProbeRow> rows, double ridge, IReadOnlyList<string> constant) => rows.Select(r =>
        string.Join(',', new[] { I(r.Instruction), r.Split, I(r.Steps), F(r.Elapsed.R2), F(r.Elapsed.MeanAbsoluteError), F(r.Left.R2), F(r.Left.MeanAbsoluteError), F(ridge) }.Concat(constant)));

    /// <summary>A table for a terminal: per T, then the steps of each split pooled (R² over the pooled steps).</summary>
    public static string ToText(IReadOnlyList<ProbeRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"{"T",5} {"split",8} {"steps",7} {"t: R²",8} {"MAE",7} {"T-t: R²",8} {"MAE",7}");
        foreach (ProbeRow r in rows)
        {
            text.AppendLine(c, $"{r.Instruction,5} {r.Split,8} {r.Steps,7} {r.Elapsed.R2,8:F4} {r.Elapsed.MeanAbsoluteError,7:F2} {r.Left.R2,8:F4} {r.Left.MeanAbsoluteError,7:F2}");
        }

        return text.ToString();
    }

    /// <summary>One line per split: the mean absolute errors over all its steps (steps-weighted).</summary>
    public static string Summary(IReadOnlyList<ProbeRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new StringBuilder();
        foreach (IGrouping<string, ProbeRow> split in rows.GroupBy(r => r.Split))
        {
            long steps = split.Sum(r => r.Steps);
            double Mean(Func<ProbeRow, FitScore> score) => steps > 0 ? split.Sum(r => score(r).MeanAbsoluteError * (r.Steps > 0 ? r.Steps : 0)) / steps : double.NaN;
            lines.AppendLine(c, $"{split.Key} T {split.Min(r => r.Instruction)}..{split.Max(r => r.Instruction)} ({split.Count()} values, {steps} steps): mean |error| of t {Mean(r => r.Elapsed):F2} steps, of T - t {Mean(r => r.Left):F2} steps");
        }

        return lines.ToString();
    }

    // Plays greedy episodes with one T and hands each state an episode took, with its step count t, to take.
    private static void Play(ActorCritic network, GridWorldOptions rules, int instruction, int episodes, ulong seed, CancellationToken stop, Action<int, float[]> take)
    {
        int width = network.StateSize;
        PolicyEvaluator.Run(network, rules, instruction, episodes, seed, greedy: true, record: false, stop, (step, states, took) =>
        {
            for (int e = 0; e < took.Length; e++)
            {
                if (took[e])
                {
                    take(step, states.Slice(e * width, width).ToArray());
                }
            }
        });
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value) => double.IsNaN(value) ? "NaN" : value.ToString("0.######", CultureInfo.InvariantCulture);
}
