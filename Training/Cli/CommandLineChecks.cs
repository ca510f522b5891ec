using System.CommandLine;
using System.CommandLine.Parsing;
using GridTime.Training;
using GridTime.Training.Files;

namespace GridTime.Cli;

/// <summary>Checks every command's values at parse time, so that bad ones are one line and exit code 2 before anything runs.</summary>
public static class CommandLineChecks
{
    /// <summary>
    /// Adds to every option and argument of <paramref name="root"/> and its subcommands: an empty text value
    /// (<c>--run-dir ''</c>, <c>replay ''</c>) is an error, since no gridtime path or setting means the empty text;
    /// a number option's value with a comma (<c>--fps 2,5</c>, which the invariant culture would read as 25) is an
    /// error, since numbers are written with a decimal point. The program reports the first error in one line.
    /// </summary>
    public static void Add(Command root)
    {
        foreach (Option option in root.Options)
        {
            if (option is Option<string> or Option<string[]>)
            {
                option.Validators.Add(result => RefuseEmpty(result, option.Name));
            }
            else if (option is Option<double> or Option<double?> or Option<float>)
            {
                option.Validators.Add(result => RefuseComma(result, option.Name));
            }
        }

        foreach (Argument argument in root.Arguments)
        {
            if (argument is Argument<string> or Argument<string[]>)
            {
                argument.Validators.Add(result => RefuseEmpty(result, $"the <{argument.Name}> argument"));
            }
        }

        foreach (Command command in root.Subcommands)
        {
            Add(command);
        }
    }

    private static void RefuseEmpty(SymbolResult result, string name)
    {
        if (result.Tokens.Any(t => t.Value.Length == 0))
        {
            result.AddError($"{name}: the value is empty");
        }
    }

    private static void RefuseComma(SymbolResult result, string name)
    {
        if (result.Tokens.FirstOrDefault(t => t.Value.Contains(',', StringComparison.Ordinal)) is Token token)
        {
            result.AddError($"{name}: write numbers with a decimal point and no thousands separator, got '{token.Value}'");
        }
    }
}
