using System.Runtime.InteropServices;

namespace GridTime.Training;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into a cancellation token for the duration of a command, instead of
/// killing the process, so long jobs can write a final checkpoint and flush their logs before exiting.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _terminate;

    /// <summary>Starts listening.</summary>
    public StopSignals()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
    }

    /// <summary>Cancelled when a stop signal arrives.</summary>
    public CancellationToken Token => _stop.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _terminate.Dispose();
        _stop.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }
}
