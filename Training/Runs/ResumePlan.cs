using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridTime.Training.Config;

namespace GridTime.Training.Runs;

/// <summary>
/// Decides how <c>train --resume</c> continues a run, touching nothing on disk. The settings come from the
/// checkpoint resumed from, then the flags given; a flag applies from this session on and is recorded. What
/// could make the continued run other than the run it claims to be is refused (<see cref="UsageException"/>,
/// one line naming the difference): a checkpoint of another run (its run id), a setting that shapes the
/// network or the task, and a config.json edited by hand (its settings no longer match the hash GridTime wrote).
/// A run whose process died before its first checkpoint starts again from frame 0 with its config.json.
/// </summary>
public static class ResumePlan
{
    /// <summary>
    /// Settings that shape the network or the task: a resumed run must keep them (property names of
    /// <see cref="TrainConfig"/>, those marked <see cref="FixedOnResumeAttribute"/>, in declaration order).
    /// </summary>
    public static readonly IReadOnlyList<string> FixedSettings = FixedOnResumeAttribute.PropertiesOf(typeof(TrainConfig));

    // Refuses (naming the first) a change from the run's settings to the wanted ones in a setting fixed on resume,
    // compared value by value (no JSON: a bad value such as NaN elsewhere is for the validation after it to name).
    private static void RefuseFixedChanges(TrainConfig run, TrainConfig wanted)
    {
        foreach (string name in FixedSettings)
        {
            System.Reflection.PropertyInfo property = typeof(TrainConfig).GetProperty(name)!;
            object? before = property.GetValue(run), after = property.GetValue(wanted);
            if (!Equals(before, after))
            {
                throw new UsageException($"{Settings<TrainConfig>.FlagOf(name)} cannot change when resuming (it shapes the network or the task): the run has {Settings<TrainConfig>.Format(before)}, not {Settings<TrainConfig>.Format(after)}");
            }
        }
    }

    /// <summary>
    /// The settings and start of a resumed session. <paramref name="applyFlags"/> puts the flags given on top of
    /// the run's settings; one that would change a setting fixed on resume (<see cref="FixedSettings"/>) is refused,
    /// one that gives it its own value again is not. <paramref name="validate"/> then checks the merged settings (it
    /// throws for a bad one): after the fixed ones, so a resume that changes the agent is told that, not what the other
    /// agent lacks.
    /// </summary>
    /// <exception cref="UsageException">The run cannot be resumed as asked; the message says why.</exception>
    public static (TrainConfig Config, SessionStart Start) Make(RunFolder folder, Func<TrainConfig, TrainConfig> applyFlags, Func<TrainConfig, TrainConfig>? validate = null)
    {
        TrainConfig Apply(TrainConfig settings)
        {
            TrainConfig merged = applyFlags(settings);
            RefuseFixedChanges(settings, merged);
            return validate is null ? merged : validate(merged);
        }

        string run = folder.Path;
        if (!Directory.Exists(run))
        {
            throw new UsageException($"--resume: run folder {run} does not exist");
        }

        (TrainConfig Config, RunRecord? Record)? file;
        bool configDamaged = false;
        try
        {
            file = folder.ReadConfig();
        }
        catch (UsageException)
        {
            // A damaged config.json is kept aside and written again from the checkpoint (Trainer.Start).
            file = null;
            configDamaged = true;
        }

        ResumePoint? resume;
        try
        {
            resume = ResumePoint.Find(folder);
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--resume: {e.Message}", e);
        }

        var notes = new List<string>();
        TrainConfig settings;
        string runId;
        IReadOnlyList<SettingChange> history;
        long frames;
        if (resume is null)
        {
            if (file is not { } fromFile)
            {
                throw new UsageException($"--resume: {run} has no checkpoint (expected {folder.LatestCheckpoint}) and no {(configDamaged ? "readable " : "")}config.json to start it from");
            }

            if (fromFile.Record is { } record && record.SettingsSha256 != RunFolder.SettingsHash(fromFile.Config))
            {
                throw new UsageException($"--resume: {folder.ConfigFile} was edited by hand (its settings do not match the hash GridTime wrote) and {folder.Name} has no checkpoint to check it against; "
                    + $"restore it, or start a new run with --config {folder.ConfigFile}");
            }

            // A run with metrics rows after the one logged where its first checkpoint was due had that checkpoint (the row is
            // written first, then the checkpoint, and a failed write stops training): it was removed or moved, and starting
            // again from frame 0 would drop every row and episode logged since. Said, not done.
            if (RowsFrom(folder.MetricsFile, fromFile.Config.CheckpointInterval) is [_, .., long logged])
            {
                throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                    $"--resume: {run} has no checkpoint left, yet its metrics.csv records training to {logged:N0} frames, past its first checkpoint (due at {fromFile.Config.CheckpointInterval:N0}; removed or moved?); put one back in {folder.CheckpointFolder}, or start a new run with --config {folder.ConfigFile}"));
            }

            settings = fromFile.Config;
            runId = fromFile.Record?.Id ?? RunIdentity.New();
            history = fromFile.Record?.Changes ?? [];
            frames = 0;
            notes.Add($"{folder.Name} has no checkpoint yet (the process that trained it stopped before its first): starting it again from frame 0 with the settings of its config.json");
        }
        else
        {
            CheckpointHeader header = resume.Header;
            string checkpoint = Path.GetRelativePath(run, resume.Checkpoint);
            if (resume.File.Warning is string warning)
            {
                notes.Add(warning);
            }

            if (header.RunId is null)
            {
                notes.Add($"{checkpoint} records no run id (made by an older GridTime): that it belongs to {folder.Name} cannot be verified");
            }

            if (file is { } fromFile)
            {
                RefuseHandEdits(folder, fromFile.Config, fromFile.Record, header.Config, $"the checkpoint {checkpoint}", Apply);
                RunMembership.Require(folder, fromFile, header, checkpoint, "move it out of the run folder");
                if (resume.Latest is { } latest && latest != resume.File)
                {
                    // Older than the checkpoint resumed from, and about to be replaced: still never another run's.
                    RunMembership.Require(folder, fromFile, latest.Header, Path.GetRelativePath(run, latest.Path), "move it out of the run folder");
                }

                // Settings config.json holds that neither the checkpoint nor this command's flags give: a session
                // changed them and stopped before its first checkpoint.
                TrainConfig wanted = Apply(header.Config);
                var differences = Unexplained(header.Config, wanted, fromFile.Config);
                if (differences.Count > 0)
                {
                    notes.Add($"config.json holds settings the checkpoint does not ({Describe(differences)}): a session changed them and stopped before its first checkpoint; "
                        + "resuming with the checkpoint's settings (give the flags again to change them)");
                }
            }

            settings = header.Config;
            // config.json names the run (its checkpoints may carry an ancestor's id, as RunMembership allowed).
            runId = file?.Record?.Id ?? header.RunId ?? RunIdentity.New();
            history = header.Changes;
            frames = header.Frames;
        }

        // A run folder copied or moved elsewhere continues under a new id, so the copy and the original never share
        // one; the id it had joins its ancestors, whose checkpoints it still owns.
        IReadOnlyList<string> ancestors = file?.Record?.Ancestors ?? [];
        if (file?.Record is { Folder: string was } previous && was != folder.Path)
        {
            ancestors = [.. ancestors, previous.Id];
            string forked = previous.Id;
            runId = RunIdentity.New();
            notes.Add($"{folder.Name} was trained in {was} (copied or moved): it continues as run id {runId}, forked from {forked}");
        }

        // A setting that shapes the network or the task may be given again (a script that always passes --agent), not changed.
        TrainConfig config = Apply(settings);

        if (frames >= config.Frames)
        {
            throw new UsageException($"--resume: the run already trained {frames:N0} frames, at least the {config.Frames:N0} of its budget (give a larger --frames to go on)");
        }

        SettingChange[] fresh = [.. Differences(settings, config).Select(d => new SettingChange(frames, d.Setting, d.Before, d.After))];
        return (config, new SessionStart(runId, [.. history, .. fresh], resume, notes) { Resumes = true, NewChanges = fresh, Ancestors = ancestors });
    }

    /// <summary>
    /// The settings that differ between <paramref name="before"/> and <paramref name="after"/>, by flag name
    /// ("learning-rate") with the values as config.json writes them.
    /// </summary>
    public static IReadOnlyList<(string Setting, string Before, string After)> Differences(TrainConfig before, TrainConfig after)
    {
        JsonObject a = JsonSerializer.SerializeToNode(before, Settings<TrainConfig>.Json)!.AsObject();
        JsonObject b = JsonSerializer.SerializeToNode(after, Settings<TrainConfig>.Json)!.AsObject();
        return [.. a.Where(field => !JsonNode.DeepEquals(field.Value, b[field.Key]))
            .Select(field => (Settings<TrainConfig>.KebabCase(field.Key), Show(field.Value), Show(b[field.Key])))];
    }

    // A config.json whose settings no longer match the hash GridTime wrote (or an older one without a hash) and
    // that differs from the settings resumed from: each difference must be given as a flag with the file's value.
    private static void RefuseHandEdits(RunFolder folder, TrainConfig fileConfig, RunRecord? record, TrainConfig resumedFrom, string source, Func<TrainConfig, TrainConfig> applyFlags)
    {
        bool written = record?.SettingsSha256 == RunFolder.SettingsHash(fileConfig);
        if (written)
        {
            return;
        }

        TrainConfig wanted = applyFlags(resumedFrom);
        var unexplained = Unexplained(resumedFrom, wanted, fileConfig);
        if (unexplained.Count == 0)
        {
            return;
        }

        // Every difference is named; a key missing from the file is said to be missing (it is read as the behaviour
        // from before its setting existed, a value nobody wrote there).
        IReadOnlyCollection<string> absent = Settings<TrainConfig>.KeysAbsentFrom(Settings<TrainConfig>.ReadObject(folder.ConfigFile));
        string Described((string Setting, string Before, string After) d) => absent.Any(key => Settings<TrainConfig>.KebabCase(key) == d.Setting)
            ? $"{d.Setting} is missing there (read as {d.After}) but {d.Before} in {source}"
            : $"{d.Setting} is {d.After} there but {d.Before} in {source}";
        string edited = record is null ? "differs from" : "was edited by hand and differs from";
        string[] fixedOnes = [.. unexplained.Where(d => IsFixed(d.Setting)).Select(d => d.Setting)];
        string remedy = fixedOnes.Length > 0
            ? $"{string.Join(", ", fixedOnes)} {(fixedOnes.Length == 1 ? "shapes" : "shape")} the network or the task and cannot change; restore config.json"
            : $"settings change only through flags on --resume: give {string.Join(" ", unexplained.Select(d => $"--{d.Setting} {d.After}"))} or restore config.json";
        throw new UsageException($"--resume: {folder.ConfigFile} {edited} {source}: {string.Join("; ", unexplained.Select(Described))}; {remedy}");
    }

    // The settings in which config.json differs from the settings resumed from and which the wanted settings (those
    // with this command's flags) do not give it either.
    private static List<(string Setting, string Before, string After)> Unexplained(TrainConfig resumedFrom, TrainConfig wanted, TrainConfig file)
    {
        HashSet<string> stillDiffering = [.. Differences(wanted, file).Select(d => d.Setting)];
        return [.. Differences(resumedFrom, file).Where(d => stillDiffering.Contains(d.Setting))];
    }

    /// <summary>Whether the setting of flag name <paramref name="setting"/> ("hidden") is one of <see cref="FixedSettings"/>.</summary>
    public static bool IsFixed(string setting) => FixedSettings.Any(f => Settings<TrainConfig>.FlagOf(f) == "--" + setting);

    private static string Describe(IReadOnlyList<(string Setting, string Before, string After)> differences) =>
        string.Join(", ", differences.Select(d => $"{d.Setting} {d.After}"));

    // As config.json writes the value, without the quotes of a string ("nac", not "\"nac\"").
    private static string Show(JsonNode? value) => value is JsonValue text && text.TryGetValue(out string? name) ? name : value?.ToJsonString() ?? "null";

    // The frames of metrics.csv's complete rows at or after `frames`, in order; none when it cannot be read (nothing to go on).
    private static long[] RowsFrom(string metricsFile, long frames)
    {
        try
        {
            return [.. MetricsTable.Read(metricsFile).Rows.Select(row => (long)row[0]).Where(f => f >= frames)];
        }
        catch (UsageException)
        {
            return [];
        }
    }
}
