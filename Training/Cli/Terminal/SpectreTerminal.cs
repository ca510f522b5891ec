using GridTime.Training;
using GridTime.Training.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GridTime.Cli.Terminal;

/// <summary>The terminal of <see cref="ProgressDisplay"/>'s live displays, drawn by Spectre.Console.</summary>
public sealed class SpectreTerminal : ILiveTerminal
{
    private readonly IAnsiConsole _console;
    private LiveDisplayContext? _live;

    private SpectreTerminal(IAnsiConsole console) => _console = console;

    /// <summary>A live terminal on standard output, or null when it cannot redraw in place (not interactive, no ANSI).</summary>
    public static ILiveTerminal? OfConsole()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        return console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi ? new SpectreTerminal(console) : null;
    }

    /// <inheritdoc/>
    public int Width => _console.Profile.Width;

    /// <inheritdoc/>
    public T Run<T>(Func<T> work)
    {
        var live = new LiveDisplay(_console, new Text("")) { AutoClear = false, Overflow = VerticalOverflow.Ellipsis };
        return live.Start(context =>
        {
            _live = context;
            try
            {
                return work();
            }
            finally
            {
                _live = null;
            }
        });
    }

    /// <inheritdoc/>
    public void Show(string bar, string details)
    {
        if (_live is null)
        {
            return;
        }

        IRenderable view = details.Length > 0 ? new Rows(new Text(bar), new Text(details)) : new Text(bar);
        _live.UpdateTarget(view);
        _live.Refresh();
    }

    /// <inheritdoc/>
    public void Write(string text) => _console.Write(new Text(text + "\n"));
}
