using GridTime.Agents;
using GridTime.Cli;
using GridTime.Environment.Episodes;
using GridTime.Tests.Training;
using GridTime.Training;
using GridTime.Training.A3C;
using GridTime.Training.Config;
using GridTime.Training.Runs;
using Xunit.Abstractions;

namespace GridTime.Tests.Reliability;

/// <summary>
/// Each file reader against seeded damage (truncations, byte flips, random bytes): never an unhandled
/// exception, always the documented error (<see cref="InvalidDataException"/> or, for a config file,
/// <see cref="UsageException"/>) naming the file; through the CLI, exit code 2 and one line.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 150;

    /// <summary>The damaged variants of <paramref name="original"/>: a third truncations, a third byte flips, a third random bytes.</summary>
    public static IEnumerable<byte[]> Damaged(byte[] original, int seed, int cases = Cases)
    {
        var random = new Random(seed);
        for (int i = 0; i < cases; i++)
        {
            byte[] bytes;
            switch (i % 3)
            {
                case 0:
                    bytes = original[..random.Next(0, original.Length)];
                    break;
                case 1:
                    bytes = (byte[])original.Clone();
                    for (int flips = random.Next(1, 4); flips > 0; flips--)
                    {
                        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                default:
                    bytes = new byte[random.Next(0, 4096)];
                    random.NextBytes(bytes);
                    break;
            }

            yield return bytes;
        }
    }

    private static byte[] SmallCheckpoint(TemporaryFolder folder)
    {
        var config = new TrainConfig { Hidden = 8, ArithmeticWidth = 2, Workers = 1 };
        using var network = new ActorCritic(config.Network);
        using SharedAdam optimizer = SharedAdam.For(network, config);
        Checkpoint.Save(new SharedTraining(config, network, optimizer, 1234, "fuzz"), 5, folder["good.ckpt"]);
        return File.ReadAllBytes(folder["good.ckpt"]);
    }

    [Fact]
    public void EveryDamagedCheckpointIsReportedAsSuch()
    {
        using var folder = new TemporaryFolder();
        byte[] good = SmallCheckpoint(folder);
        string path = folder["damaged.ckpt"];
        int detected = 0;
        foreach (byte[] damaged in Damaged(good, seed: 1))
        {
            File.WriteAllBytes(path, damaged);

            // Every flip and cut is found (the checksum), by the full reader and the check alike.
            var load = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
            Assert.Contains(path, load.Message);
            Assert.Throws<InvalidDataException>(() => Checkpoint.Verify(path));
            detected++;
        }

        Assert.Equal(Cases, detected);
        output.WriteLine($"checkpoints: {Cases} damaged, {detected} refused with the documented error");
    }

    [Fact]
    public void DamagedCheckpointsGivenToEvalAndResumeEndInOneLineAndExitCode2()
    {
        using var folder = new TemporaryFolder();
        byte[] good = SmallCheckpoint(folder);
        var run = new RunFolder(folder["run"]);
        run.Create();
        foreach (byte[] damaged in Damaged(good, seed: 2, cases: 6))
        {
            File.WriteAllBytes(run.LatestCheckpoint, damaged);
            foreach (string[] command in (string[][])[["eval", "--run", run.Path, "--t-to", "3", "--episodes", "1"], ["train", "--resume", run.Path]])
            {
                (int code, string output, string error) = Gridtime.Run(command);
                Assert.Equal(Program.BadInput, code);
                Assert.Single(error.Trim().Split('\n'));
                Assert.Contains("latest.ckpt", error);
            }

            Assert.Equal(damaged, File.ReadAllBytes(run.LatestCheckpoint));
            Assert.Equal(["latest.ckpt"], Directory.GetFiles(run.CheckpointFolder).Select(Path.GetFileName));
        }
    }

    [Fact]
    public void DamagedConfigFilesAreReadOrRefusedWithTheDocumentedError()
    {
        using var folder = new TemporaryFolder();
        var binding = new ConfigBinding<TrainConfig>();
        File.WriteAllText(folder["good.json"], System.Text.Json.JsonSerializer.Serialize(new TrainConfig { Frames = 1000 }, Settings<TrainConfig>.Json));
        byte[] good = File.ReadAllBytes(folder["good.json"]);
        string path = folder["damaged.json"];
        int refused = 0, read = 0;
        foreach (byte[] damaged in Damaged(good, seed: 3))
        {
            File.WriteAllBytes(path, damaged);
            try
            {
                // A flip inside a number or name can leave a valid config (it is then validated like any other).
                TrainConfig config = Settings<TrainConfig>.ReadFile(path);
                _ = config.Problems();
                read++;
            }
            catch (UsageException e)
            {
                Assert.Contains(path, e.Message);
                refused++;
            }
        }

        Assert.True(refused > Cases / 2, $"{refused} refused, {read} read");
        output.WriteLine($"config files: {Cases} damaged, {refused} refused with the documented error, {read} still valid configs");

        // Through the CLI: exit 2, one line, no run folder created.
        foreach (byte[] damaged in Damaged(good, seed: 4, cases: 6).Where(d => d.Length < good.Length / 2))
        {
            File.WriteAllBytes(path, damaged);
            (int code, _, string error) = Gridtime.Run("train", "--config", path, "--run-dir", folder["run"]);
            Assert.Equal(Program.BadInput, code);
            Assert.Single(error.Trim().Split('\n'));
            Assert.False(Directory.Exists(folder["run"]));
        }
    }

    [Fact]
    public void DamagedEpisodeLogsAreReadUpToTheDamageOrRefusedWithTheDocumentedError()
    {
        using var folder = new TemporaryFolder();
        string good = folder["good.msgpack"];
        using (var writer = new EpisodeLogWriter(good))
        {
            for (int e = 0; e < 5; e++)
            {
                writer.Append(new EpisodeRecord
                {
                    Run = "fuzz",
                    Episode = e,
                    Agent = "nac",
                    GridSize = 5,
                    Instruction = 6,
                    Timeout = 16,
                    MaxReward = 10,
                    AgentStart = new(0, 0),
                    Target = new(2, 2),
                    ArrivalTime = 4,
                    TotalReward = 8,
                    BestAchievableReward = 10,
                    Steps = [.. Enumerable.Range(0, 4).Select(s => new EpisodeStep(1, new(s % 5, 0), s == 3 ? 8 : 0, 0.5f, [0.2f, 0.2f, 0.2f, 0.2f, 0.2f]))],
                });
            }
        }

        byte[] bytes = File.ReadAllBytes(good);
        string path = folder["damaged.msgpack"];
        int refused = 0, truncated = 0;
        foreach (byte[] damaged in Damaged(bytes, seed: 5))
        {
            File.WriteAllBytes(path, damaged);
            try
            {
                EpisodeLog log = EpisodeLogReader.Read(path);
                truncated += log.TruncatedAt is null ? 0 : 1;
                Assert.True(log.Records.Count <= 5);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message);
                refused++;
            }
        }

        // With these seeds no damage goes unnoticed: every record carries a CRC-32.
        Assert.True(refused + truncated == Cases, $"{refused} refused, {truncated} truncated, {Cases - refused - truncated} read as if intact");
        output.WriteLine($"episode logs: {Cases} damaged, {refused} refused with the documented error, {truncated} read up to a torn last record, {Cases - refused - truncated} read whole");

        // replay: exit 0 (with a warning for a torn tail) or 2 with one line; never anything else.
        foreach (byte[] damaged in Damaged(bytes, seed: 6, cases: 6))
        {
            File.WriteAllBytes(path, damaged);
            File.Delete(folder["out.gif"]);
            (int code, _, string error) = Gridtime.Run("replay", path, "--out", folder["out.gif"], "--all");
            Assert.True(code is 0 or Program.BadInput, error);
            if (code == Program.BadInput)
            {
                Assert.Single(error.Trim().Split('\n'));
                Assert.False(File.Exists(folder["out.gif"]));
            }
        }
    }
}
