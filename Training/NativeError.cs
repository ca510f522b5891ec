using System.Runtime.InteropServices;

namespace GridTime.Training;

/// <summary>
/// An error libtorch reported through TorchSharp (<c>torch.CheckForErrors</c> throws it as an
/// <see cref="ExternalException"/>). Its message is libtorch's, several lines long with the C++ frame it came from;
/// GridTime reports it in one line (the first), because the rest names libtorch's source, not the user's remedy.
/// </summary>
public static class NativeError
{
    /// <summary>Whether <paramref name="e"/> came from libtorch rather than from GridTime's own checks.</summary>
    public static bool Is(Exception e) => e is ExternalException;

    /// <summary>The first non-empty line of the message, trimmed (libtorch's own sentence).</summary>
    public static string FirstLine(Exception e) =>
        e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? e.GetType().Name;

    /// <summary>
    /// The one line for a training run a libtorch error stopped: the agent, the frame count, the checkpoint it
    /// would resume from and the command that does. No final checkpoint is written after such an error (the weights
    /// may hold what the error left), so the last periodic checkpoint is where the run goes on; the line says which.
    /// </summary>
    public static string StoppedTraining(string agent, long frames, Runs.RunFolder folder, Exception error)
    {
        Runs.ResumePoint? point;
        try
        {
            point = Runs.ResumePoint.Find(folder);
        }
        catch (InvalidDataException)
        {
            point = null;
        }

        string resume = $"gridtime train --resume {Files.CommandLine.Quote(folder.Path)}";
        return point is null
            ? $"{agent} stopped at frame {frames:N0} by a libtorch error: {FirstLine(error)}; last checkpoint: none yet; start the run again (the same train command)"
            : $"{agent} stopped at frame {frames:N0} by a libtorch error: {FirstLine(error)}; last checkpoint: {point.Checkpoint} ({point.Header.Frames:N0} frames); continue with: {resume}";
    }

    /// <summary>The innermost GridTime method on <paramref name="e"/>'s stack (where a soak's error was raised), or "unknown".</summary>
    public static string GridTimeFrame(Exception e) =>
        e.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at GridTime.", StringComparison.Ordinal)) is { } line
            ? line[3..].Split(" in ", 2)[0]
            : "unknown";
}
