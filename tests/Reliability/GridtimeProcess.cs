using System.Diagnostics;

namespace GridTime.Tests.Reliability;

/// <summary>
/// Runs the built <c>gridtime</c> as a process of its own, for the tests whose fault injection is read from the
/// environment once per process (<see cref="GridTime.Training.FaultInjection"/>) and so cannot run in the test host.
/// </summary>
internal static class GridtimeProcess
{
    /// <summary>Runs gridtime with <paramref name="arguments"/> and the environment variables <paramref name="environment"/>; gives its exit code and output.</summary>
    public static async Task<(int Code, string Output, string Error)> Run(string[] arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtime.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
