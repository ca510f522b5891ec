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

    /// <summary>The run folder.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>The run's name (the folder's name).</summary>
    public string Name => System.IO.Path.GetFileName(Path.TrimEnd('/'));

    /// <summary>The full resolved config with the software versions.</summary>
    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");

    /// <summary>One row per logging interval.</summary>
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.csv");

    /// <summary>TensorBoard event files.</summary>
    public string TensorBoardFolder => System.IO.Path.Combine(Path, "tb");

    /// <summary>Checkpoints.</summary>
    public string CheckpointFolder => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>The newest checkpoint.</summary>
    public string LatestCheckpoint => System.IO.Path.Combine(CheckpointFolder, "latest.ckpt");

    /// <summary>MessagePack episode logs.</summary>
    public string EpisodeFolder => System.IO.Path.Combine(Path, "episodes");

    /// <summary>The versions recorded in config.json.</summary>
    public static IReadOnlyDictionary<string, string> Versions => new Dictionary<string, string>
    {
        ["gridtime"] = typeof(RunFolder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
        ["torchsharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
        ["libtorch"] = __version__,
        ["dotnet"] = System.Environment.Version.ToString(),

        // Which code computed the linear layers and the LSTM: the two agree only to float rounding.
        ["matmul"] = Agents.Kernels.FastLinear.KernelInUse ? "gridtime-avx512" : "libtorch",
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

    /// <summary>Writes config.json: every setting and a versions block.</summary>
    public void WriteConfig(TrainConfig config)
    {
        JsonObject json = JsonSerializer.SerializeToNode(config, ConfigBinding<TrainConfig>.Json)!.AsObject();
        json[VersionsKey] = JsonSerializer.SerializeToNode(Versions);
        string temporary = ConfigFile + ".tmp";
        File.WriteAllText(temporary, json.ToJsonString(ConfigBinding<TrainConfig>.Json));
        File.Move(temporary, ConfigFile, overwrite: true);
    }
}
