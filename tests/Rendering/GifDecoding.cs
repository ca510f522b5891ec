using SkiaSharp;

namespace GridTime.Tests.Rendering;

/// <summary>Decodes a GIF with SkiaSharp's SKCodec (an independent decoder) into RGBA frames.</summary>
public static class GifDecoding
{
    public static (int Width, int Height, List<SKBitmap> Frames, int[] Durations) Decode(byte[] gif)
    {
        using var data = SKData.CreateCopy(gif);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("SKCodec cannot read the GIF");
        Assert.Equal(SKEncodedImageFormat.Gif, codec.EncodedFormat);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var frames = new List<SKBitmap>();
        for (int i = 0; i < codec.FrameCount; i++)
        {
            var bitmap = new SKBitmap(info);
            SKCodecResult result = codec.GetPixels(info, bitmap.GetPixels(), new SKCodecOptions(i));
            Assert.Equal(SKCodecResult.Success, result);
            frames.Add(bitmap);
        }

        return (info.Width, info.Height, frames, [.. codec.FrameInfo.Select(f => f.Duration)]);
    }
}
