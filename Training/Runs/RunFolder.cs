using System.Text;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridTime.Training.Config;
using static TorchSharp.torch;

namespace GridTime.Training.Runs;

/// <summary>
/// The files of one run, runs/NAME/: config.json, metrics.csv, tb/, checkpoints/ (latest.ckpt and
/// frames-N.ckpt), episodes/ (worker-K.msgpack).
/// </summary>
public sealed class RunFolder(string path)
{
    /// <summary>Key of the versions block in config.json (not a setting; ignored when the file is read back).</summary>
    public const string VersionsKey = "versions";

    /// <summary>The run's settings and record (train writes it once; <see cref="ConfigFile"/>).</summary>
    public const string ConfigName = "config.json";

    /// <summary>The training metrics, a row every log interval (train; <see cref="MetricsFile"/>).</summary>
    public const string MetricsName = "metrics.csv";

    /// <summary>The evaluation table (eval).</summary>
    public const string EvalCsvName = "eval.csv";

    /// <summary>The evaluation plot, mean reward against T (eval; also the combined plot of several runs).</summary>
    public const string EvalPlotName = "eval.png";

    /// <summary>How the evaluation's episodes of each T ended: exact, early, late, timeout (eval; also the combined picture of several runs).</summary>
    public const string EvalOutcomesName = "eval-outcomes.png";

    /// <summary>The evaluation's episodes (eval).</summary>
    public const string EvalEpisodesName = "eval-episodes.msgpack";

    /// <summary>The linear probe of the core's state against the time left (probe).</summary>
    public const string ProbeCsvName = "probe.csv";

    /// <summary>The files a run holds at its top level, each the output of one command and the input of others: no other command writes over them.</summary>
    public static readonly IReadOnlyList<string> OwnFileNames = [ConfigName, MetricsName, EvalCsvName, EvalPlotName, EvalOutcomesName, EvalEpisodesName, ProbeCsvName];

    /// <summary>Key of the run's record in config.json (identity, changes, settings hash; not a setting).</summary>
    public const string RunKey = "run";

    /// <summary>The keys of config.json that are not settings: a run's config.json can be given as --config.</summary>
    public static readonly string[] RecordKeys = [VersionsKey, RunKey];

    /// <summary>The run folder.</summary>
    public string Path { get; } = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));

    /// <summary>The run's name (the folder's name).</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>The full resolved config with the software versions.</summary>
    public string ConfigFile => System.IO.Path.Combine(Path, ConfigName);

    /// <summary>One row per logging interval.</summary>
    public string MetricsFile => System.IO.Path.Combine(Path, MetricsName);

    /// <summary>TensorBoard event files.</summary>
    public string TensorBoardFolder => System.IO.Path.Combine(Path, "tb");

    /// <summary>Checkpoints.</summary>
    public string CheckpointFolder => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>The newest checkpoint.</summary>
    public string LatestCheckpoint => System.IO.Path.Combine(CheckpointFolder, "latest.ckpt");

    /// <summary>MessagePack episode logs.</summary>
    public string EpisodeFolder => System.IO.Path.Combine(Path, "episodes");

    /// <summary>
    /// Whether <paramref name="folder"/> holds a run: a config.json that carries a run's record (the "run" block every
    /// run writes; a settings file of the user's own named config.json does not), its latest checkpoint, or a periodic
    /// checkpoint (a run whose config.json was lost still owns its checkpoints).
    /// </summary>
    public static bool HoldsRun(string folder)
    {
        var run = new RunFolder(folder);
        return HasRunRecord(run.ConfigFile) || File.Exists(run.LatestCheckpoint)
            || (Directory.Exists(run.CheckpointFolder) && Directory.EnumerateFiles(run.CheckpointFolder, "frames-*.ckpt").Any());
    }

    /// <summary>
    /// The nearest folder above <paramref name="folder"/> that holds a run (<see cref="HoldsRun"/>), or null: a run folder
    /// holds its own files only, so nothing else (another run, a combined evaluation, a sweep) is written inside one.
    /// Both the path as written and the path with its symbolic links resolved are walked: a link into a run's
    /// checkpoints/ leads inside that run as surely as the run's own name does.
    /// </summary>
    public static string? EnclosingRun(string folder)
    {
        string written = System.IO.Path.GetFullPath(folder).TrimEnd('/');
        foreach (string start in new[] { written, Physical(written, 0) }.Distinct())
        {
            for (string? above = System.IO.Path.GetDirectoryName(start); above is not null; above = System.IO.Path.GetDirectoryName(above))
            {
                if (HoldsRun(above))
                {
                    return above;
                }
            }
        }

        return null;
    }

    // A config.json whose top level has the run's record; anything unreadable or not JSON is not a run's.
    private static bool HasRunRecord(string configFile)
    {
        try
        {
            var file = new FileInfo(configFile);
            if (!file.Exists || file.Length > 16 << 20)
            {
                return false;
            }

            using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(configFile));
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(RunKey, out JsonElement record)
                && record.ValueKind == JsonValueKind.Object;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return false;
        }
    }

    // The absolute path with every symbolic link among its existing folders resolved (where the kernel would go);
    // folders that do not exist yet are kept as written. Bounded like the kernel's own 40 links.
    private static string Physical(string absolute, int depth)
    {
        string root = System.IO.Path.GetPathRoot(absolute) ?? "/";
        string result = root;
        foreach (string part in absolute[root.Length..].Split(System.IO.Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = System.IO.Path.Combine(result, part);
            var info = new DirectoryInfo(next);
            if (depth < 40 && info.Exists && info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            {
                next = Physical(target.FullName.TrimEnd('/'), depth + 1);
            }

            result = next;
        }

        return result;
    }

    /// <summary>GridTime's version and the commit it was built from, e.g. "0.1.0+d7e2e2ba…".</summary>
    public static string GridTimeVersion { get; } =
        typeof(RunFolder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The versions recorded in config.json.</summary>
    public static IReadOnlyDictionary<string, string> Versions => new Dictionary<string, string>
    {
        ["gridtime"] = GridTimeVersion,
        ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["libtorch"] = __version__,
        ["dotnet"] = System.Environment.Version.ToString(),

        // Which code computed the layers, at which vector width (libtorch's and GridTime's agree only to float
        // rounding), and the widest this processor runs: a run that was narrowed says so.
        ["kernels"] = Agents.Kernels.Simd.KernelsName(Agents.Kernels.Simd.Width),
        ["processor_simd"] = Agents.Kernels.Simd.Describe(Agents.Kernels.Simd.Supported),

        // Whether the workers flushed denormals to zero (Denormals): where it cannot be done, float rounding differs below 1.2e-38.
        ["denormals"] = Agents.Kernels.Denormals.Describe,
    };

    /// <summary>The periodic checkpoint for <paramref name="frames"/>.</summary>
    public string PeriodicCheckpoint(long frames) => System.IO.Path.Combine(CheckpointFolder, $"frames-{frames:D11}.ckpt");

    /// <summary>The episode log of worker <paramref name="worker"/>.</summary>
    public string EpisodeLog(int worker) => System.IO.Path.Combine(EpisodeFolder, $"worker-{worker}.msgpack");

    /// <summary>Creates the folders of a run.</summary>
    public void Create()
    {
        Directory.CreateDirectory(CheckpointFolder);
        Directory.CreateDirectory(EpisodeFolder);
        Directory.CreateDirectory(TensorBoardFolder);
    }

    /// <summary>
    /// Writes config.json (whole, through a temporary file): every setting, a versions block, and the run's
    /// record: its identity, every setting changed by a resume (with the frame it began at) and a SHA-256 of the
    /// settings as written, by which a later resume notices a file edited by hand.
    /// </summary>
    public void WriteConfig(TrainConfig config, RunRecord record)
    {
        JsonObject json = JsonSerializer.SerializeToNode(config, Settings<TrainConfig>.Json)!.AsObject();
        json[VersionsKey] = JsonSerializer.SerializeToNode(Versions);
        json[RunKey] = JsonSerializer.SerializeToNode(record with { SettingsSha256 = SettingsHash(config) }, Settings<TrainConfig>.Json);
        Files.OutputFile.WriteAllText(ConfigFile, json.ToJsonString(Settings<TrainConfig>.Json));
    }

    /// <summary>
    /// Reads config.json: its settings and its run record (null in a config.json of an older GridTime).
    /// Null when there is no config.json.
    /// </summary>
    /// <exception cref="UsageException">The file is damaged, not a config file, or not a regular file.</exception>
    public (TrainConfig Config, RunRecord? Record)? ReadConfig()
    {
        if (Files.FileStatus.Of(ConfigFile, followLinks: false) is null)
        {
            return null;
        }

        // Read once: the run's record and the settings come from the same bytes.
        JsonObject fields = Settings<TrainConfig>.ReadObject(ConfigFile);
        RunRecord? record = null;
        try
        {
            record = fields[RunKey]?.Deserialize<RunRecord>(Settings<TrainConfig>.Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new UsageException($"config file {ConfigFile} is not valid: its \"{RunKey}\" block: {(e is JsonException json ? JsonErrors.Describe(json, fromText: false) : e.Message)}", e);
        }

        if (record is not null && string.IsNullOrEmpty(record.Id))
        {
            throw new UsageException($"config file {ConfigFile} is not valid: its \"{RunKey}\" block has no id");
        }

        TrainConfig config = SettingsWrittenIn(fields, ConfigFile);
        return (config, record is null ? null : Upgraded(record, config, fields));
    }

    /// <summary>
    /// The settings of a config.json GridTime wrote, from its JSON object (<paramref name="path"/> names it in messages):
    /// a key it lacks stands for how the run was trained before that setting existed (<see cref="TrainConfig.AsWrittenBefore"/>).
    /// </summary>
    public static TrainConfig SettingsWrittenIn(JsonObject fields, string path) =>
        Settings<TrainConfig>.FromObject(fields, path, RecordKeys).AsWrittenBefore(Settings<TrainConfig>.KeysAbsentFrom(fields));

    // A config.json written before a setting existed lacks its key and was hashed without it: when its hash matches
    // the settings without those keys, GridTime wrote it, and it stands for these settings (the new ones at their
    // defaults). Hand edits still show: then neither hash matches.
    private static RunRecord Upgraded(RunRecord record, TrainConfig config, JsonObject fields)
    {
        JsonObject settings = JsonSerializer.SerializeToNode(config, Settings<TrainConfig>.Json)!.AsObject();
        string[] missing = [.. settings.Select(field => field.Key).Where(key => !fields.ContainsKey(key))];
        if (missing.Length == 0 || record.SettingsSha256 is null || record.SettingsSha256 == SettingsHash(config))
        {
            return record;
        }

        foreach (string key in missing)
        {
            settings.Remove(key);
        }

        string older = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(settings.ToJsonString(Settings<TrainConfig>.Json))));
        return older == record.SettingsSha256 ? record with { SettingsSha256 = SettingsHash(config) } : record;
    }

    /// <summary>SHA-256 (lowercase hex) of <paramref name="config"/> as config.json writes it: equal settings, equal hash.</summary>
    public static string SettingsHash(TrainConfig config) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(config, Settings<TrainConfig>.Json)));
}

/// <summary>The run's record in config.json.</summary>
/// <param name="Id">The run's identity (<see cref="RunIdentity"/>), also in every checkpoint it saves.</param>
/// <param name="Changes">Every setting changed by a resume, with the frame at which it began (oldest first).</param>
/// <param name="SettingsSha256">SHA-256 of the settings as GridTime wrote them (<see cref="RunFolder.SettingsHash"/>).</param>
public sealed record RunRecord(string Id, IReadOnlyList<SettingChange> Changes, string? SettingsSha256 = null)
{
    /// <summary>The folder (absolute path) the run was last trained in; null in records of an older GridTime.</summary>
    public string? Folder { get; init; }

    /// <summary>
    /// The ids of the runs this one continues, oldest first: a run folder copied or moved elsewhere continues under
    /// a new id (so the copy and the original never share one), and its checkpoints from before carry these.
    /// </summary>
    public IReadOnlyList<string> Ancestors { get; init; } = [];

    /// <summary>Whether a checkpoint with run id <paramref name="runId"/> belongs to this run or to one it continues.</summary>
    public bool Owns(string runId) => runId == Id || Ancestors.Contains(runId);
}
