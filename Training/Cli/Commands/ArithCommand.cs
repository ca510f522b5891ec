using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GridTime.Agents.Arithmetic;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Evaluation;
using static TorchSharp.torch;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime arith</c>: the paper's static arithmetic task (section 4.1, Table 1), a check that the NAC, NALU, NAU and
/// NMU layers are right. Trains an MLP and two layers of NAC, of NALU, of NAU, and NAU then NMU on six operations and
/// prints interpolation and extrapolation errors, raw and normalised (random model = 100, perfect = 0), and whether each
/// succeeds by Madsen &amp; Johansen's criterion; with <c>--seeds N</c>, each cell's success rate over N seeds.
/// </summary>
public static class ArithCommand
{
    /// <summary>Largest --steps.</summary>
    public const int MaximumSteps = 1_000_000;

    /// <summary>Largest --seeds.</summary>
    public const int MaximumSeeds = 1000;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var defaults = new ArithmeticSettings();
        var steps = new Option<int>("--steps") { Description = "Adam steps per model.", DefaultValueFactory = _ => defaults.Steps };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data and the initial weights.", DefaultValueFactory = _ => defaults.Seed };
        var learningRate = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var only = new Option<string[]>("--operation")
        {
            Description = "Run only these operations, separated by commas or spaces (add, subtract, multiply, divide, square, squareroot); default all.",
            AllowMultipleArgumentsPerToken = true,
        };
        var seeds = new Option<int>("--seeds")
        {
            Description = $"Seeds per model and operation (seed, seed + 1, ...): with more than one, each cell's success rate over them (extrapolation error below the ε-perfect solution's, Madsen & Johansen 2020) with its 95% Wilson interval, and the median normalised extrapolation error; 1..{MaximumSeeds}.",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("arith", "Static arithmetic task: MLP vs NAC vs NALU vs NAU/NMU, interpolation and extrapolation error, success over seeds.") { steps, seed, learningRate, only, seeds };
        command.SetAction(result =>
        {
            var settings = defaults with { Steps = result.GetValue(steps), Seed = result.GetValue(seed), LearningRate = result.GetValue(learningRate) };
            if (settings.Steps is < 1 or > MaximumSteps || !(settings.LearningRate > 0) || !double.IsFinite(settings.LearningRate))
            {
                throw new UsageException($"--steps must be 1..{MaximumSteps} and --lr a positive finite number, got {settings.Steps} and {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}");
            }

            int seedCount = result.GetValue(seeds);
            if (seedCount is < 1 or > MaximumSeeds || settings.Seed > ulong.MaxValue - (ulong)seedCount)
            {
                throw new UsageException($"--seeds must be 1..{MaximumSeeds} and --seed + --seeds at most {ulong.MaxValue}, got {seedCount} from {settings.Seed}");
            }

            string[] names = result.GetValue(only) ?? [];
            ArithmeticOperation[] operations = names.Length == 0
                ? Enum.GetValues<ArithmeticOperation>()
                : [.. names.SelectMany(n => n.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Select(ParseOperation).Distinct()];
            if (seedCount == 1)
            {
                Run(settings, operations);
            }
            else
            {
                RunSeeds(settings, operations, seedCount);
            }

            return 0;
        });
        return command;
    }

    // One operation by its name: Enum.TryParse would read "subtract,multiply" as the flags Subtract | Multiply (= Divide), and "3" as Divide.
    private static ArithmeticOperation ParseOperation(string name)
    {
        string[] names = [.. Enum.GetNames<ArithmeticOperation>().Select(n => n.ToLowerInvariant())];
        int index = Array.IndexOf(names, name.ToLowerInvariant());
        return index >= 0
            ? Enum.GetValues<ArithmeticOperation>()[index]
            : throw new UsageException($"--operation: unknown operation '{name}'{ClosestNames.Hint(name, names)} (expected one of: {string.Join(", ", names)})");
    }

    private static void Run(ArithmeticSettings settings, IEnumerable<ArithmeticOperation> operations)
    {
        set_num_threads(1);
        Console.WriteLine($"static arithmetic task: {settings.Inputs} inputs, a = sum of inputs {settings.ASliceStart}..{settings.ASliceStart + settings.SliceLength - 1}, "
            + $"b = sum of inputs {settings.BSliceStart}..{settings.BSliceStart + settings.SliceLength - 1}; train on [0, {settings.TrainRange}), "
            + $"extrapolate to [0, {settings.ExtrapolationRange}); {settings.Steps} Adam steps (lr {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {settings.BatchSize}), seed {settings.Seed}");
        Console.WriteLine("normalised error: 100 = mean of randomly initialised models of the same kind, 0 = perfect");
        Console.WriteLine();
        Console.WriteLine($"success: extrapolation MSE below the ε-perfect solution's (ε = {settings.Epsilon.ToString(CultureInfo.InvariantCulture)}, Madsen & Johansen 2020)");
        Console.WriteLine();
        Console.WriteLine($"{"operation",-9} {"model",-5} {"interp MSE",11} {"extrap MSE",11} {"interp norm",11} {"extrap norm",11} {"extrap rel",10} {"ε-perfect",10} success");
        var clock = Stopwatch.StartNew();
        foreach (ArithmeticOperation operation in operations)
        {
            foreach (ArithmeticModel model in Enum.GetValues<ArithmeticModel>())
            {
                ArithmeticResult r = ArithmeticExperiment.Run(operation, model, settings, Program.Stop);
                Console.WriteLine($"{operation.Symbol(),-9} {Name(model),-5} {r.Interpolation,11:G3} {r.Extrapolation,11:G3} {r.InterpolationNormalised,11:F1} {r.ExtrapolationNormalised,11:F1} {r.ExtrapolationRelative,10:P1} {r.EpsilonPerfect,10:G3} {(r.Success ? "yes" : "no")}");
            }
        }

        Console.WriteLine($"\n{clock.Elapsed.TotalSeconds:F1} s");
    }

    // Every (operation, model) over seeds seed..seed + count − 1, on all cores (each cell is seeded and independent, so the
    // figures do not depend on the order cells finish in); one line per operation as it finishes, then the table.
    private static void RunSeeds(ArithmeticSettings settings, IReadOnlyList<ArithmeticOperation> operations, int count)
    {
        set_num_threads(1);
        ArithmeticModel[] models = Enum.GetValues<ArithmeticModel>();
        Console.WriteLine($"static arithmetic task over seeds {settings.Seed}..{settings.Seed + (ulong)count - 1}: {settings.Steps} Adam steps per model (lr {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}); "
            + $"success = extrapolation MSE on [0, {settings.ExtrapolationRange}) below the ε-perfect solution's (ε = {settings.Epsilon.ToString(CultureInfo.InvariantCulture)}, Madsen & Johansen 2020)");
        var clock = Stopwatch.StartNew();
        var rows = new List<string>();
        foreach (ArithmeticOperation operation in operations)
        {
            var cells = (from model in models from s in Enumerable.Range(0, count) select (Model: model, Seed: settings.Seed + (ulong)s)).ToArray();
            var results = new ArithmeticResult[cells.Length];
            try
            {
                Parallel.For(0, cells.Length, new ParallelOptions { MaxDegreeOfParallelism = System.Environment.ProcessorCount, CancellationToken = Program.Stop }, i =>
                    results[i] = ArithmeticExperiment.Run(operation, cells[i].Model, settings with { Seed = cells[i].Seed }, Program.Stop));
            }
            catch (AggregateException e)
            {
                // The first cell's own exception, so that Ctrl+C and a libtorch error end as they do anywhere else (one line).
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            foreach (ArithmeticModel model in models)
            {
                ArithmeticResult[] mine = [.. results.Where((_, i) => cells[i].Model == model)];
                int successes = mine.Count(r => r.Success);
                ConfidenceInterval ci = ConfidenceInterval.Wilson(successes, mine.Length);
                double[] errors = [.. mine.Select(r => double.IsNaN(r.ExtrapolationNormalised) ? double.PositiveInfinity : r.ExtrapolationNormalised).Order()];
                double median = Statistics.Median(errors);
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"{operation.Symbol(),-9} {Name(model),-5} {successes,4}/{mine.Length,-4} {ci.Percent(),-16} {median,12:F1}"));
            }

            Console.WriteLine($"{operation.Symbol()}: done ({clock.Elapsed.TotalSeconds:F0} s)");
        }

        Console.WriteLine();
        Console.WriteLine($"{"operation",-9} {"model",-5} {"success",9} {"95% CI (Wilson)",-16} {"median extrap norm",12}");
        rows.ForEach(Console.WriteLine);
        Console.WriteLine("\nextrap norm: 100 x extrapolation MSE / that of randomly initialised models of the same kind (0 = perfect)");
    }

    private static string Name(ArithmeticModel model) => model.ToString().ToLowerInvariant();
}
