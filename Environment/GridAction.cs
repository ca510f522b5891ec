namespace GridTime.Environment;

/// <summary>The five actions of the grid world, in the order the networks' policy heads use.</summary>
public enum GridAction
{
    /// <summary>Stay in the current cell (the only way to wait for the right time).</summary>
    Stay = 0,

    /// <summary>Move one row up (towards row 0); into the top wall, stay in place.</summary>
    Up = 1,

    /// <summary>Move one row down; into the bottom wall, stay in place.</summary>
    Down = 2,

    /// <summary>Move one column left (towards column 0); into the left wall, stay in place.</summary>
    Left = 3,

    /// <summary>Move one column right; into the right wall, stay in place.</summary>
    Right = 4,
}

/// <summary>Helpers for <see cref="GridAction"/>.</summary>
public static class GridActions
{
    /// <summary>The number of actions (the width of a policy head).</summary>
    public const int Count = 5;

    /// <summary>Converts an action number, throwing <see cref="ArgumentException"/> when it is not 0..4.</summary>
    public static GridAction FromIndex(int action) =>
        (uint)action < Count
            ? (GridAction)action
            : throw new ArgumentException($"action must be 0..{Count - 1} (stay, up, down, left, right), got {action}", nameof(action));
}
