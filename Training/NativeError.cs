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

    /// <summary>The innermost GridTime method on <paramref name="e"/>'s stack (where a soak's error was raised), or "unknown".</summary>
    public static string GridTimeFrame(Exception e) =>
        e.StackTrace?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("at GridTime.", StringComparison.Ordinal)) is { } line
            ? line[3..].Split(" in ", 2)[0]
            : "unknown";
}
