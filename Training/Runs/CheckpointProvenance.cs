using System.Globalization;
using System.Security.Cryptography;

namespace GridTime.Training.Runs;

/// <summary>
/// Where a trained agent comes from: the run, the checkpoint file and its SHA-256, the frames it had trained on, and
/// the GridTime that read it. One record, made in one place (<see cref="Of"/>) and carried by every artifact made
/// from a checkpoint: eval's, probe's and sweeps' outputs (inside <c>EvalProvenance</c>), an ONNX model's metadata
/// (<see cref="Metadata"/>) and inspect's provenance line (<see cref="ToString"/>).
/// </summary>
/// <param name="Run">The run folder's name; "" for a checkpoint read on its own.</param>
/// <param name="RunId">The run's identity from the checkpoint header, or "unknown" (checkpoints from before run ids).</param>
/// <param name="Checkpoint">The checkpoint file, relative to the run folder (e.g. checkpoints/frames-500000.ckpt), or as given when read on its own.</param>
/// <param name="Sha256">SHA-256 of the checkpoint file as read (lowercase hex, what sha256sum prints).</param>
/// <param name="Frames">Frames the checkpoint had trained on.</param>
/// <param name="Version">GridTime's version (as in config.json's versions block).</param>
public sealed record CheckpointProvenance(string Run, string RunId, string Checkpoint, string Sha256, long Frames, string Version)
{
    /// <summary>
    /// The provenance of <paramref name="checkpoint"/>, read from <paramref name="run"/>, or, with none given, from the
    /// run whose checkpoints/ folder it lies in and which owns it (<see cref="RunMembership.Owns"/>), else on its own.
    /// latest.ckpt is replaced at every checkpoint of a training run: where the periodic checkpoint of the same frames
    /// holds the very same bytes, the provenance names that file, which stays (until retention removes it).
    /// </summary>
    public static CheckpointProvenance Of(RunFolder? run, CheckpointFile checkpoint)
    {
        run ??= RunLoading.RunHolding(checkpoint.Path) is { } holding && RunMembership.Owns(new RunFolder(holding), checkpoint.Header) ? new RunFolder(holding) : null;
        return Named(run, checkpoint);
    }

    private static CheckpointProvenance Named(RunFolder? run, CheckpointFile checkpoint) => new(
        run?.Name ?? "",
        checkpoint.Header.RunId ?? "unknown",
        run is null ? checkpoint.Path : System.IO.Path.GetRelativePath(run.Path, System.IO.Path.GetFullPath(StableName(run, checkpoint))),
        checkpoint.Sha256,
        checkpoint.Header.Frames,
        RunFolder.Versions["gridtime"]);

    /// <summary>
    /// The provenance as an ONNX model's metadata: gridtime.run, gridtime.run_id, gridtime.checkpoint,
    /// gridtime.checkpoint_sha256, gridtime.checkpoint_frames, gridtime.version.
    /// </summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["gridtime.run"] = Run,
        ["gridtime.run_id"] = RunId,
        ["gridtime.checkpoint"] = Checkpoint,
        ["gridtime.checkpoint_sha256"] = Sha256,
        ["gridtime.checkpoint_frames"] = Frames.ToString(CultureInfo.InvariantCulture),
        ["gridtime.version"] = Version,
    };

    /// <summary>One line: the checkpoint, its whole SHA-256, the run's identity and GridTime's version.</summary>
    public override string ToString() => $"{Checkpoint} sha256 {Sha256}, run id {RunId}; GridTime {Version}";

    private static string StableName(RunFolder run, CheckpointFile checkpoint)
    {
        string periodic = run.PeriodicCheckpoint(checkpoint.Header.Frames);
        if (System.IO.Path.GetFullPath(checkpoint.Path) != System.IO.Path.GetFullPath(run.LatestCheckpoint) || !File.Exists(periodic))
        {
            return checkpoint.Path;
        }

        try
        {
            using var stream = File.OpenRead(periodic);
            return Convert.ToHexStringLower(SHA256.HashData(stream)) == checkpoint.Sha256 ? periodic : checkpoint.Path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return checkpoint.Path;
        }
    }
}
