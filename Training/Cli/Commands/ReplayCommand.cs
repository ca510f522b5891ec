using System.CommandLine;
using System.Globalization;
using GridTime.Environment.Episodes;
using GridTime.Rendering.Replay;
using GridTime.Training;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime replay</c>: turns logged episodes into an animated, looping GIF. Episodes are chosen by their
/// position in the file (<c>--record</c>) or by what they are (<c>--t</c>, <c>--outcome</c>, the record's
/// <c>episode</c> field with <c>--episode-number</c>), then one (the first match, or <c>--last</c>), all of them
/// one after another (<c>--all</c>) or several side by side (<c>--grid 3x3</c>). Prints one line per chosen record.
/// </summary>
public static class ReplayCommand
{
    /// <summary>Largest episode log replay reads: 1 GiB.</summary>
    public const long MaximumLogBytes = 1L << 30;

    /// <summary>
    /// Largest GIF replay writes, in pixels over all frames (frames × width × height): 200 million, some 5-20 MB
    /// once LZW-compressed and about 15 minutes of playback at scale 4 and 4 frames/s. A larger selection is refused.
    /// </summary>
    public const long MaximumGifPixels = 200_000_000;

    /// <summary>Chosen records printed one per line; the rest are counted.</summary>
    private const int PrintedRecords = 20;

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("log") { Description = "Episode log (runs/NAME/episodes/worker-K.msgpack or runs/NAME/eval-episodes.msgpack)." };
        var output = new Option<string>("--out") { Description = "The GIF to write.", Required = true, HelpName = "PATH.gif" };
        var binding = new ConfigBinding<ReplaySettings>();
        var command = new Command("replay", "Turn logged episodes into an animated GIF (the world as the agent saw it, with a caption).") { file, output };
        binding.AddTo(command);

        command.SetAction(parsed =>
        {
            string path = parsed.GetValue(file)!;
            ReplaySettings settings = binding.ApplyFlags(new ReplaySettings(), parsed);
            settings.Validate();
            int? position = settings.Record;
            bool takeLast = settings.Last, takeAll = settings.All;
            (int Rows, int Columns)? mosaic = settings.Mosaic;
            var filter = new Selection(settings.Instruction, settings.Timing, settings.EpisodeNumber);
            var style = new ReplayStyle(settings.Scale, settings.FramesPerSecond);
            EpisodeLog log = Read(path);
            IReadOnlyList<int> matching = [.. Enumerable.Range(0, log.Records.Count).Where(i => filter.Matches(log.Records[i]))];
            if (position is int k && (k < 0 || k >= log.Records.Count))
            {
                throw new UsageException($"--record {k} is out of range: {path} holds records 0..{log.Records.Count - 1}");
            }

            if (matching.Count == 0)
            {
                throw new UsageException($"no record of {path} has {filter.Describe()} ({Holdings(log)})");
            }

            IReadOnlyList<int> chosen = position is int p ? [p]
                : takeAll ? matching
                : mosaic is (int rows, int columns) ? (takeLast ? matching.TakeLast(rows * columns) : matching.Take(rows * columns)).ToList()
                : takeLast ? [matching[^1]]
                : [matching[0]];
            EpisodeRecord[] episodes = [.. chosen.Select(i => log.Records[i])];

            (int width, int height) = mosaic is (int r, int c) ? EpisodeReplay.MosaicSize(style, c, r) : EpisodeReplay.FrameSize(style);
            long frames = mosaic is not null ? episodes.Max(e => e.Steps.Count) + 1L : episodes.Sum(e => e.Steps.Count + 1L);
            if (frames * width * height > MaximumGifPixels)
            {
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"{episodes.Length:N0} episodes make {frames:N0} frames of {width}x{height} ({frames * width * height / 1e6:N0} Mpixel), more than a GIF of {MaximumGifPixels / 1e6:N0} Mpixel: choose fewer with --t, --outcome, --episode-number, --grid or --last, or a smaller --scale"));
            }

            // Refused before anything is written: the input log itself, a directory, a symlink, a device or FIFO.
            string target = parsed.GetValue(output)!;
            RunLoading.RefuseRunsOwnFile(target, "GIF");
            OutputFile.Check(target, "GIF", OutputFormat.Gif, path);
            if (Path.GetDirectoryName(Path.GetFullPath(target)) is string folder && !Directory.Exists(folder))
            {
                throw new UsageException($"--out {target}: the folder {folder} does not exist");
            }

            OutputFile.Write(target, stream =>
            {
                if (mosaic is (int rows, int columns))
                {
                    EpisodeReplay.WriteMosaic(stream, episodes, columns, rows, style, Program.Stop);
                }
                else
                {
                    EpisodeReplay.WriteGif(stream, episodes, style, Program.Stop);
                }
            });

            foreach (int i in chosen.Take(PrintedRecords))
            {
                Console.WriteLine(Describe(i, log.Records[i]));
            }

            if (chosen.Count > PrintedRecords)
            {
                Console.WriteLine($"... and {chosen.Count - PrintedRecords} more records");
            }

            string layout = mosaic is (int mr, int mc) ? $"a {mr}x{mc} mosaic, " : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {target}: {episodes.Length} episode(s), {layout}{frames} frames of {width}x{height}"));
            return 0;
        });
        return command;
    }

    /// <summary>One line about a chosen record (the facts of its caption): position, agent, worker, episode field, frames, T and how it ended.</summary>
    public static string Describe(int position, EpisodeRecord record)
    {
        var c = CultureInfo.InvariantCulture;
        string arrival = record.ArrivalTime is int t ? string.Create(c, $" (arrived at t={t})") : "";
        return string.Create(c, $"record {position}: {record.Agent}, worker {record.Worker}, episode {record.Episode}, {record.Frames:N0} frames, T {record.Instruction}, {record.Timing.Name()}{arrival}, reward {record.TotalReward:0.#}/{record.BestAchievableReward}");
    }

    // What the log holds, for a selection that matched nothing.
    private static string Holdings(EpisodeLog log)
    {
        IReadOnlyList<EpisodeRecord> records = log.Records;
        string outcomes = string.Join(", ", EpisodeTimings.All.Select(t => $"{t.Name()} {records.Count(r => r.Timing == t)}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"it holds {records.Count} records: T {records.Min(r => r.Instruction)}..{records.Max(r => r.Instruction)}; {outcomes}; episode numbers {records.Min(r => r.Episode)}..{records.Max(r => r.Episode)}");
    }

    private static EpisodeLog Read(string path)
    {
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

        return log.Records.Count > 0 ? log : throw new UsageException($"{path} holds no complete episode");
    }

    // Which records --t, --outcome and --episode-number let through (null: any).
    private sealed record Selection(int? Instruction, EpisodeTiming? Timing, long? Episode)
    {
        public bool Any => Instruction is not null || Timing is not null || Episode is not null;

        public bool Matches(EpisodeRecord record) =>
            (Instruction is null || record.Instruction == Instruction)
            && (Timing is null || record.Timing == Timing)
            && (Episode is null || record.Episode == Episode);

        public string Describe()
        {
            var parts = new List<string>();
            if (Instruction is int t)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"T {t}"));
            }

            if (Timing is EpisodeTiming timing)
            {
                parts.Add($"outcome {timing.Name()}");
            }

            if (Episode is long e)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"episode number {e}"));
            }

            return string.Join(" and ", parts);
        }
    }
}
