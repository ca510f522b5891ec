using GridTime.Rendering.Gif;
using SkiaSharp;

namespace GridTime.Tests.Rendering;

public sealed class GifEncoderTests
{
    [Theory]
    [InlineData(3, 2)]
    [InlineData(64, 48)]
    [InlineData(300, 200)] // enough pixels of noise to fill the LZW table and restart it
    public void SkCodecDecodesExactlyThePixelsWritten(int width, int height)
    {
        (byte, byte, byte)[] palette = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (10, 20, 30), (200, 100, 50)];
        var random = new Random(width);
        var frames = new List<byte[]>();
        for (int f = 0; f < 3; f++)
        {
            var pixels = new byte[width * height];
            for (int i = 0; i < pixels.Length; i++)
            {
                pixels[i] = f == 0 ? (byte)((i / width) % palette.Length) : (byte)random.Next(palette.Length);
            }

            frames.Add(pixels);
        }

        using var stream = new MemoryStream();
        var encoder = new GifEncoder(stream, width, height, palette);
        foreach (byte[] frame in frames)
        {
            encoder.AddFrame(frame, 30);
        }

        encoder.Finish();
        (int w, int h, List<SKBitmap> decoded, int[] durations) = GifDecoding.Decode(stream.ToArray());
        Assert.Equal((width, height), (w, h));
        Assert.Equal(3, decoded.Count);
        Assert.All(durations, d => Assert.Equal(300, d));
        for (int f = 0; f < 3; f++)
        {
            for (int i = 0; i < width * height; i++)
            {
                SKColor color = decoded[f].GetPixel(i % width, i / width);
                Assert.Equal(palette[frames[f][i]], (color.Red, color.Green, color.Blue));
            }
        }
    }

    [Fact]
    public void BadSizesAndPalettesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new GifEncoder(new MemoryStream(), 0, 5, [(0, 0, 0), (1, 1, 1)]));
        Assert.Throws<ArgumentException>(() => new GifEncoder(new MemoryStream(), 5, 5, [(0, 0, 0)]));
        var encoder = new GifEncoder(new MemoryStream(), 2, 2, [(0, 0, 0), (1, 1, 1)]);
        Assert.Throws<ArgumentException>(() => encoder.AddFrame(new byte[3], 10));
    }
}
