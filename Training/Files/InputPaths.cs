using System.CommandLine;

namespace GridTime.Training.Files;

/// <summary>Command-line values that must not be empty: paths above all (<c>--run-dir ''</c>, <c>replay ''</c>).</summary>
public static class InputPaths
{
    /// <summary>
    /// Makes an empty value given to any text option or argument of <paramref name="root"/> and its subcommands a
    /// parse error ("--run-dir: the value is empty"), which the program reports in one line with exit code 2
    /// before any command runs. No gridtime setting has a meaning for the empty text.
    /// </summary>
    public static void RefuseEmptyValues(Command root)
    {
        foreach (Option option in root.Options)
        {
            if (option is Option<string> or Option<string[]>)
            {
                string name = option.Name;
                option.Validators.Add(result =>
                {
                    if (result.Tokens.Any(t => t.Value.Length == 0))
                    {
                        result.AddError($"{name}: the value is empty");
                    }
                });
            }
        }

        foreach (Argument argument in root.Arguments)
        {
            if (argument is Argument<string> or Argument<string[]>)
            {
                string name = argument.Name;
                argument.Validators.Add(result =>
                {
                    if (result.Tokens.Any(t => t.Value.Length == 0))
                    {
                        result.AddError($"the <{name}> argument is empty");
                    }
                });
            }
        }

        foreach (Command command in root.Subcommands)
        {
            RefuseEmptyValues(command);
        }
    }
}
