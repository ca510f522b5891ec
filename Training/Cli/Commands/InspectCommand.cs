using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Training;
using GridTime.Training.Runs;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime inspect</c>: prints the effective weights W = tanh(Ŵ)·σ(M̂) of every NAC (also the NAC inside a
/// NALU) of a trained agent. It answers "did the accumulator become an accumulator?": weights near ±1 and 0
/// add and subtract exactly; small weights mean the unit is a plain linear projection.
/// </summary>
public static class InspectCommand
{
    /// <summary>Matrices with at most this many rows are printed whole; larger ones are summarised.</summary>
    private const int PrintedRows = 12;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run folder whose latest checkpoint is inspected.", HelpName = "DIR" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint file to inspect instead of the run's latest (with --run, it must belong to that run).", HelpName = "FILE" };
        var command = new Command("inspect", "Print the learned NAC, NALU and NAU weights of a trained agent (are they near -1, 0, 1?).") { run, checkpoint };
        command.SetAction(parsed =>
        {
            string? folder = parsed.GetValue(run), file = parsed.GetValue(checkpoint);
            CheckpointFile read = RunLoading.Resolve(folder, file, "inspect it alone with --checkpoint, or with --run set to the run it belongs to");
            if (read.Warning is not null)
            {
                Console.Error.WriteLine($"gridtime: warning: {read.Warning}");
            }

            CheckpointHeader header = read.Header;
            using (Agents.ActorCritic network = RunLoading.Network(read))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file ?? folder}: agent {header.Config.Agent.Name()}, {header.Frames:N0} frames"));
                Print(network);
                Console.WriteLine($"provenance: {CheckpointProvenance.Of(folder is null ? null : new RunFolder(folder), read)}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>A weight as printed: sign and three decimals; one that rounds to zero is +0.000, never -+0.000 or -0.000.</summary>
    public static string Show(float weight) => (Math.Round(weight, 3) + 0.0).ToString("+0.000;-0.000", CultureInfo.InvariantCulture);

    /// <summary>
    /// The largest distance of a weight from the nearest of −1, 0 and 1, in float32 as stored ("0" when every weight is
    /// one of them exactly, else e.g. "6.1e-05"): a weight of 0.9994 shows as +0.999 but drifts a step per ~1,700 added.
    /// </summary>
    public static string FarthestFromExact(IEnumerable<float> weights)
    {
        float farthest = weights.Select(x => Math.Min(Math.Abs(x), Math.Min(Math.Abs(x - 1f), Math.Abs(x + 1f)))).DefaultIfEmpty(0f).Max();
        return farthest == 0f ? "0" : farthest.ToString("0.0e+00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Writes every NAC's effective weights to the console, rows = inputs and columns = outputs, each named as the
    /// core names them (<see cref="Agents.Cores.RecurrentCore.ArithmeticUnits"/>: T, h1.., a1.. in, n1.., a1.., r1..
    /// out).
    /// </summary>
    public static void Print(Agents.ActorCritic network)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        IReadOnlyList<Agents.Cores.LabelledUnit> units = network.Core.ArithmeticUnits;
        foreach (Agents.Cores.LabelledUnit unit in units)
        {
            float[] w = unit.Weight().contiguous().data<float>().ToArray();
            long rows = unit.Inputs.Count, columns = unit.Outputs.Count;
            float largest = w.Max(Math.Abs);
            int nearOne = w.Count(x => Math.Abs(x) > 0.9f);
            Console.WriteLine($"{unit.Role}");
            Console.WriteLine($"  W [{rows} inputs x {columns} outputs], max |W| {largest.ToString("0.000", CultureInfo.InvariantCulture)}, {nearOne} of {w.Length} with |W| > 0.9");
            Console.WriteLine($"  farthest weight from the nearest of -1, 0, 1: {FarthestFromExact(w)} (0: each is exactly one of them)");
            int width = Math.Max(8, unit.Inputs.Max(l => l.Length));
            Console.WriteLine($"  {"in \\ out".PadRight(width)} {string.Join(" ", unit.Outputs.Select(o => o.PadLeft(6)))}");
            long shownRows = Math.Min(rows, PrintedRows);
            for (long r = 0; r < shownRows; r++)
            {
                string cells = string.Join(" ", Enumerable.Range(0, (int)columns).Select(c => Show(w[(r * columns) + c])));
                Console.WriteLine($"  {unit.Inputs[(int)r].PadRight(width)} {cells}");
            }

            if (rows > shownRows)
            {
                Console.WriteLine($"  ... {rows - shownRows} more input rows ({unit.Inputs[(int)shownRows]}..{unit.Inputs[^1]})");
            }
        }

        if (units.Count == 0)
        {
            Console.WriteLine("this agent has no NAC");
        }
    }
}
