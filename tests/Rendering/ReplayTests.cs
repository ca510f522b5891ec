using GridTime.Environment;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Replay;
using GridTime.Tests.Training;
using SkiaSharp;

namespace GridTime.Tests.Rendering;

[Collection(ConsoleCollection.Name)]
public sealed class ReplayTests
{
    // An episode played by the timed scripted policy, logged as training would log it.
    internal static EpisodeRecord Episode(ulong seed, int instruction)
    {
        var world = new GridWorld();
        world.Reset(seed, instruction);
        var steps = new List<EpisodeStep>();
        StepResult step;
        do
        {
            GridAction action = ScriptedPolicies.PerfectlyTimed(world);
            step = world.Step(action);
            steps.Add(new EpisodeStep((int)action, step.Info.Agent, step.Reward, 5f, [0.2f, 0.2f, 0.2f, 0.2f, 0.2f]));
        }
        while (!step.Terminated && !step.Truncated);
        return new EpisodeRecord
        {
            Run = "replay-test",
            Agent = "nac",
            GridSize = 5,
            Instruction = instruction,
            Timeout = world.Timeout,
            MaxReward = 10,
            AgentStart = world.AgentStart,
            Target = world.Target,
            Steps = steps,
            ArrivalTime = world.ArrivalTime,
            TotalReward = step.Reward,
            BestAchievableReward = world.BestAchievableReward,
        };
    }

    [Fact]
    public void DecodedFramesShowTheLoggedPositions()
    {
        EpisodeRecord episode = Episode(4, 9);
        var style = new ReplayStyle(Scale: 3, FramesPerSecond: 5);
        using var stream = new MemoryStream();
        EpisodeReplay.WriteGif(stream, [episode], style);
        (int width, int height, List<SKBitmap> frames, int[] durations) = GifDecoding.Decode(stream.ToArray());

        Assert.Equal(EpisodeReplay.FrameSize(style), (width, height));
        Assert.Equal(episode.Steps.Count + 1, frames.Count);
        Assert.Equal(200, durations[0]);
        Assert.True(durations[^1] >= 2000, "the final frame is held");
        for (int k = 0; k < frames.Count; k++)
        {
            Cell agent = EpisodeReplay.AgentAt(episode, k);
            Assert.Equal(SKColors.Lime, Centre(frames[k], agent, style.Scale));
            if (agent != episode.Target)
            {
                Assert.Equal(new SKColor(255, 0, 0), Centre(frames[k], episode.Target, style.Scale));
            }

            Cell empty = Enumerable.Range(0, 25).Select(i => Cell.FromIndex(i, 5)).First(c => c != agent && c != episode.Target);
            Assert.Equal(SKColors.Black, Centre(frames[k], empty, style.Scale));
        }

        // The caption strip holds text: some pixels below the world are light.
        SKBitmap last = frames[^1];
        int light = 0;
        for (int y = FrameRenderer.ImageSize * style.Scale; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                light += last.GetPixel(x, y).Red > 150 ? 1 : 0;
            }
        }

        Assert.True(light > 20, "the caption is drawn");
        int keyLight = 0; // the last quarter of the strip: the key line
        for (int y = height - (EpisodeReplay.CaptionHeightPerScale * style.Scale / 4); y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                keyLight += frames[0].GetPixel(x, y).Red > 100 ? 1 : 0;
            }
        }

        Assert.True(keyLight > 20, "the key is drawn");
        Assert.Contains("EXACT", EpisodeReplay.Caption(episode, episode.Steps.Count)[2]);
        // Every frame carries the key to the probabilities' letters.
        Assert.All(Enumerable.Range(0, frames.Count), k => Assert.Equal("s=stay u=up d=down l=left r=right", EpisodeReplay.Caption(episode, k)[^1]));
    }

    [Fact]
    public void TheReplayCommandWritesAGifAndRejectsBadInput()
    {
        using var folder = new TemporaryFolder();
        string log = folder["log.msgpack"];
        using (var writer = new EpisodeLogWriter(log))
        {
            writer.Append(Episode(1, 6));
            writer.Append(Episode(2, 12));
        }

        (int code, string output, string error) = Gridtime.Run("replay", log, "--all", "--out", folder["all.gif"]);
        Assert.True(code == 0, error);
        Assert.Contains("2 episode(s)", output);
        int frames = GifDecoding.Decode(File.ReadAllBytes(folder["all.gif"])).Frames.Count;
        Assert.Equal(Episode(1, 6).Steps.Count + Episode(2, 12).Steps.Count + 2, frames);

        Assert.Equal(0, Gridtime.Run("replay", log, "--last", "--out", folder["last.gif"]).ExitCode);
        Assert.Equal(Episode(2, 12).Steps.Count + 1, GifDecoding.Decode(File.ReadAllBytes(folder["last.gif"])).Frames.Count);

        (code, _, error) = Gridtime.Run("replay", log, "--record", "2", "--out", folder["x.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("out of range", error);
        (code, _, error) = Gridtime.Run("replay", folder["missing.msgpack"], "--out", folder["x.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        File.WriteAllBytes(folder["bad.msgpack"], [0xc1, 0xc1, 0xc1]);
        (code, _, error) = Gridtime.Run("replay", folder["bad.msgpack"], "--out", folder["x.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("damaged", error);
        Assert.False(File.Exists(folder["x.gif"]));
    }

    // Six records: T, how they ended (the arrival time is set to make it so) and, for the last, the episode field 7.
    private static string SelectionLog(TemporaryFolder folder)
    {
        string log = folder["select.msgpack"];
        EpisodeRecord[] records =
        [
            Episode(1, 6),
            Episode(2, 9) with { ArrivalTime = 8 },
            Episode(3, 6) with { ArrivalTime = 8, Episode = 2 },
            Episode(4, 9) with { Episode = 3 },
            Episode(5, 6) with { ArrivalTime = null, Episode = 4 },
            Episode(6, 6) with { Episode = 7 },
        ];
        using var writer = new EpisodeLogWriter(log);
        foreach (EpisodeRecord record in records)
        {
            writer.Append(record);
        }

        return log;
    }

    private static string[] Chosen(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith("record ", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':')])];

    [Theory]
    [InlineData(new[] { "--t", "6" }, new[] { "record 0" })]
    [InlineData(new[] { "--t", "6", "--last" }, new[] { "record 5" })]
    [InlineData(new[] { "--outcome", "late" }, new[] { "record 2" })]
    [InlineData(new[] { "--outcome", "early" }, new[] { "record 1" })]
    [InlineData(new[] { "--outcome", "timeout" }, new[] { "record 4" })]
    [InlineData(new[] { "--t", "9", "--outcome", "exact" }, new[] { "record 3" })]
    [InlineData(new[] { "--t", "9", "--outcome", "on-time" }, new[] { "record 3" })] // the older name
    [InlineData(new[] { "--t", "6", "--outcome", "exact", "--all" }, new[] { "record 0", "record 5" })]
    [InlineData(new[] { "--episode-number", "7" }, new[] { "record 5" })]
    [InlineData(new[] { "--record", "4" }, new[] { "record 4" })]
    [InlineData(new[] { "--outcome", "exact", "--grid", "1x2" }, new[] { "record 0", "record 3" })]
    public void ReplayChoosesEpisodesByTOutcomeEpisodeNumberAndPosition(string[] selection, string[] expected)
    {
        using var folder = new TemporaryFolder();
        string log = SelectionLog(folder);
        (int code, string output, string error) = Gridtime.Run(["replay", log, .. selection, "--out", folder["x.gif"]]);
        Assert.True(code == 0, error);
        Assert.Equal(expected, Chosen(output));
    }

    [Fact]
    public void TheChosenRecordsLineSaysTheirTAndOutcome()
    {
        using var folder = new TemporaryFolder();
        (int code, string output, string error) = Gridtime.Run("replay", SelectionLog(folder), "--outcome", "late", "--out", folder["x.gif"]);
        Assert.True(code == 0, error);
        Assert.Contains("record 2: nac, worker 0, episode 2, 0 frames, T 6, late (arrived at t=8), reward ", output);
    }

    [Theory]
    [InlineData(new[] { "--t", "7" }, "no record of")]
    [InlineData(new[] { "--outcome", "soon" }, "--outcome must be one of exact, early, late, timeout")]
    [InlineData(new[] { "--record", "1", "--t", "6" }, "does not combine")]
    [InlineData(new[] { "--grid", "3by3" }, "--grid must be")]
    [InlineData(new[] { "--grid", "11x1" }, "--grid must be")]
    [InlineData(new[] { "--all", "--grid", "2x2" }, "choose one of")]
    [InlineData(new[] { "--episode", "1" }, "unknown option --episode for gridtime replay (did you mean --episode-number?)")]
    public void BadSelectionsAreOneLineAndExitCode2(string[] selection, string message)
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run(["replay", SelectionLog(folder), .. selection, "--out", folder["x.gif"]]);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(folder["x.gif"]));
    }

    [Fact]
    public void AMosaicPlaysEpisodesSideBySideInOneFrame()
    {
        using var folder = new TemporaryFolder();
        string log = SelectionLog(folder);
        (int code, string output, string error) = Gridtime.Run("replay", log, "--t", "6", "--grid", "2x2", "--scale", "2", "--out", folder["m.gif"]);
        Assert.True(code == 0, error);
        Assert.Equal(["record 0", "record 2", "record 4", "record 5"], Chosen(output));
        (int width, int height, List<SKBitmap> frames, _) = GifDecoding.Decode(File.ReadAllBytes(folder["m.gif"]));
        // Tiles of 56·2 x (56 + 20)·2 = 112 x 152 pixels, a gap of 2 (the scale) between them.
        Assert.Equal((2 * 112 + 2, 2 * 152 + 2), (width, height));
        EpisodeRecord[] shown = [.. EpisodeLogReader.Read(log).Records.Where(r => r.Instruction == 6)];
        Assert.Equal(shown.Max(r => r.Steps.Count) + 1, frames.Count);
        // Frame 0 shows each tile's agent at its start cell, in its own tile.
        for (int i = 0; i < 4; i++)
        {
            (int left, int top) = ((i % 2) * 114, (i / 2) * 154);
            Cell agent = shown[i].AgentStart;
            SKColor c = frames[0].GetPixel(left + (((FrameRenderer.CellStart(agent.Column, 5) + FrameRenderer.CellEnd(agent.Column, 5)) / 2 * 2)), top + (((FrameRenderer.CellStart(agent.Row, 5) + FrameRenderer.CellEnd(agent.Row, 5)) / 2 * 2)));
            Assert.Equal(SKColors.Lime, new SKColor(c.Red, c.Green, c.Blue));
        }
    }

    [Fact]
    public void AllOfALargeLogIsRefusedWithOneLineInsteadOfAHugeGif()
    {
        using var folder = new TemporaryFolder();
        string log = folder["large.msgpack"];
        using (var writer = new EpisodeLogWriter(log))
        {
            for (ulong seed = 1; seed <= 250; seed++)
            {
                writer.Append(Episode(seed, 12));
            }
        }

        // 250 episodes of 13 frames (T = 12) at 224 x 304 pixels: 221 Mpixel, more than the limit of 200.
        (int code, _, string error) = Gridtime.Run("replay", log, "--all", "--out", folder["all.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("250 episodes make 3,250 frames of 224x304 (221 Mpixel), more than a GIF of 200 Mpixel", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(folder["all.gif"]));

        (code, _, error) = Gridtime.Run("replay", log, "--grid", "3x3", "--out", folder["grid.gif"]);
        Assert.True(code == 0, error);
        Assert.Equal(13, GifDecoding.Decode(File.ReadAllBytes(folder["grid.gif"])).Frames.Count);
    }

    [Fact]
    public void GridLinesSeparateTheCellsFromScale2()
    {
        EpisodeRecord episode = Episode(4, 9);
        int boundary = FrameRenderer.CellStart(1, 5);
        byte[] scaled = EpisodeReplay.DrawFrame(episode, 0, new ReplayStyle(Scale: 3));
        int width = FrameRenderer.ImageSize * 3;
        int row = (FrameRenderer.CellStart(2, 5) * 3) + 4;
        Assert.Equal(EpisodeReplay.GridLineIndex, scaled[(row * width) + (boundary * 3)]);
        Assert.Equal(EpisodeReplay.GridLineIndex, scaled[(boundary * 3 * width) + 7]);
        Assert.NotEqual(EpisodeReplay.GridLineIndex, scaled[(row * width) + (boundary * 3) + 1]);
        byte[] plain = EpisodeReplay.DrawFrame(episode, 0, new ReplayStyle(Scale: 1));
        Assert.DoesNotContain(EpisodeReplay.GridLineIndex, plain.AsSpan(0, FrameRenderer.ImageSize * FrameRenderer.ImageSize).ToArray());
    }

    [Fact]
    public void TheCaptionNamesAgentFramesEpisodeTimeActionAndProbabilities()
    {
        EpisodeRecord episode = Episode(4, 9) with { Agent = "counter", Frames = 60_000, Episode = 15 };
        EpisodeStep first = episode.Steps[0] with { Action = 2, Reward = 0, Value = 0.5f, Probabilities = [0.1f, 0.2f, 0.3f, 0.15f, 0.25f] };
        EpisodeStep second = episode.Steps[1] with { Value = 1.25f, Probabilities = [0.05f, 0.9f, 0.05f, 0, 0] };
        episode = episode with { Steps = [first, second, .. episode.Steps.Skip(2)] };
        Assert.Equal(["counter 60,000 frames ep 15", "t=0 T=9", "V=0.50 P s.10 u.20 d.30 l.15 r.25", EpisodeReplay.Key], EpisodeReplay.Caption(episode, 0));
        Assert.Equal(["counter 60,000 frames ep 15", "t=1 T=9 down p=.30 r=0", "V=1.25 P s.05 u.90 d.05 l.00 r.00", EpisodeReplay.Key], EpisodeReplay.Caption(episode, 1));
        EpisodeRecord bare = episode with { Steps = [.. episode.Steps.Select(s => s with { Probabilities = [] })] };
        Assert.Equal("V=0.50 log: actions, values; no probs", EpisodeReplay.Caption(bare, 0)[2]);
        Assert.Equal("t=1 T=9 down r=0", EpisodeReplay.Caption(bare, 1)[1]);
    }

    private static SKColor Centre(SKBitmap frame, Cell cell, int scale)
    {
        int x = (FrameRenderer.CellStart(cell.Column, 5) + FrameRenderer.CellEnd(cell.Column, 5)) / 2 * scale;
        int y = (FrameRenderer.CellStart(cell.Row, 5) + FrameRenderer.CellEnd(cell.Row, 5)) / 2 * scale;
        SKColor c = frame.GetPixel(x, y);
        return new SKColor(c.Red, c.Green, c.Blue);
    }
}
