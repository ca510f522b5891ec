using GridTime.Training.Config;

namespace GridTime.Training.Runs;

/// <summary>
/// Whether a checkpoint belongs to a run folder: the question behind resuming from it and behind writing its
/// evaluation into that folder under the run's name. A checkpoint of another run is recognised by its run id
/// and, where either side has none (files of an older GridTime), by a setting that shapes the network or the
/// task and differs from the run's config.json.
/// </summary>
public static class RunMembership
{
    /// <summary>
    /// Throws a <see cref="UsageException"/> naming the difference when <paramref name="header"/> (of the file
    /// <paramref name="checkpoint"/>) is not of <paramref name="run"/>, whose config.json reads as
    /// <paramref name="config"/> (null when missing or damaged: then nothing can be compared and nothing is refused).
    /// <paramref name="remedy"/> ends the message: what the user should do instead.
    /// </summary>
    public static void Require(RunFolder run, (TrainConfig Config, RunRecord? Record)? config, CheckpointHeader header, string checkpoint, string remedy)
    {
        if (config is not { } file)
        {
            return;
        }

        if (file.Record is { } record && header.RunId is not null && !record.Owns(header.RunId))
        {
            throw new UsageException($"{checkpoint} belongs to another run (run id {header.RunId}), not to {run.Name} (run id {record.Id} in its config.json); {remedy}");
        }

        var shaping = ResumePlan.Differences(header.Config, file.Config).FirstOrDefault(d => ResumePlan.IsFixed(d.Setting));
        if (shaping.Setting is not null)
        {
            throw new UsageException($"{checkpoint} does not match {run.Name}'s config.json: {shaping.Setting} is {shaping.Before} in the checkpoint but {shaping.After} in config.json (a checkpoint of another run?); {remedy}");
        }
    }

    /// <summary>
    /// True when <paramref name="run"/>'s config.json names the run <paramref name="header"/> says it belongs to (its
    /// identity or an ancestor's); false when they differ or either cannot tell.
    /// </summary>
    public static bool Owns(RunFolder run, CheckpointHeader header) =>
        ReadConfig(run) is { Record: { } record } && header.RunId is not null && record.Owns(header.RunId);

    /// <summary>
    /// The run's config.json as <see cref="Require"/> takes it: null when there is none or it cannot be read (a
    /// damaged config.json is reported where it matters, by resume).
    /// </summary>
    public static (TrainConfig Config, RunRecord? Record)? ReadConfig(RunFolder run)
    {
        try
        {
            return run.ReadConfig();
        }
        catch (UsageException)
        {
            return null;
        }
    }
}
