using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using GridTime.Agents.Arithmetic;
using static TorchSharp.torch;

namespace GridTime.Training.Commands;

/// <summary>
/// <c>gridtime arith</c>: the paper's static arithmetic task (section 4.1), a check that the NAC and NALU
/// layers are right. Trains an MLP, a two-layer NAC and a two-layer NALU on six operations and prints
/// interpolation and extrapolation errors, raw and normalised (random model = 100, perfect = 0).
/// </summary>
public static class ArithCommand
{
    /// <summary>Largest --steps.</summary>
    public const int MaximumSteps = 1_000_000;

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
        var command = new Command("arith", "Static arithmetic task: MLP vs NAC vs NALU, interpolation and extrapolation error.") { steps, seed, learningRate, only };
        command.SetAction(result =>
        {
            var settings = defaults with { Steps = result.GetValue(steps), Seed = result.GetValue(seed), LearningRate = result.GetValue(learningRate) };
            if (settings.Steps is < 1 or > MaximumSteps || !(settings.LearningRate > 0) || !double.IsFinite(settings.LearningRate))
            {
                throw new UsageException($"--steps must be 1..{MaximumSteps} and --lr a positive finite number, got {settings.Steps} and {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}");
            }

            string[] names = result.GetValue(only) ?? [];
            ArithmeticOperation[] operations = names.Length == 0
                ? Enum.GetValues<ArithmeticOperation>()
                : [.. names.SelectMany(n => n.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Select(ParseOperation).Distinct()];
            Run(settings, operations);
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
            : throw new UsageException($"--operation: unknown operation '{name}'{Config.ClosestNames.Hint(name, names)} (expected one of: {string.Join(", ", names)})");
    }

    private static void Run(ArithmeticSettings settings, IEnumerable<ArithmeticOperation> operations)
    {
        set_num_threads(1);
        Console.WriteLine($"static arithmetic task: {settings.Inputs} inputs, a = sum of inputs {settings.ASliceStart}..{settings.ASliceStart + settings.SliceLength - 1}, "
            + $"b = sum of inputs {settings.BSliceStart}..{settings.BSliceStart + settings.SliceLength - 1}; train on [0, {settings.TrainRange}), "
            + $"extrapolate to [0, {settings.ExtrapolationRange}); {settings.Steps} Adam steps (lr {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {settings.BatchSize}), seed {settings.Seed}");
        Console.WriteLine("normalised error: 100 = mean of randomly initialised models of the same kind, 0 = perfect");
        Console.WriteLine();
        Console.WriteLine($"{"operation",-9} {"model",-5} {"interp MSE",11} {"extrap MSE",11} {"interp norm",11} {"extrap norm",11} {"extrap rel",10}");
        var clock = Stopwatch.StartNew();
        foreach (ArithmeticOperation operation in operations)
        {
            foreach (ArithmeticModel model in Enum.GetValues<ArithmeticModel>())
            {
                ArithmeticResult r = ArithmeticExperiment.Run(operation, model, settings, Program.Stop);
                Console.WriteLine($"{operation.Symbol(),-9} {model.ToString().ToLowerInvariant(),-5} {r.Interpolation,11:G3} {r.Extrapolation,11:G3} {r.InterpolationNormalised,11:F1} {r.ExtrapolationNormalised,11:F1} {r.ExtrapolationRelative,10:P1}");
            }
        }

        Console.WriteLine($"\n{clock.Elapsed.TotalSeconds:F1} s");
    }
}
