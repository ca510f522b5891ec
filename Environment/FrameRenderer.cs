using SkiaSharp;

namespace GridTime.Environment;

/// <summary>
/// Draws the world as the agent sees it, with SkiaSharp: a black background, the target as a red
/// (255,0,0) square, the agent as a green (0,255,0) square. Only the two cells are drawn; neither t nor T.
/// <para>
/// Pixel mapping: cell row r covers image rows floor(r·56/N) .. floor((r+1)·56/N) − 1 and column c the
/// same in x, so the cells tile the 56 pixels with sizes differing by at most one (N = 5: 11,11,11,11,12).
/// Each square fills its whole cell. If the agent stands on the target (only the terminal frame of an
/// arrival), the agent is drawn over it.
/// </para>
/// </summary>
public static class FrameRenderer
{
    /// <summary>Width and height of an observation in pixels.</summary>
    public const int ImageSize = 56;

    /// <summary>Number of colour channels (RGB).</summary>
    public const int Channels = 3;

    /// <summary>Bytes (and floats) in one frame: 3 × 56 × 56.</summary>
    public const int FrameLength = Channels * ImageSize * ImageSize;

    /// <summary>Colour of the target square.</summary>
    public static readonly SKColor TargetColor = new(255, 0, 0);

    /// <summary>Colour of the agent square.</summary>
    public static readonly SKColor AgentColor = new(0, 255, 0);

    /// <summary>First pixel (inclusive) of cell <paramref name="cell"/> along one axis.</summary>
    public static int CellStart(int cell, int gridSize) => cell * ImageSize / gridSize;

    /// <summary>Last pixel (exclusive) of cell <paramref name="cell"/> along one axis.</summary>
    public static int CellEnd(int cell, int gridSize) => (cell + 1) * ImageSize / gridSize;

    /// <summary>Draws one frame from scratch and returns it as 56×56×3 bytes, row-major, RGB interleaved (HWC).</summary>
    public static byte[] DrawRgb(int gridSize, Cell agent, Cell target)
    {
        var info = new SKImageInfo(ImageSize, ImageSize, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill })
        {
            canvas.Clear(SKColors.Black);
            paint.Color = TargetColor;
            canvas.DrawRect(CellRect(target, gridSize), paint);
            paint.Color = AgentColor;
            canvas.DrawRect(CellRect(agent, gridSize), paint);
            canvas.Flush();
        }

        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        var rgb = new byte[FrameLength];
        for (int pixel = 0, i = 0; pixel < ImageSize * ImageSize; pixel++, i += 4)
        {
            rgb[(3 * pixel) + 0] = rgba[i + 0];
            rgb[(3 * pixel) + 1] = rgba[i + 1];
            rgb[(3 * pixel) + 2] = rgba[i + 2];
        }

        return rgb;
    }

    private static SKRect CellRect(Cell cell, int gridSize) => new(
        CellStart(cell.Column, gridSize),
        CellStart(cell.Row, gridSize),
        CellEnd(cell.Column, gridSize),
        CellEnd(cell.Row, gridSize));
}
