using GridTime.Training;

namespace GridTime.Cli.Commands;

/// <summary>What <c>demo</c> plays. Each property's doc comment is its <c>--help</c> text and its default the command line's.</summary>
public sealed record DemoSettings
{
    /// <summary>Largest --episodes.</summary>
    public const int MaximumEpisodes = 10_000_000;

    /// <summary>Episodes per scripted agent.</summary>
    public int Episodes { get; init; } = 1000;

    /// <summary>Seed of the episodes.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Also print one episode of the timing agent as text pictures.</summary>
    public bool Show { get; init; }

    /// <summary>Throws a <see cref="UsageException"/> when --episodes is outside 1..<see cref="MaximumEpisodes"/>.</summary>
    public void Validate()
    {
        if (Episodes is < 1 or > MaximumEpisodes)
        {
            throw new UsageException($"--episodes must be at least 1 and at most {MaximumEpisodes}, got {Episodes}");
        }
    }
}
