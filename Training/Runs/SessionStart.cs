namespace GridTime.Training.Runs;

/// <summary>
/// What a training session starts from: the run's identity and history, and the checkpoint it continues
/// (none for a new run, or for a run resumed before its first checkpoint).
/// </summary>
/// <param name="RunId">The run's identity (<see cref="RunIdentity"/>), written into config.json and every checkpoint.</param>
/// <param name="Changes">Every setting changed by a resume, this one's included, with the frame each began at.</param>
/// <param name="Resume">The checkpoint to continue from, or null to start from frame 0.</param>
/// <param name="Notes">What the user should know about how the session starts (printed as warnings).</param>
public sealed record SessionStart(string RunId, IReadOnlyList<SettingChange> Changes, ResumePoint? Resume, IReadOnlyList<string> Notes)
{
    /// <summary>A new run: a new identity, no history, frame 0.</summary>
    public static SessionStart NewRun() => new(RunIdentity.New(), [], null, []);

    /// <summary>The ids of the runs this one continues (<see cref="RunRecord.Ancestors"/>).</summary>
    public IReadOnlyList<string> Ancestors { get; init; } = [];

    /// <summary>The settings this session changes (given as flags with --resume), also at the end of <see cref="Changes"/>.</summary>
    public IReadOnlyList<SettingChange> NewChanges { get; init; } = [];

    /// <summary>Whether the session continues an existing run folder (with or without a checkpoint).</summary>
    public bool Resumes { get; init; }
}
