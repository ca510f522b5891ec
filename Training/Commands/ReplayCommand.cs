using System.CommandLine;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Replay;
using GridTime.Training.Files;

namespace GridTime.Training.Commands;

/// <summary><c>gridtime replay</c>: turns logged episodes into an animated, looping GIF.</summary>
public static class ReplayCommand
{
    /// <summary>Largest episode log replay reads: 1 GiB.</summary>
    public const long MaximumLogBytes = 1L << 30;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("log") { Description = "Episode log (runs/NAME/episodes/worker-K.msgpack or runs/NAME/eval-episodes.msgpack)." };
        var episode = new Option<int?>("--episode") { Description = "Index of the record in the file to replay (from 0) [default: the first].", HelpName = "K" };
        var last = new Option<bool>("--last") { Description = "Replay the last record of the file." };
        var all = new Option<bool>("--all") { Description = "Replay every record of the file, one after another." };
        var output = new Option<string>("--out") { Description = "The GIF to write.", Required = true, HelpName = "PATH.gif" };
        var scale = new Option<int>("--scale") { Description = "Pixels per observation pixel (1..32).", DefaultValueFactory = _ => 4 };
        var fps = new Option<double>("--fps") { Description = "Steps per second.", DefaultValueFactory = _ => 4 };
        var command = new Command("replay", "Turn logged episodes into an animated GIF (the world as the agent saw it, with a caption).") { file, episode, last, all, output, scale, fps };
        command.SetAction(parsed =>
        {
            string path = parsed.GetValue(file)!;
            int? index = parsed.GetValue(episode);
            bool takeLast = parsed.GetValue(last), takeAll = parsed.GetValue(all);
            if ((index is not null ? 1 : 0) + (takeLast ? 1 : 0) + (takeAll ? 1 : 0) > 1)
            {
                throw new UsageException("choose one of --episode, --last and --all");
            }

            var style = new ReplayStyle(parsed.GetValue(scale), parsed.GetValue(fps));
            if (style.Scale is < 1 or > 32 || !(style.FramesPerSecond > 0) || style.FramesPerSecond > 100)
            {
                throw new UsageException(style.Scale is < 1 or > 32
                    ? $"--scale must be 1..32, got {style.Scale}"
                    : $"--fps must be more than 0 and at most 100, got {style.FramesPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            }

            EpisodeLog log;
            try
            {
                // Only a regular file of at most MaximumLogBytes: a FIFO or /dev/zero is one line, not a hang.
                log = EpisodeLogReader.Read(InputFile.ReadAllBytes(path, MaximumLogBytes, "episode log"), path);
            }
            catch (InvalidDataException e)
            {
                throw new UsageException(e.Message, e);
            }

            if (log.TruncationReport(path) is string report)
            {
                Console.Error.WriteLine($"gridtime: warning: {report}");
            }

            if (log.Records.Count(r => r.Schema < 2) is int unverifiable and > 0)
            {
                Console.Error.WriteLine($"gridtime: warning: {path}: {unverifiable} records of schema 1 (older GridTime) carry no checksum: damage to them cannot be detected");
            }

            if (log.Records.Count == 0)
            {
                throw new UsageException($"{path} holds no complete episode");
            }

            IReadOnlyList<EpisodeRecord> chosen = takeAll ? log.Records
                : takeLast ? [log.Records[^1]]
                : (index ?? 0) >= 0 && (index ?? 0) < log.Records.Count ? [log.Records[index ?? 0]]
                : throw new UsageException($"--episode {index} is out of range: {path} holds records 0..{log.Records.Count - 1}");

            // Refused before anything is written: the input log itself, a directory, a symlink, a device or FIFO.
            string target = parsed.GetValue(output)!;
            OutputFile.Check(target, "GIF", path);
            if (Path.GetDirectoryName(Path.GetFullPath(target)) is string folder && !Directory.Exists(folder))
            {
                throw new UsageException($"--out {target}: the folder {folder} does not exist");
            }

            OutputFile.Write(target, stream => EpisodeReplay.WriteGif(stream, chosen, style, Program.Stop));

            int frames = chosen.Sum(r => r.Steps.Count + 1);
            Console.WriteLine($"wrote {target}: {chosen.Count} episode(s), {frames} frames");
            return 0;
        });
        return command;
    }
}
