using System.Globalization;
using GridTime.Cli;

namespace GridTime.Tests.Training;

/// <summary>Runs the gridtime program in-process and captures what it prints.</summary>
public static class Gridtime
{
    /// <summary>
    /// Runs <c>gridtime args</c>. Program.Main sets the invariant culture for the process; the caller's cultures
    /// (this thread's and the defaults of new threads) are restored afterwards, so other tests see theirs.
    /// </summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        CultureInfo culture = CultureInfo.CurrentCulture, uiCulture = CultureInfo.CurrentUICulture;
        CultureInfo? threadCulture = CultureInfo.DefaultThreadCurrentCulture, threadUiCulture = CultureInfo.DefaultThreadCurrentUICulture;
        TextWriter output = Console.Out, error = Console.Error;
        var capturedOutput = new StringWriter();
        var capturedError = new StringWriter();
        Console.SetOut(capturedOutput);
        Console.SetError(capturedError);
        try
        {
            int code = Program.Main(args);
            return (code, capturedOutput.ToString(), capturedError.ToString());
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = uiCulture;
            CultureInfo.DefaultThreadCurrentCulture = threadCulture;
            CultureInfo.DefaultThreadCurrentUICulture = threadUiCulture;
        }
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
public sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("gridtime-test-").FullName;

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
