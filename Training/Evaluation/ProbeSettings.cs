using System.Globalization;
using GridTime.Training.Config;

namespace GridTime.Training.Evaluation;

/// <summary>
/// What <c>probe</c> measures (<see cref="TimeProbe"/>): the T values, the greedy episodes per T, their seed and the
/// fit's ridge penalty. Each property's doc comment is its <c>--help</c> text and its default the command line's.
/// </summary>
public sealed record ProbeSettings
{
    /// <summary>Largest --ridge.</summary>
    public const double MaximumRidge = 1e6;

    /// <summary>Smallest T measured.</summary>
    [Flag("t-from")]
    public int From { get; init; } = 1;

    /// <summary>Largest T measured.</summary>
    [Flag("t-to")]
    public int To { get; init; } = 60;

    /// <summary>Measure only these T (comma-separated, e.g. 12,100,1000) instead of --t-from..--t-to.</summary>
    [Flag("t-list", HelpName = "T,T,...")]
    public IReadOnlyList<int>? List { get; init; }

    /// <summary>Greedy episodes per T, for the fit (every T of the training range) and for each T measured.</summary>
    public int Episodes { get; init; } = 50;

    /// <summary>Seed of the measured episodes' start positions (eval's with the same seed); the fitting episodes' seed is derived from it.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Ridge penalty λ of the least-squares fit (0 = plain least squares; a positive λ shrinks the weights, in the
    /// state's own units), 0..1000000.
    /// </summary>
    [Flag(HelpName = "lambda")]
    public double Ridge { get; init; }

    /// <summary>The evaluation that plays the measured episodes: these T, episodes and seed, greedy, the checkpoint chosen (no selection).</summary>
    public EvalSettings Evaluation => new EvalSettings { From = From, To = To, List = List, Episodes = Episodes, Seed = Seed, Greedy = true, SelectLast = 1 }.Normalized();

    /// <summary>Throws a <see cref="UsageException"/> naming the bad value: those of <see cref="EvalSettings.Validate"/>, and the ridge outside 0..<see cref="MaximumRidge"/>.</summary>
    public void Validate()
    {
        Evaluation.Validate();
        if (!(Ridge >= 0 && Ridge <= MaximumRidge))
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture, $"--ridge must be a number from 0 to {MaximumRidge:0}, got {Ridge}"));
        }
    }
}
