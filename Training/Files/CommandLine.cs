namespace GridTime.Training.Files;

/// <summary>Command lines as GridTime prints them for the user to paste back into a POSIX shell.</summary>
public static class CommandLine
{
    /// <summary>
    /// <paramref name="argument"/> as one shell word: unchanged when it holds only characters no shell treats
    /// specially, otherwise in single quotes (a single quote inside written as '\'').
    /// </summary>
    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c))
            ? argument
            : $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
