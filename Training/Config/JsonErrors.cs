using System.Text.Json;

namespace GridTime.Training.Config;

/// <summary>How a JSON file's fault is told to the person who wrote it.</summary>
public static class JsonErrors
{
    /// <summary>
    /// <paramref name="e"/>'s message on one line, its position counted as an editor counts it: "line 3, byte 17" (from
    /// 1; .NET's own "LineNumber: 2 | BytePositionInLine: 16" counts both from 0), and the property path where there is one.
    /// <paramref name="fromText"/> false: <paramref name="e"/> came from reading an already parsed node, whose
    /// positions are those of the node written out again, not of the file, so only the path is given.
    /// </summary>
    public static string Describe(JsonException e, bool fromText = true)
    {
        string message = string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        int cut = IndexOfAny(message, " Path: ", " LineNumber: ");
        if (cut >= 0)
        {
            message = message[..cut];
        }

        var where = new List<string>();
        if (fromText && e.LineNumber is long line)
        {
            where.Add(e.BytePositionInLine is long position ? $"line {line + 1}, byte {position + 1}" : $"line {line + 1}");
        }

        if (!string.IsNullOrEmpty(e.Path) && e.Path != "$")
        {
            where.Add($"at {e.Path}");
        }

        return where.Count == 0 ? message : $"{message} ({string.Join(", ", where)})";
    }

    private static int IndexOfAny(string text, params string[] parts)
    {
        int first = -1;
        foreach (string part in parts)
        {
            int at = text.IndexOf(part, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        return first;
    }
}
