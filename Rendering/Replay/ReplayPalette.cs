namespace GridTime.Rendering.Replay;

/// <summary>
/// The fixed palette of replay GIFs. The world uses only black, red and green; the caption adds white
/// and greys (antialiased text is mapped to the nearest entry).
/// </summary>
public static class ReplayPalette
{
    /// <summary>The colours, in index order.</summary>
    public static readonly (byte R, byte G, byte B)[] Colors =
    [
        (0, 0, 0), (255, 0, 0), (0, 255, 0), (255, 255, 255),
        (32, 32, 32), (64, 64, 64), (96, 96, 96), (128, 128, 128),
        (160, 160, 160), (192, 192, 192), (224, 224, 224), (255, 220, 0),
        (90, 150, 255), (255, 140, 0), (0, 128, 0), (128, 0, 0),
    ];

    /// <summary>The palette index nearest to (r, g, b).</summary>
    public static byte Nearest(byte r, byte g, byte b)
    {
        int best = 0, bestDistance = int.MaxValue;
        for (int i = 0; i < Colors.Length; i++)
        {
            int dr = r - Colors[i].R, dg = g - Colors[i].G, db = b - Colors[i].B;
            int distance = (dr * dr) + (dg * dg) + (db * db);
            if (distance < bestDistance)
            {
                best = i;
                bestDistance = distance;
            }
        }

        return (byte)best;
    }
}
