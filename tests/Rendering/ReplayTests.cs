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
        Assert.Contains("ON TIME", EpisodeReplay.Caption(episode, episode.Steps.Count).Bottom);
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

        (int code, string output, string error) = Cli.Run("replay", log, "--all", "--out", folder["all.gif"]);
        Assert.True(code == 0, error);
        Assert.Contains("2 episode(s)", output);
        int frames = GifDecoding.Decode(File.ReadAllBytes(folder["all.gif"])).Frames.Count;
        Assert.Equal(Episode(1, 6).Steps.Count + Episode(2, 12).Steps.Count + 2, frames);

        Assert.Equal(0, Cli.Run("replay", log, "--last", "--out", folder["last.gif"]).ExitCode);
        Assert.Equal(Episode(2, 12).Steps.Count + 1, GifDecoding.Decode(File.ReadAllBytes(folder["last.gif"])).Frames.Count);

        (code, _, error) = Cli.Run("replay", log, "--episode", "2", "--out", folder["x.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("out of range", error);
        (code, _, error) = Cli.Run("replay", folder["missing.msgpack"], "--out", folder["x.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);
        File.WriteAllBytes(folder["bad.msgpack"], [0xc1, 0xc1, 0xc1]);
        (code, _, error) = Cli.Run("replay", folder["bad.msgpack"], "--out", folder["x.gif"]);
        Assert.Equal(2, code);
        Assert.Contains("damaged", error);
        Assert.False(File.Exists(folder["x.gif"]));
    }

    private static SKColor Centre(SKBitmap frame, Cell cell, int scale)
    {
        int x = (FrameRenderer.CellStart(cell.Column, 5) + FrameRenderer.CellEnd(cell.Column, 5)) / 2 * scale;
        int y = (FrameRenderer.CellStart(cell.Row, 5) + FrameRenderer.CellEnd(cell.Row, 5)) / 2 * scale;
        SKColor c = frame.GetPixel(x, y);
        return new SKColor(c.Red, c.Green, c.Blue);
    }
}
