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
/// Turns logged episodes into animated, looping GIFs. Frame k shows the world at t = k exactly as the agent saw
/// it (drawn by <see cref="FrameRenderer"/>, the observation's own code, then upscaled, with grid lines between
/// the cells from scale 2 on) above a caption strip of four lines (<see cref="Caption"/>): the agent, its
/// training frames and the episode; t, T and the action that led here; the value estimate and the policy's
/// action probabilities; a key to the probabilities' letters. The last frame is held and says how the episode ended. Episodes play one after another
/// (<see cref="WriteGif"/>) or side by side in a mosaic (<see cref="WriteMosaic"/>).
/// </summary>
public static class EpisodeReplay
{
    /// <summary>Height of the caption strip at scale 1 (it grows with the scale): four lines.</summary>
    public const int CaptionHeightPerScale = 20;

    /// <summary>Palette index of the grid lines between cells (dark grey).</summary>
    public const byte GridLineIndex = 5;

    /// <summary>Palette index of the background between the tiles of a mosaic and of its empty tiles.</summary>
    public const byte MosaicBackgroundIndex = 7;

    private const int CaptionLines = 4;

    /// <summary>The caption's last line on every frame: what the letters of the probabilities stand for.</summary>
    public const string Key = "s=stay u=up d=down l=left r=right";

    private static readonly string[] ActionNames = ["stay", "up", "down", "left", "right"];

    // The widest third caption line a frame shows (value and five probabilities).
    private const string WidestLine = "V=-0.00 P s.00 u.00 d.00 l.00 r.00";

    /// <summary>Width and height of the frames of a replay in <paramref name="style"/>.</summary>
    public static (int Width, int Height) FrameSize(ReplayStyle style) =>
        (FrameRenderer.ImageSize * style.Scale, (FrameRenderer.ImageSize + CaptionHeightPerScale) * style.Scale);

    /// <summary>
    /// Width and height of a mosaic of <paramref name="columns"/> × <paramref name="rows"/> tiles, each
    /// <see cref="FrameSize"/>, with a gap of <see cref="ReplayStyle.Scale"/> pixels between them.
    /// </summary>
    public static (int Width, int Height) MosaicSize(ReplayStyle style, int columns, int rows)
    {
        (int width, int height) = FrameSize(style);
        return ((columns * width) + ((columns - 1) * style.Scale), (rows * height) + ((rows - 1) * style.Scale));
    }

    /// <summary>
    /// Writes episodes one after another into one GIF on <paramref name="output"/>; <paramref name="stop"/> is
    /// checked before every frame (<see cref="OperationCanceledException"/>: the GIF is incomplete, discard it).
    /// </summary>
    public static void WriteGif(Stream output, IReadOnlyList<EpisodeRecord> episodes, ReplayStyle style, CancellationToken stop = default)
    {
        Validate(style);
        (int width, int height) = FrameSize(style);
        var gif = new GifEncoder(output, width, height, ReplayPalette.Colors);
        foreach (EpisodeRecord episode in episodes)
        {
            for (int k = 0; k <= episode.Steps.Count; k++)
            {
                stop.ThrowIfCancellationRequested();
                gif.AddFrame(DrawFrame(episode, k, style), Delay(style, k == episode.Steps.Count));
            }
        }

        gif.Finish();
    }

    /// <summary>
    /// Writes episodes side by side as one GIF: a mosaic of <paramref name="columns"/> × <paramref name="rows"/>
    /// tiles filled row by row (tiles beyond the episodes stay empty), all playing at once; frame k shows every
    /// episode at t = k, or at its end when it is shorter. The GIF has as many frames as the longest episode has
    /// steps, plus one. <paramref name="stop"/> is checked before every frame.
    /// </summary>
    /// <exception cref="ArgumentException">No episodes, more episodes than tiles, or a bad style.</exception>
    public static void WriteMosaic(Stream output, IReadOnlyList<EpisodeRecord> episodes, int columns, int rows, ReplayStyle style, CancellationToken stop = default)
    {
        Validate(style);
        if (columns < 1 || rows < 1 || episodes.Count == 0 || episodes.Count > columns * rows)
        {
            throw new ArgumentException($"a mosaic of {columns}x{rows} tiles takes 1..{Math.Max(0, columns * rows)} episodes, got {episodes.Count}");
        }

        (int tileWidth, int tileHeight) = FrameSize(style);
        (int width, int height) = MosaicSize(style, columns, rows);
        var gif = new GifEncoder(output, width, height, ReplayPalette.Colors);
        int longest = episodes.Max(e => e.Steps.Count);
        var frame = new byte[width * height];
        for (int k = 0; k <= longest; k++)
        {
            stop.ThrowIfCancellationRequested();
            Array.Fill(frame, MosaicBackgroundIndex);
            for (int i = 0; i < episodes.Count; i++)
            {
                byte[] tile = DrawFrame(episodes[i], Math.Min(k, episodes[i].Steps.Count), style);
                int left = (i % columns) * (tileWidth + style.Scale), top = (i / columns) * (tileHeight + style.Scale);
                for (int y = 0; y < tileHeight; y++)
                {
                    tile.AsSpan(y * tileWidth, tileWidth).CopyTo(frame.AsSpan(((top + y) * width) + left));
                }
            }

            gif.AddFrame(frame, Delay(style, k == longest));
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

        // The first upscaled pixel row and column of every cell but the first carry the grid line (from scale 2,
        // so that at scale 1 every observation pixel stays as the agent saw it).
        var line = new bool[FrameRenderer.ImageSize * scale];
        for (int c = 1; c < episode.GridSize && scale > 1; c++)
        {
            line[FrameRenderer.CellStart(c, episode.GridSize) * scale] = true;
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
                    if (line[x] || line[y])
                    {
                        indices[(y * width) + x] = GridLineIndex;
                        continue;
                    }

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

    /// <summary>
    /// The caption of frame k, four lines: "nac 60,000 frames ep 15" (agent, frames it had trained on, the record's
    /// episode field); "t=3 T=9 right p=.62 r=0" (the action that led to t, its probability and reward); and
    /// "V=0.52 P s.20 u.20 d.20 l.20 r.20" (the value estimate and the policy's probabilities of stay, up, down,
    /// left, right for the next step) or, when the log holds no probabilities, what it holds. The last frame's third
    /// line says how the episode ended: "EXACT 10/10", "EARLY", "LATE" or "TIMEOUT" with the reward and the best
    /// achievable. The fourth is <see cref="Key"/>.
    /// </summary>
    public static string[] Caption(EpisodeRecord episode, int k)
    {
        var c = CultureInfo.InvariantCulture;
        string first = string.Create(c, $"{episode.Agent} {episode.Frames:N0} frames ep {episode.Episode}");
        string second = string.Create(c, $"t={k} T={episode.Instruction}");
        if (k > 0)
        {
            EpisodeStep step = episode.Steps[k - 1];
            int action = Math.Clamp(step.Action, 0, ActionNames.Length - 1);
            second += $" {ActionNames[action]}";
            second += step.Probabilities.Length == ActionNames.Length ? $" p={Probability(step.Probabilities[action])}" : "";
            second += string.Create(c, $" r={step.Reward:0.#}");
        }

        string third;
        if (k == episode.Steps.Count)
        {
            string timing = episode.Timing switch
            {
                EpisodeTiming.Exact => "EXACT",
                EpisodeTiming.Early => "EARLY",
                EpisodeTiming.Late => "LATE",
                _ => "TIMEOUT",
            };
            third = string.Create(c, $"{timing} {episode.TotalReward:0.#}/{episode.BestAchievableReward}");
        }
        else
        {
            EpisodeStep next = episode.Steps[k];
            third = string.Create(c, $"V={next.Value:0.00} ");
            third += next.Probabilities.Length == ActionNames.Length
                ? "P " + string.Join(' ', ActionNames.Select((name, a) => $"{name[0]}{Probability(next.Probabilities[a])}"))
                : "log: actions, values; no probs";
        }

        return [first, second, third, Key];
    }

    // A probability in three characters: .62, .05, 1.0 (1.00 would not fit the column).
    private static string Probability(float p) => p >= 0.995f ? "1.0" : p.ToString(".00", CultureInfo.InvariantCulture);

    private static int Delay(ReplayStyle style, bool last)
    {
        int delay = (int)Math.Round(100 / style.FramesPerSecond);
        return last ? Math.Max(delay, (int)Math.Round(style.HoldSeconds * 100)) : delay;
    }

    private static void Validate(ReplayStyle style)
    {
        if (style.Scale is < 1 or > 32 || style.FramesPerSecond <= 0 || style.HoldSeconds < 0)
        {
            throw new ArgumentException($"scale must be 1..32 and fps positive, got scale {style.Scale}, fps {style.FramesPerSecond}");
        }
    }

    private static void DrawCaption(SKCanvas canvas, EpisodeRecord episode, int k, ReplayStyle style, int width)
    {
        string[] lines = Caption(episode, k);
        using SKTypeface typeface = SKTypeface.FromFamilyName("DejaVu Sans Mono") ?? SKTypeface.Default;
        float size = 4f * style.Scale;
        using var font = new SKFont(typeface, size) { Edging = SKFontEdging.Alias };
        // Shrink the font until the longest line fits the frame's width; every frame is measured against the
        // widest third line too, so the text keeps one size through the episode and across a mosaic's tiles.
        while (size > 6 && Math.Max(lines.Max(l => font.MeasureText(l)), font.MeasureText(WidestLine)) > width - 4)
        {
            size -= 1;
            font.Size = size;
        }

        using var paint = new SKPaint { IsAntialias = false };
        SKColor[] colours = [new(192, 192, 192), SKColors.White, k == episode.Steps.Count ? new SKColor(255, 220, 0) : new SKColor(224, 224, 224), new(160, 160, 160)];
        float y0 = FrameRenderer.ImageSize * style.Scale;
        float line = CaptionHeightPerScale * style.Scale / (float)CaptionLines;
        for (int i = 0; i < CaptionLines; i++)
        {
            paint.Color = colours[i];
            canvas.DrawText(lines[i], 2, y0 + ((i + 1) * line) - ((line - size) / 2) - 1, font, paint);
        }
    }
}
