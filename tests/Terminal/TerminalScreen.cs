using System.Text;

namespace GridTime.Tests.Terminal;

/// <summary>
/// A small emulation of what a VT100-style terminal shows for a stream of output: printable characters with
/// automatic wrapping at the right margin, carriage return, line feed, backspace, and the CSI sequences a live
/// display uses (cursor up/down/left/right/column, erase in line and display); colours and modes are ignored. Every
/// line ever written is kept (the scrollback and the screen together), so a display that floods the terminal with
/// copies of itself shows as many lines.
/// </summary>
public sealed class TerminalScreen(int width)
{
    private readonly List<StringBuilder> _lines = [new()];
    private int _row;
    private int _column;
    private bool _pendingWrap;

    /// <summary>How many times text ran into the right margin and continued on the next line.</summary>
    public int Wraps { get; private set; }

    /// <summary>Every line, top to bottom, trailing spaces removed.</summary>
    public IReadOnlyList<string> Lines => [.. _lines.Select(l => l.ToString().TrimEnd())];

    /// <summary>The screen after <paramref name="output"/> (UTF-8 bytes as a program wrote them to the terminal).</summary>
    public static TerminalScreen Of(byte[] output, int width)
    {
        var screen = new TerminalScreen(width);
        screen.Write(Encoding.UTF8.GetString(output));
        return screen;
    }

    /// <summary>Interprets <paramref name="text"/>.</summary>
    public void Write(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\x1b':
                    i = Escape(text, i);
                    break;
                case '\r':
                    _column = 0;
                    _pendingWrap = false;
                    break;
                case '\n':
                    MoveTo(_row + 1, _column);
                    break;
                case '\b':
                    _column = Math.Max(0, _column - 1);
                    _pendingWrap = false;
                    break;
                case '\a':
                    break;
                default:
                    Put(c);
                    break;
            }
        }
    }

    private void Put(char c)
    {
        if (_pendingWrap)
        {
            Wraps++;
            MoveTo(_row + 1, 0);
        }

        StringBuilder line = _lines[_row];
        while (line.Length <= _column)
        {
            line.Append(' ');
        }

        line[_column] = c;
        if (_column == width - 1)
        {
            _pendingWrap = true; // the next printable character goes to the next line
        }
        else
        {
            _column++;
        }
    }

    private void MoveTo(int row, int column)
    {
        _row = Math.Max(0, row);
        while (_lines.Count <= _row)
        {
            _lines.Add(new StringBuilder());
        }

        _column = Math.Clamp(column, 0, width - 1);
        _pendingWrap = false;
    }

    // Interprets the escape sequence starting at text[start]; returns the index of its last character.
    private int Escape(string text, int start)
    {
        if (start + 1 >= text.Length)
        {
            return start;
        }

        char kind = text[start + 1];
        if (kind == ']')
        {
            // Operating system command: up to BEL or ESC \.
            int end = start + 2;
            while (end < text.Length && text[end] != '\a' && !(text[end] == '\x1b' && end + 1 < text.Length && text[end + 1] == '\\'))
            {
                end++;
            }

            return end < text.Length && text[end] == '\x1b' ? end + 1 : end;
        }

        if (kind != '[')
        {
            return start + 1; // ESC =, ESC >, ESC 7, ...: modes and saved cursors, which do not change the text
        }

        int at = start + 2;
        var parameters = new StringBuilder();
        while (at < text.Length && text[at] is (>= '0' and <= '9') or ';' or '?')
        {
            parameters.Append(text[at++]);
        }

        if (at >= text.Length)
        {
            return at;
        }

        string[] fields = parameters.ToString().TrimStart('?').Split(';');
        int First(int fallback) => int.TryParse(fields[0], out int n) ? n : fallback;
        StringBuilder line = _lines[_row];
        switch (text[at])
        {
            case 'A': MoveTo(_row - Math.Max(1, First(1)), _column); break;
            case 'B': MoveTo(_row + Math.Max(1, First(1)), _column); break;
            case 'C': MoveTo(_row, _column + Math.Max(1, First(1))); break;
            case 'D': MoveTo(_row, _column - Math.Max(1, First(1))); break;
            case 'G': MoveTo(_row, First(1) - 1); break;
            case 'K':
                switch (First(0))
                {
                    case 0: line.Length = Math.Min(line.Length, _column); break;
                    case 1: for (int k = 0; k <= _column && k < line.Length; k++) { line[k] = ' '; } break;
                    default: line.Clear(); break;
                }

                break;
            case 'J':
                if (First(0) == 0)
                {
                    line.Length = Math.Min(line.Length, _column);
                    _lines.RemoveRange(_row + 1, _lines.Count - _row - 1);
                }

                break;
            default:
                break; // colours (m), modes (h, l), cursor visibility
        }

        return at;
    }
}
