using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridTime.Agents;
using GridTime.Tests.Training;
using GridTime.Training.Config;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

/// <summary>
/// A run written by a GridTime from before a setting existed is taken as it was trained: its config.json and its
/// checkpoints lack the key, and stand for the behaviour of that time, not for today's default.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class SettingsAddedLaterTests
{
    private static readonly string[] TimerKeys = ["timeLeftCap", "nauLearningRateDecay", "timeLeftGradient"];

    [Fact]
    public void AbsentKeysStandForTheBehaviourBeforeTheSettingExisted()
    {
        var timer = new TrainConfig { Agent = CoreKind.Timer, MaxT = 10 };

        // The timer cut its readout at max-t, never decayed its NAU learning rate and trained r by every loss before these settings existed.
        TrainConfig before = timer.AsWrittenBefore(TimerKeys);
        Assert.Equal(10, before.TimeLeftCap);
        Assert.Equal(NauLearningRateDecay.None, before.NauLearningRateDecay);
        Assert.Equal(TimeLeftGradient.All, before.TimeLeftGradient);
        Assert.Equal(TimeLeftGradient.TimeLeftLoss, timer.TimeLeftGradient);
        Assert.Empty(before.Problems());

        // Keys that are there keep their values; a file with every key is read as it is.
        Assert.Equal(timer with { TimeLeftCap = 10 }, timer.AsWrittenBefore(["timeLeftCap", "keepCheckpoints"]));
        Assert.Same(timer, timer.AsWrittenBefore([]));

        // An agent without those parts keeps the defaults (train refuses anything else for it).
        var nac = new TrainConfig { Agent = CoreKind.Nac };
        Assert.Equal(nac, nac.AsWrittenBefore(TimerKeys));
    }

    [Fact]
    public void AnOldTimerRunResumesAsItWasTrained()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        (int code, _, string error) = Gridtime.Run(TinyTimer(run, 400, "--log-interval", "200", "--checkpoint-interval", "200"));
        Assert.True(code == 0, error);
        var files = new RunFolder(run);

        // As the GridTime of the timer's first day wrote them: config.json and every checkpoint without the two keys.
        WithoutKeys(files.ConfigFile);
        foreach (string checkpoint in Directory.GetFiles(files.CheckpointFolder, "*.ckpt"))
        {
            CheckpointWithoutKeys(checkpoint);
            TrainConfig read = Checkpoint.Verify(checkpoint).Config;
            Assert.Equal(12, read.TimeLeftCap);
            Assert.Equal(NauLearningRateDecay.None, read.NauLearningRateDecay);
            Assert.Equal(TimeLeftGradient.All, read.TimeLeftGradient);
        }

        Assert.Equal(12, files.ReadConfig()!.Value.Config.TimeLeftCap);

        // Resumed: no setting is taken as changed, and what it writes from now on names the old behaviour.
        (code, string output, error) = Gridtime.Run("train", "--resume", run, "--frames", "800");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("edited by hand", error, StringComparison.Ordinal);
        Assert.DoesNotContain("nau-learning-rate-decay", output, StringComparison.Ordinal);
        Assert.DoesNotContain("time-left-cap", output, StringComparison.Ordinal);
        (TrainConfig config, RunRecord? record) = files.ReadConfig()!.Value;
        Assert.Equal((12, NauLearningRateDecay.None), (config.TimeLeftCap, config.NauLearningRateDecay));
        Assert.Equal(["frames"], record!.Changes.Select(change => change.Setting)); // the only change is the one asked for
        TrainConfig latest = Checkpoint.Verify(files.LatestCheckpoint).Config;
        Assert.Equal((12, NauLearningRateDecay.None), (latest.TimeLeftCap, latest.NauLearningRateDecay));
    }

    [Fact]
    public void ANewRunFromAnOldRunsConfigTrainsAsItDid()
    {
        using var folder = new TemporaryFolder();
        string old = folder["old"];
        Assert.Equal(0, Gridtime.Run(TinyTimer(old, 200)).ExitCode);
        WithoutKeys(new RunFolder(old).ConfigFile);

        (int code, _, string error) = Gridtime.Run("train", "--config", new RunFolder(old).ConfigFile, "--run-dir", folder["new"], "--frames", "200");
        Assert.True(code == 0, error);
        TrainConfig config = new RunFolder(folder["new"]).ReadConfig()!.Value.Config;
        Assert.Equal((12, NauLearningRateDecay.None), (config.TimeLeftCap, config.NauLearningRateDecay));

        // A config file of the user's own that lacks the keys means today's defaults.
        string mine = folder["mine.json"];
        File.WriteAllText(mine, "{\"agent\": \"timer\", \"hidden\": 16}");
        TrainConfig fresh = GridTime.Cli.Commands.TrainCommand.SettingsOf(mine);
        Assert.Equal((0, NauLearningRateDecay.Linear), (fresh.TimeLeftCap, fresh.NauLearningRateDecay));
    }

    [Fact]
    public void ASavedTimerWithoutTheGradientChoiceWasTrainedByEveryLoss()
    {
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Timer, Hidden = 8 });
        using var saved = new MemoryStream();
        AgentFile.Save(network, saved);

        // The same file as a GridTime from before the option wrote it: magic, length, the header without the key, the weights.
        byte[] bytes = saved.ToArray();
        int length = BitConverter.ToInt32(bytes, 8);
        JsonObject header = JsonNode.Parse(bytes.AsSpan(12, length))!.AsObject();
        Assert.Equal("time-left-loss", (string)header["timeLeftGradient"]!);
        Assert.True(header.Remove("timeLeftGradient"));
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var older = new MemoryStream();
        older.Write(bytes, 0, 8);
        older.Write(BitConverter.GetBytes(json.Length));
        older.Write(json);
        older.Write(bytes, 12 + length, bytes.Length - 12 - length);
        older.Position = 0;

        using ActorCritic loaded = AgentFile.Load(older);
        Assert.Equal(TimeLeftGradient.All, loaded.Options.TimeLeftGradient);
        Assert.Equal(TimeLeftGradient.All, ((GridTime.Agents.Cores.TimerCore)loaded.Core).Gradient);
        saved.Position = 0;
        using ActorCritic current = AgentFile.Load(saved);
        Assert.Equal(TimeLeftGradient.TimeLeftLoss, current.Options.TimeLeftGradient);
    }

    [Fact]
    public void KeysRemovedByHandAreNamedAsMissing()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(TinyTimer(run, 200)).ExitCode);
        var files = new RunFolder(run);
        JsonObject file = JsonNode.Parse(File.ReadAllText(files.ConfigFile))!.AsObject();
        foreach (string key in TimerKeys)
        {
            file.Remove(key); // by hand: the hash GridTime wrote stays
        }

        File.WriteAllText(files.ConfigFile, file.ToJsonString());
        (int code, _, string error) = Gridtime.Run("train", "--resume", run, "--frames", "400");
        Assert.Equal(2, code);
        Assert.Contains("was edited by hand and differs from the checkpoint checkpoints/latest.ckpt: time-left-cap is missing there (read as 12) but 0 in the checkpoint checkpoints/latest.ckpt; "
            + "time-left-gradient is missing there (read as all) but time-left-loss in the checkpoint checkpoints/latest.ckpt; "
            + "nau-learning-rate-decay is missing there (read as none) but linear in the checkpoint checkpoints/latest.ckpt; "
            + "time-left-cap, time-left-gradient shape the network or the task and cannot change; restore config.json", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    // A timer run of a few updates.
    private static string[] TinyTimer(string run, int frames, params string[] more) =>
        ["train", "--agent", "timer", "--run-dir", run, "--frames", frames.ToString(System.Globalization.CultureInfo.InvariantCulture), "--hidden", "16", "--workers", "1",
            "--envs-per-worker", "4", "--steps", "5", "--episode-log-every", "0", .. more];

    // config.json without the keys, hashed without them (as GridTime wrote it then).
    private static void WithoutKeys(string configFile)
    {
        JsonObject file = JsonNode.Parse(File.ReadAllText(configFile))!.AsObject();
        JsonObject settings = file.DeepClone().AsObject();
        settings.Remove("run");
        foreach (string key in TimerKeys)
        {
            Assert.True(file.Remove(key));
            settings.Remove(key);
        }

        file["run"]!["settingsSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings.ToJsonString(Settings<TrainConfig>.Json))));
        File.WriteAllText(configFile, file.ToJsonString());
    }

    // A GTCKPT02 file whose header's config lacks the keys, with its checksum made anew: magic, length, JSON, the rest, SHA-256.
    private static void CheckpointWithoutKeys(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int length = BitConverter.ToInt32(bytes, 8);
        JsonObject header = JsonNode.Parse(bytes.AsSpan(12, length))!.AsObject();
        foreach (string key in TimerKeys)
        {
            Assert.True(header["config"]!.AsObject().Remove(key));
        }

        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var content = new MemoryStream();
        content.Write(bytes, 0, 8);
        content.Write(BitConverter.GetBytes(json.Length));
        content.Write(json);
        content.Write(bytes, 12 + length, bytes.Length - 12 - length - 32);
        content.Write(SHA256.HashData(content.ToArray()));
        File.WriteAllBytes(path, content.ToArray());
    }
}
