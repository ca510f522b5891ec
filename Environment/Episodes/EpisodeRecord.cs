namespace GridTime.Environment.Episodes;

/// <summary>One step of a logged episode.</summary>
/// <param name="Action">The action taken (0 stay, 1 up, 2 down, 3 left, 4 right).</param>
/// <param name="Agent">The agent's cell after the step.</param>
/// <param name="Reward">The reward of the step.</param>
/// <param name="Value">The network's value estimate before the step.</param>
/// <param name="Probabilities">The policy's probabilities of the 5 actions before the step.</param>
public sealed record EpisodeStep(int Action, Cell Agent, float Reward, float Value, float[] Probabilities);

/// <summary>
/// Everything needed to replay and analyse one episode without the network. Stored as one MessagePack map
/// per episode; the format is documented in docs/episode-log.md.
/// </summary>
public sealed record EpisodeRecord
{
    /// <summary>Version of the record layout; readers refuse versions they do not know.</summary>
    public const int CurrentSchema = 2;

    /// <summary>Layout version, <see cref="CurrentSchema"/> when written by this code.</summary>
    public int Schema { get; init; } = CurrentSchema;

    /// <summary>Name of the run that produced the episode.</summary>
    public string Run { get; init; } = "";

    /// <summary>Worker thread that played it (−1 for evaluation).</summary>
    public int Worker { get; init; }

    /// <summary>Index of the episode among those of its worker (or evaluation), from 0.</summary>
    public long Episode { get; init; }

    /// <summary>Frames the network had been trained on when the episode ended (for evaluation: the checkpoint's frames).</summary>
    public long Frames { get; init; }

    /// <summary>
    /// Identity of the run (its checkpoints' run id), "unknown" when the checkpoint predates run ids; empty when
    /// not recorded (training logs, and evaluation logs written before it was added). Key "runId".
    /// </summary>
    public string RunId { get; init; } = "";

    /// <summary>
    /// For evaluation episodes: the checkpoint file played, relative to the run folder; empty when not
    /// recorded (training logs, older evaluation logs). Key "checkpoint".
    /// </summary>
    public string Checkpoint { get; init; } = "";

    /// <summary>
    /// For evaluation episodes: SHA-256 (lowercase hex) of the checkpoint file played; empty when not recorded
    /// (training logs, older evaluation logs). Key "checkpointSha256".
    /// </summary>
    public string CheckpointSha256 { get; init; } = "";

    /// <summary>Agent variant (baseline, nac, ...).</summary>
    public string Agent { get; init; } = "";

    /// <summary>Grid side N.</summary>
    public int GridSize { get; init; }

    /// <summary>Seed of the run (or evaluation).</summary>
    public ulong Seed { get; init; }

    /// <summary>The instruction T.</summary>
    public int Instruction { get; init; }

    /// <summary>The timeout L.</summary>
    public int Timeout { get; init; }

    /// <summary>The arrival reward m.</summary>
    public int MaxReward { get; init; }

    /// <summary>The agent's cell at t = 0.</summary>
    public Cell AgentStart { get; init; }

    /// <summary>The target's cell.</summary>
    public Cell Target { get; init; }

    /// <summary>The steps, in order (step k is t = k + 1).</summary>
    public IReadOnlyList<EpisodeStep> Steps { get; init; } = [];

    /// <summary>The step at which the agent reached the target, or null for a timeout.</summary>
    public int? ArrivalTime { get; init; }

    /// <summary>Sum of the rewards.</summary>
    public float TotalReward { get; init; }

    /// <summary>max(0, m − max(0, d − T)): what a perfect agent earns in this episode (never negative).</summary>
    public int BestAchievableReward { get; init; }

    /// <summary>On time, early, late or timeout (<see cref="EpisodeTimings.Of"/>).</summary>
    public EpisodeTiming Timing => EpisodeTimings.Of(Instruction, ArrivalTime);

    /// <summary>"arrived" or "timeout".</summary>
    public string Outcome => ArrivalTime is null ? "timeout" : "arrived";
}
