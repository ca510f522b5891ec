namespace GridTime.Environment;

/// <summary>The rules of one grid world. Validate with <see cref="Validate"/> (the environments do).</summary>
public sealed record GridWorldOptions
{
    /// <summary>
    /// Largest instruction T and largest reward m any world accepts: L = T + m and every step count stay far
    /// inside a 32-bit integer, and an episode of that length is still played in well under a second.
    /// </summary>
    public const int MaximumInstruction = 1_000_000;

    /// <summary>Largest arrival reward m any world accepts (see <see cref="MaximumInstruction"/>).</summary>
    public const int MaximumReward = 1_000_000;

    /// <summary>Side of the square grid N (N x N cells), 2 to 56 (each cell must get at least one pixel).</summary>
    public int Size { get; init; } = 5;

    /// <summary>Smallest instruction T drawn at reset (T ~ U{MinInstruction..MaxInstruction}); at least 1.</summary>
    public int MinInstruction { get; init; } = 5;

    /// <summary>Largest instruction T drawn at reset; at least <see cref="MinInstruction"/>.</summary>
    public int MaxInstruction { get; init; } = 12;

    /// <summary>The reward m for arriving exactly at T; arriving k steps off earns max(0, m - k).</summary>
    public int MaxReward { get; init; } = 10;

    /// <summary>
    /// A fixed timeout L for every episode. Null (the default) means L = T + m, the first step after which
    /// nothing more can be earned. A fixed L must exceed every T the episode can be given.
    /// </summary>
    public int? Timeout { get; init; }

    /// <summary>The timeout L for an episode with instruction <paramref name="instruction"/>.</summary>
    public int TimeoutFor(int instruction) => Timeout ?? (instruction + MaxReward);

    /// <summary>Number of cells, N².</summary>
    public int CellCount => Size * Size;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that is out of range.</summary>
    public GridWorldOptions Validate()
    {
        Require(Size is >= 2 and <= FrameRenderer.ImageSize, $"grid size must be 2..{FrameRenderer.ImageSize}, got {Size}");
        Require(MinInstruction >= 1, $"the smallest instruction T must be at least 1, got {MinInstruction}");
        Require(MaxInstruction >= MinInstruction, $"the T range is empty: {MinInstruction}..{MaxInstruction}");
        Require(MaxReward >= 1, $"the arrival reward m must be at least 1, got {MaxReward}");
        Require(Timeout is null || Timeout > MaxInstruction, $"the timeout L must exceed every T (largest T is {MaxInstruction}), got L = {Timeout}");
        return this;
    }

    /// <summary>Throws when <paramref name="instruction"/> cannot be given to an episode under these rules.</summary>
    public void ValidateInstruction(int instruction)
    {
        Require(instruction >= 1, $"the instruction T must be at least 1, got {instruction}");
        Require(TimeoutFor(instruction) > instruction, $"the timeout L = {TimeoutFor(instruction)} must exceed T = {instruction}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
