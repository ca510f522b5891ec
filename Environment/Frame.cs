namespace GridTime.Environment;

/// <summary>
/// One drawn observation, shared by every environment that shows the same (agent, target) pair.
/// Immutable: hold on to it freely.
/// </summary>
public sealed class Frame
{
    internal Frame(int gridSize, Cell agent, Cell target)
    {
        Agent = agent;
        Target = target;
        byte[] rgb = FrameRenderer.DrawRgb(gridSize, agent, target);
        Rgb = rgb;
        var chw = new float[FrameRenderer.FrameLength];
        const int plane = FrameRenderer.ImageSize * FrameRenderer.ImageSize;
        for (int pixel = 0; pixel < plane; pixel++)
        {
            for (int channel = 0; channel < FrameRenderer.Channels; channel++)
            {
                chw[(channel * plane) + pixel] = rgb[(3 * pixel) + channel] / 255f;
            }
        }

        Planes = chw;
        var chwBytes = new byte[FrameRenderer.FrameLength];
        for (int i = 0; i < chwBytes.Length; i++)
        {
            chwBytes[i] = (byte)Math.Round(chw[i] * 255f);
        }

        PlaneBytes = chwBytes;
        PlaneByteArray = chwBytes;
    }

    /// <summary>The agent's cell in this frame.</summary>
    public Cell Agent { get; }

    /// <summary>The target's cell in this frame.</summary>
    public Cell Target { get; }

    /// <summary>56×56×3 bytes, row-major, RGB interleaved (HWC): the image as a picture.</summary>
    public ReadOnlyMemory<byte> Rgb { get; }

    /// <summary>3×56×56 floats in [0, 1], channel-major (CHW): the image as the network reads it.</summary>
    public ReadOnlyMemory<float> Planes { get; }

    /// <summary>3×56×56 bytes, channel-major (CHW): the image as the network reads it, before scaling to [0, 1]
    /// (a quarter of the float planes' size, so batches of these are the cheapest observations to deliver).</summary>
    public ReadOnlyMemory<byte> PlaneBytes { get; }

    /// <summary><see cref="PlaneBytes"/>' array, for <see cref="FrameCache"/> to copy from without going through this object.</summary>
    internal byte[] PlaneByteArray { get; }

    /// <summary>The colour (r, g, b) of the pixel at (x, y).</summary>
    public (byte R, byte G, byte B) PixelAt(int x, int y)
    {
        ReadOnlySpan<byte> rgb = Rgb.Span;
        int at = 3 * ((y * FrameRenderer.ImageSize) + x);
        return (rgb[at], rgb[at + 1], rgb[at + 2]);
    }
}
