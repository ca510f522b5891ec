using GridTime.Training;

namespace GridTime.Tests.Training;

/// <summary>Runs the gridtime program in-process and captures what it prints.</summary>
public static class Cli
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
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
