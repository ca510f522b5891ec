using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;
using GridTime.Cli.Terminal;
using GridTime.Training;
using GridTime.Cli.Commands;
using GridTime.Training.Config;
using GridTime.Training.Files;
using GridTime.Training.Progress;
using GridTime.Training.Sweeps;

namespace GridTime.Cli;

/// <summary>Entry point of the <c>gridtime</c> command-line program.</summary>
public static class Program
{
    /// <summary>Exit code for bad input: arguments, config files, logs, checkpoints.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when a command could not finish: a file could not be written, or training diverged or failed.</summary>
    public const int Failed = 1;

    /// <summary>Exit code when a command was stopped by Ctrl+C (SIGINT) or SIGTERM (128 + SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>
    /// Cancelled when Ctrl+C or SIGTERM arrives during a command. Long commands check it at points where their
    /// outputs are whole (between checkpoints, evaluations, frames), then stop: train writes a final checkpoint
    /// and returns <see cref="Interrupted"/>; others throw <see cref="OperationCanceledException"/>, which
    /// <see cref="Main"/> reports in one line with exit code <see cref="Interrupted"/>.
    /// </summary>
    public static CancellationToken Stop { get; private set; }

    /// <summary>The arguments of the running command (recorded in summaries).</summary>
    public static IReadOnlyList<string> Arguments { get; private set; } = [];

    /// <summary>The exit code of a sweep that ended so: 0 done or submitted, 1 not all done, 130 interrupted.</summary>
    public static int ExitCode(SweepOutcome outcome) => outcome switch
    {
        SweepOutcome.Done or SweepOutcome.Submitted => 0,
        SweepOutcome.Interrupted => Interrupted,
        _ => Failed,
    };

    /// <summary>Runs one gridtime command and returns its exit code.</summary>
    public static int Main(string[] args)
    {
        // Every number of every command (flags, config files, output) is read and written the same way under
        // any LANG: System.CommandLine parses Option<double> with the current culture (de-DE reads 0.01 as 1).
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        Arguments = args;
        NativeHeap.KeepFreedMemory();
        ProgressDisplay.Terminal = SpectreTerminal.OfConsole;
        var root = new RootCommand("GridTime: can a reinforcement-learning agent learn to track time? (Trask et al. 2018, grid-world task)");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(PlotCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(ArithCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        CommandLineChecks.Add(root);

        ParseResult parsed = root.Parse(args);
        if (OptionGivenAsValue(parsed) is { } missing)
        {
            Console.Error.WriteLine($"gridtime: {missing} (see gridtime{CommandPath(parsed.CommandResult)} --help)");
            return BadInput;
        }

        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine($"gridtime: {Misspelling(parsed) ?? Plain(parsed.Errors[0].Message, parsed.CommandResult.Command)} (see gridtime{CommandPath(parsed.CommandResult)} --help)");
            return BadInput;
        }

        // A bad GRIDTIME_SIMD stops every command but a request for help: the help is what one reads to fix it.
        if (Agents.Kernels.Simd.SettingError is { } simd && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            Console.Error.WriteLine($"gridtime: {simd}");
            return BadInput;
        }

        using var signals = new StopSignals();
        Stop = signals.Token;
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (e is UsageException or InvalidDataException)
        {
            // InvalidDataException always names a damaged input file (checkpoint, log, config).
            Console.Error.WriteLine($"gridtime: {e.Message}");
            return BadInput;
        }
        catch (OperationCanceledException) when (Stop.IsCancellationRequested)
        {
            // Outputs are written whole or not at all, so nothing half-made is left under a final name.
            Console.Error.WriteLine("gridtime: interrupted");
            return Interrupted;
        }
        catch (SlurmException e)
        {
            // Slurm could not be asked or refused a job: nothing was submitted, nothing finished was touched.
            Console.Error.WriteLine($"gridtime: {e.Message}");
            return Failed;
        }
        catch (TrainingFailedException e)
        {
            Console.Error.WriteLine($"gridtime: {e.Message}");
            return Failed;
        }
        catch (Exception e) when (NativeError.Is(e))
        {
            // libtorch failed outside a training worker (evaluation, export): its first line, not a stack trace.
            Console.Error.WriteLine($"gridtime: stopped by a libtorch error: {NativeError.FirstLine(e)}");
            return Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Writing failed (disk full, read-only folder); what was complete before stays as it was.
            // The message usually says "cannot write X" itself (Checkpoint, OutputFile); otherwise it is prefixed.
            Console.Error.WriteLine(e.Message.StartsWith("cannot write", StringComparison.Ordinal) ? $"gridtime: {e.Message}" : $"gridtime: cannot write: {e.Message}");
            return Failed;
        }
    }

    // " sweep status" for a subcommand: every command from the root's child down, as the user types them.
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? at = result; at is System.CommandLine.Parsing.CommandResult command && command.Parent is not null; at = at.Parent)
        {
            names.Insert(0, command.Command.Name);
        }

        return string.Concat(names.Select(name => " " + name));
    }

    // System.CommandLine names .NET types ("as expected type 'System.Int32'"): say it as the settings' own parsers do.
    private static string Plain(string message, Command command)
    {
        // An option that takes one value, given twice (those that may be repeated, sweep's --sbatch-arg say, never get here);
        // an option that takes a list takes it as one value, comma-separated.
        Match repeated = Regex.Match(message, @"^Option '(?<option>[^']*)' expects a single argument but (?<count>\d+) were provided\.$");
        if (repeated.Success)
        {
            string name = repeated.Groups["option"].Value;
            Option? option = command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));
            string list = option?.HelpName is { } help && help.Contains(',', StringComparison.Ordinal) ? $", its values comma-separated in one: {name} <{help}>" : "";
            return $"{name} was given {repeated.Groups["count"].Value} times; give it once{list}";
        }

        Match match = Regex.Match(message, @"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']*)' as expected type '(?<type>[^']*)'\.$");
        if (!match.Success)
        {
            return message;
        }

        string kind = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" => "integer",
            "System.UInt32" => $"whole number from 0 to {uint.MaxValue}",
            "System.UInt64" => $"whole number from 0 to {ulong.MaxValue}", // "-1" is an integer: say which ones are taken
            "System.Double" or "System.Single" => "number",
            _ => "value of another kind",
        };
        return $"{match.Groups["option"].Value}: expected {kind}, got '{match.Groups["value"].Value}'";
    }

    // An unknown option or command, named with the valid ones closest to it; null when nothing is unknown.
    /// <summary>
    /// "--seed needs a value; it got the option --workers" where a flag's value is exactly another of the command's
    /// options: the parser takes the next token as the value, so `--seed --workers 2` was reported as an unknown
    /// argument '2', and `--run-dir --frames` would have named a folder "--frames". Options that take a list are left
    /// alone: `--sbatch-arg` passes sbatch's own options (`--sbatch-arg=--time=1:00:00`), whose names sweep shares.
    /// </summary>
    private static string? OptionGivenAsValue(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-')).ToHashSet(StringComparer.Ordinal);
        foreach (OptionResult option in parsed.CommandResult.Children.OfType<OptionResult>().Where(o => o.Option.Arity.MaximumNumberOfValues == 1))
        {
            foreach (Token token in option.Tokens)
            {
                if (names.Contains(token.Value))
                {
                    return $"{option.Option.Name} needs a value; it got the option {token.Value}";
                }
            }
        }

        return null;
    }

    private static string? Misspelling(ParseResult parsed)
    {
        Command command = parsed.CommandResult.Command;
        foreach (string token in parsed.UnmatchedTokens)
        {
            if (token.StartsWith('-'))
            {
                string name = token.Split('=')[0];
                IEnumerable<string> options = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
                return $"unknown option {name} for {(command.Parents.Any() ? $"gridtime {command.Name}" : "gridtime")}{ClosestNames.Hint(name, options)}";
            }

            if (!command.Parents.Any())
            {
                return $"unknown command '{token}'{ClosestNames.Hint(token, command.Subcommands.Select(c => c.Name))}";
            }
        }

        return null;
    }
}
