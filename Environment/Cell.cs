namespace GridTime.Environment;

/// <summary>A cell of the grid: row 0 is the top, column 0 the left.</summary>
public readonly record struct Cell(int Row, int Column)
{
    /// <summary>The cell with index <paramref name="index"/> = row * size + column.</summary>
    public static Cell FromIndex(int index, int size) => new(index / size, index % size);

    /// <summary>Row-major index of this cell in a grid of side <paramref name="size"/>.</summary>
    public int ToIndex(int size) => (Row * size) + Column;

    /// <summary>Number of moves between two cells when walls are the only obstacles.</summary>
    public int ManhattanDistance(Cell other) => Math.Abs(Row - other.Row) + Math.Abs(Column - other.Column);

    /// <summary>The cell reached by <paramref name="action"/> from here; a move into a wall stays.</summary>
    public Cell Move(GridAction action, int size) => action switch
    {
        GridAction.Up => this with { Row = Math.Max(0, Row - 1) },
        GridAction.Down => this with { Row = Math.Min(size - 1, Row + 1) },
        GridAction.Left => this with { Column = Math.Max(0, Column - 1) },
        GridAction.Right => this with { Column = Math.Min(size - 1, Column + 1) },
        _ => this,
    };

    /// <inheritdoc/>
    public override string ToString() => $"({Row},{Column})";
}
