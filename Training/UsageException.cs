namespace GridTime.Training;

/// <summary>
/// Bad input from the user: a setting, a file or a folder that cannot be used as given. The message is one line that
/// names the input and what is wrong with it; the gridtime program reports it as that line with exit code 2.
/// </summary>
public sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
