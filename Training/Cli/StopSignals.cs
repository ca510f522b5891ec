using System.Runtime.InteropServices;
using GridTime.Training;

namespace GridTime.Cli;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into a cancellation token for the duration of a command, instead of
/// killing the process, so long jobs can write a final checkpoint and flush their logs before exiting. A second
/// signal while the command is stopping ends the process at once.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>Starts listening.</summary>
    public StopSignals()
    {
        // Both signals through the same direct registration (not Console.CancelKeyPress, which sets up the
        // console first and under load was seen to leave a SIGINT unanswered in a test).
        _registrations = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(signal => PosixSignalRegistration.Create(signal, OnSignal))];
    }

    /// <summary>Cancelled when a stop signal arrives.</summary>
    public CancellationToken Token => _stop.Token;

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _stop.Dispose();
    }

    // The first signal asks the command to stop at its next safe point; a second one, while it is still
    // stopping, ends the process the default way (a command that cannot stop soon is never unkillable by Ctrl+C).
    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = !_stop.IsCancellationRequested;
        _stop.Cancel();
    }
}
