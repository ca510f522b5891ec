using System.Globalization;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Gif;
using SkiaSharp;

namespace GridTime.Rendering.Replay;

/// <summary>How a replay GIF looks.</summary>
/// <param name="Scale">Each observation pixel becomes Scale × Scale pixels (nearest neighbour, no blurring).</param>
/// <param name="FramesPerSecond">Playback speed of the steps.</param>
/// <param name="HoldSeconds">How long the final frame stays before the animation loops.</param>
public sealed record ReplayStyle(int Scale = 4, double FramesPerSecond = 4, double HoldSeconds = 2.5);

/// <summary>
/// Turns a logged episode into an animated, looping GIF. Frame k shows the world at t = k exactly as the
/// agent saw it (drawn by <see cref="FrameRenderer"/>, the observation's own code, then upscaled) above a
/// caption strip: t, T, the action that led here, its reward, and the value estimate. The last frame is
/// held and says how the episode ended.
/// </summary>
public static class EpisodeReplay
{
    /// <summary>Height of the caption strip at scale 1 (it grows with the scale).</summary>
    public const int CaptionHeightPerScale = 9;

    private static readonly string[] ActionNames = ["stay", "up", "down", "left", "right"];

    /// <summary>Width and height of the frames of a replay in <paramref name="style"/>.</summary>
    public static (int Width, int Height) FrameSize(ReplayStyle style) =>
        (FrameRenderer.ImageSize * style.Scale, (FrameRenderer.ImageSize + CaptionHeightPerScale) * style.Scale);

    /// <summary>
    /// Writes episodes one after another into one GIF on <paramref name="output"/>; <paramref name="stop"/> is
    /// checked before every frame (<see cref="OperationCanceledException"/>: the GIF is incomplete, discard it).
    /// </summary>
    public static void WriteGif(Stream output, IReadOnlyList<EpisodeRecord> episodes, ReplayStyle style, CancellationToken stop = default)
    {
        if (style.Scale is < 1 or > 32 || style.FramesPerSecond <= 0 || style.HoldSeconds < 0)
        {
            throw new ArgumentException($"scale must be 1..32 and fps positive, got scale {style.Scale}, fps {style.FramesPerSecond}");
        }

        (int width, int height) = FrameSize(style);
        var gif = new GifEncoder(output, width, height, ReplayPalette.Colors);
        int delay = (int)Math.Round(100 / style.FramesPerSecond);
        foreach (EpisodeRecord episode in episodes)
        {
            for (int k = 0; k <= episode.Steps.Count; k++)
            {
                stop.ThrowIfCancellationRequested();
                bool last = k == episode.Steps.Count;
                gif.AddFrame(DrawFrame(episode, k, style), last ? Math.Max(delay, (int)Math.Round(style.HoldSeconds * 100)) : delay);
            }
        }

        gif.Finish();
    }

    /// <summary>The agent's cell at t = <paramref name="k"/>.</summary>
    public static Cell AgentAt(EpisodeRecord episode, int k) => k == 0 ? episode.AgentStart : episode.Steps[k - 1].Agent;

    /// <summary>Frame k (the world at t = k) as palette indices.</summary>
    public static byte[] DrawFrame(EpisodeRecord episode, int k, ReplayStyle style)
    {
        (int width, int height) = FrameSize(style);
        int scale = style.Scale;
        byte[] world = FrameRenderer.DrawRgb(episode.GridSize, AgentAt(episode, k), episode.Target);
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(32, 32, 32));
            DrawCaption(canvas, episode, k, style, width);
        }

        ReadOnlySpan<byte> rgba = bitmap.GetPixelSpan();
        var indices = new byte[width * height];
        var cache = new Dictionary<int, byte>();
        int worldHeight = FrameRenderer.ImageSize * scale;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte r, g, b;
                if (y < worldHeight)
                {
                    int source = 3 * (((y / scale) * FrameRenderer.ImageSize) + (x / scale));
                    (r, g, b) = (world[source], world[source + 1], world[source + 2]);
                }
                else
                {
                    int at = 4 * ((y * width) + x);
                    (r, g, b) = (rgba[at], rgba[at + 1], rgba[at + 2]);
                }

                int key = (r << 16) | (g << 8) | b;
                if (!cache.TryGetValue(key, out byte index))
                {
                    index = ReplayPalette.Nearest(r, g, b);
                    cache[key] = index;
                }

                indices[(y * width) + x] = index;
            }
        }

        return indices;
    }

    /// <summary>The caption text of frame k: two lines.</summary>
    public static (string Top, string Bottom) Caption(EpisodeRecord episode, int k)
    {
        var c = CultureInfo.InvariantCulture;
        string top = string.Create(c, $"t={k} T={episode.Instruction}");
        if (k > 0)
        {
            EpisodeStep step = episode.Steps[k - 1];
            top += string.Create(c, $" {ActionNames[Math.Clamp(step.Action, 0, 4)]} r={step.Reward:0.#}");
        }

        string bottom;
        if (k == episode.Steps.Count)
        {
            bottom = episode.ArrivalTime is int arrival
                ? string.Create(c, $"{(arrival == episode.Instruction ? "ON TIME" : arrival < episode.Instruction ? "EARLY" : "LATE")} {episode.TotalReward:0.#}/{episode.BestAchievableReward}")
                : string.Create(c, $"TIMEOUT 0/{episode.BestAchievableReward}");
        }
        else
        {
            bottom = string.Create(c, $"V={episode.Steps[k].Value:0.00}");
        }

        return (top, bottom);
    }

    private static void DrawCaption(SKCanvas canvas, EpisodeRecord episode, int k, ReplayStyle style, int width)
    {
        (string top, string bottom) = Caption(episode, k);
        using SKTypeface typeface = SKTypeface.FromFamilyName("DejaVu Sans Mono") ?? SKTypeface.Default;
        float size = 4f * style.Scale;
        using var font = new SKFont(typeface, size) { Edging = SKFontEdging.Alias };
        // Shrink the font until the longer line fits the frame's width.
        while (size > 6 && Math.Max(font.MeasureText(top), font.MeasureText(bottom)) > width - 4)
        {
            size -= 1;
            font.Size = size;
        }

        using var paint = new SKPaint { Color = SKColors.White, IsAntialias = false };
        float y0 = FrameRenderer.ImageSize * style.Scale;
        float line = CaptionHeightPerScale * style.Scale / 2f;
        canvas.DrawText(top, 2, y0 + line - (line - size) / 2 - 1, font, paint);
        paint.Color = k == episode.Steps.Count ? new SKColor(255, 220, 0) : new SKColor(192, 192, 192);
        canvas.DrawText(bottom, 2, y0 + (2 * line) - (line - size) / 2 - 1, font, paint);
    }
}
