using System.Text.Json.Serialization;
using GridTime.Agents;
using GridTime.Environment;

namespace GridTime.Training.Config;

/// <summary>
/// Every setting of a training run, in one place. Each field's doc comment is also its <c>--help</c> text
/// (read from the XML documentation at run time), its flag is the field name in kebab-case
/// (<c>LearningRate</c> → <c>--learning-rate</c>) and its key in config.json the name in camelCase.
/// </summary>
public sealed record TrainConfig
{
    /// <summary>
    /// Agent variant: baseline (T beside the image features), nac (T also through a NAC into the LSTM), nalu,
    /// counter (an unsquashed step accumulator and a NAC readout of the time left, to the LSTM and the heads),
    /// counter-lstm-only, counter-heads-only and counter-with-t (its ablations), gru (the baseline with a GRU cell).
    /// See docs/agents.md.
    /// </summary>
    [FixedOnResume]
    public CoreKind Agent { get; init; } = AgentOptions.Default.Core;

    /// <summary>Side N of the N x N grid.</summary>
    [FixedOnResume]
    public int GridSize { get; init; } = GridWorldOptions.Default.Size;

    /// <summary>Smallest instruction T of training episodes (T ~ U{min-t..max-t}).</summary>
    [FixedOnResume]
    public int MinT { get; init; } = GridWorldOptions.Default.MinInstruction;

    /// <summary>Largest instruction T of training episodes.</summary>
    [FixedOnResume]
    public int MaxT { get; init; } = GridWorldOptions.Default.MaxInstruction;

    /// <summary>Reward m for arriving exactly at T; k steps off earns max(0, m - k). Episodes time out at L = T + m.</summary>
    [FixedOnResume]
    public int MaxReward { get; init; } = GridWorldOptions.Default.MaxReward;

    /// <summary>Width of the LSTM and of the encoder's output.</summary>
    [FixedOnResume]
    public int Hidden { get; init; } = AgentOptions.Default.Hidden;

    /// <summary>Output width of the NAC or NALU in the nac and nalu agents.</summary>
    [FixedOnResume]
    public int ArithmeticWidth { get; init; } = AgentOptions.Default.ArithmeticWidth;

    /// <summary>Worker threads, each with its own copy of the network and its own environments (default: one per core).</summary>
    public int Workers { get; init; } = System.Environment.ProcessorCount;

    /// <summary>Environments each worker steps together (one batched forward pass per step).</summary>
    public int EnvsPerWorker { get; init; } = 32;

    /// <summary>Steps per rollout (n of n-step returns) before each update.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>Learning rate of the shared Adam optimizer.</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>
    /// Factor on the learning rate of the NAC and NALU weights (Ŵ, M̂, G). Above 1 lets them reach the
    /// saturated values ±1 and 0 at which a NAC adds exactly, before the LSTM weights around them absorb the scale.
    /// </summary>
    public double NacLearningRateScale { get; init; } = 1;

    /// <summary>Adam's first-moment decay.</summary>
    public double AdamBeta1 { get; init; } = 0.9;

    /// <summary>Adam's second-moment decay.</summary>
    public double AdamBeta2 { get; init; } = 0.999;

    /// <summary>Adam's epsilon.</summary>
    public double AdamEpsilon { get; init; } = 1e-8;

    /// <summary>Discount factor gamma.</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>Generalised advantage estimation lambda (1 = plain n-step advantages).</summary>
    public double GaeLambda { get; init; } = 1.0;

    /// <summary>Weight of the entropy bonus.</summary>
    public double EntropyCoef { get; init; } = 0.01;

    /// <summary>Weight of the value loss.</summary>
    public double ValueCoef { get; init; } = 0.5;

    /// <summary>Gradient norm clip of each worker's update.</summary>
    public double GradClip { get; init; } = 40;

    /// <summary>Training budget in environment frames (all workers together).</summary>
    public long Frames { get; init; } = 10_000_000;

    /// <summary>Seed of everything random in the run: initial weights, environments, action sampling.</summary>
    [FixedOnResume]
    public ulong Seed { get; init; } = AgentOptions.Default.Seed;

    /// <summary>Frames between rows of metrics.csv (and TensorBoard points).</summary>
    public long LogInterval { get; init; } = 100_000;

    /// <summary>Frames between checkpoints: each is kept as checkpoints/frames-N.ckpt and also becomes latest.ckpt.</summary>
    public long CheckpointInterval { get; init; } = 500_000;

    /// <summary>
    /// Periodic checkpoints kept: after each, all but the newest K are removed (latest.ckpt always stays). The default
    /// is what eval chooses among (--select-last) and what resume falls back on; 0 keeps every one.
    /// </summary>
    public int KeepCheckpoints { get; init; } = Evaluation.CheckpointSelection.DefaultCandidates;

    /// <summary>Log every k-th episode of each worker to episodes/ (0 = none).</summary>
    public int EpisodeLogEvery { get; init; } = 200;

    /// <summary>Seconds between progress lines when output is not a terminal.</summary>
    public double ProgressSeconds { get; init; } = 30;

    /// <summary>The environment rules of the run (the paper's reward, best achievable reward and timeout: <see cref="EpisodeRules.Paper"/>).</summary>
    [JsonIgnore]
    public GridWorldOptions World => new() { Size = GridSize, MinInstruction = MinT, MaxInstruction = MaxT, MaxReward = MaxReward };

    // Which setting fills each field of World (its problems are reported under that setting's flag).
    private static readonly Dictionary<string, string> WorldSettings = new()
    {
        [nameof(GridWorldOptions.Size)] = nameof(GridSize),
        [nameof(GridWorldOptions.MinInstruction)] = nameof(MinT),
        [nameof(GridWorldOptions.MaxInstruction)] = nameof(MaxT),
        [nameof(GridWorldOptions.MaxReward)] = nameof(MaxReward),
        [nameof(GridWorldOptions.Timeout)] = nameof(MaxT), // never set by a training run: L = T + m
    };

    // Which setting fills each field of Network.
    private static readonly Dictionary<string, string> NetworkSettings = new()
    {
        [nameof(AgentOptions.Core)] = nameof(Agent),
        [nameof(AgentOptions.Hidden)] = nameof(Hidden),
        [nameof(AgentOptions.ArithmeticWidth)] = nameof(ArithmeticWidth),
        [nameof(AgentOptions.NaluEpsilon)] = nameof(Agent), // never set by a training run
        [nameof(AgentOptions.Seed)] = nameof(Seed),
    };

    /// <summary>The network shape of the run.</summary>
    [JsonIgnore]
    public AgentOptions Network => new() { Core = Agent, Hidden = Hidden, ArithmeticWidth = ArithmeticWidth, Seed = Seed };

    /// <summary>Largest <see cref="Hidden"/> (<see cref="AgentOptions.MaximumHidden"/>).</summary>
    public const int MaximumHidden = AgentOptions.MaximumHidden;

    /// <summary>Largest <see cref="ArithmeticWidth"/> (<see cref="AgentOptions.MaximumArithmeticWidth"/>).</summary>
    public const int MaximumArithmeticWidth = AgentOptions.MaximumArithmeticWidth;

    /// <summary>Largest <see cref="Workers"/>.</summary>
    public const int MaximumWorkers = 1024;

    /// <summary>Largest <see cref="EnvsPerWorker"/>.</summary>
    public const int MaximumEnvsPerWorker = 4096;

    /// <summary>Largest <see cref="Steps"/>.</summary>
    public const int MaximumSteps = 1000;

    /// <summary>Largest <see cref="Frames"/>, <see cref="LogInterval"/> and <see cref="CheckpointInterval"/> (10^13): frame counts and their sums stay far inside a long.</summary>
    public const long MaximumFrames = 10_000_000_000_000;

    /// <summary>Largest <see cref="KeepCheckpoints"/>.</summary>
    public const int MaximumKeepCheckpoints = 1_000_000;

    /// <summary>Largest <see cref="ProgressSeconds"/> (one day).</summary>
    public const double MaximumProgressSeconds = 86_400;

    /// <summary>
    /// Every problem with this config, as "flag: reason" messages (empty when valid): each setting within its
    /// bounds (the task's settings by <see cref="GridWorldOptions.Problems"/>, T and m within
    /// <see cref="GridWorldOptions.MaximumInstruction"/> and <see cref="GridWorldOptions.MaximumReward"/>; every number finite), and the run's <see cref="MemoryEstimate.Bytes"/> within the machine's available memory.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                problems.Add(message);
            }
        }

        // The environment's and the network's own bounds and messages, named by the flag that sets the field.
        foreach ((string property, string message) in Network.Problems())
        {
            problems.Add($"{ConfigBinding<TrainConfig>.FlagOf(NetworkSettings[property])}: {message}");
        }

        foreach ((string property, string message) in World.Problems())
        {
            problems.Add($"{ConfigBinding<TrainConfig>.FlagOf(WorldSettings[property])}: {message}");
        }

        Check(Workers is >= 1 and <= MaximumWorkers, $"--workers must be at least 1 and at most {MaximumWorkers}, got {Workers}");
        Check(EnvsPerWorker is >= 1 and <= MaximumEnvsPerWorker, $"--envs-per-worker must be at least 1 and at most {MaximumEnvsPerWorker}, got {EnvsPerWorker}");
        Check(Steps is >= 1 and <= MaximumSteps, $"--steps must be at least 1 and at most {MaximumSteps}, got {Steps}");
        Check(Positive(LearningRate), $"--learning-rate must be a positive finite number, got {Show(LearningRate)}");
        Check(Positive(NacLearningRateScale), $"--nac-learning-rate-scale must be a positive finite number, got {Show(NacLearningRateScale)}");
        Check(AdamBeta1 is >= 0 and < 1, $"--adam-beta1 must be in [0, 1), got {Show(AdamBeta1)}");
        Check(AdamBeta2 is >= 0 and < 1, $"--adam-beta2 must be in [0, 1), got {Show(AdamBeta2)}");
        Check(Positive(AdamEpsilon), $"--adam-epsilon must be a positive finite number, got {Show(AdamEpsilon)}");
        Check(Gamma is >= 0 and <= 1, $"--gamma must be in [0, 1], got {Show(Gamma)}");
        Check(GaeLambda is >= 0 and <= 1, $"--gae-lambda must be in [0, 1], got {Show(GaeLambda)}");
        Check(EntropyCoef >= 0 && double.IsFinite(EntropyCoef), $"--entropy-coef must be a finite number, not negative, got {Show(EntropyCoef)}");
        Check(ValueCoef >= 0 && double.IsFinite(ValueCoef), $"--value-coef must be a finite number, not negative, got {Show(ValueCoef)}");
        Check(Positive(GradClip), $"--grad-clip must be a positive finite number, got {Show(GradClip)}");
        Check(Frames is >= 1 and <= MaximumFrames, $"--frames must be at least 1 and at most {MaximumFrames:0}, got {Frames}");
        Check(LogInterval is >= 1 and <= MaximumFrames, $"--log-interval must be at least 1 and at most {MaximumFrames:0}, got {LogInterval}");
        Check(CheckpointInterval is >= 1 and <= MaximumFrames, $"--checkpoint-interval must be at least 1 and at most {MaximumFrames:0}, got {CheckpointInterval}");
        Check(KeepCheckpoints is >= 0 and <= MaximumKeepCheckpoints, $"--keep-checkpoints must be 0 (all) or a count up to {MaximumKeepCheckpoints}, got {KeepCheckpoints}");
        Check(EpisodeLogEvery >= 0, $"--episode-log-every must not be negative, got {EpisodeLogEvery}");
        Check(ProgressSeconds is > 0 and <= MaximumProgressSeconds, $"--progress-seconds must be in (0, {MaximumProgressSeconds:0}], got {Show(ProgressSeconds)}");
        if (problems.Count == 0)
        {
            // Only for sizes within the bounds above; checked before anything is allocated.
            double needed = MemoryEstimate.Bytes(this);
            long available = MemoryEstimate.AvailableBytes();
            Check(needed <= available, $"--hidden {Hidden}, --workers {Workers}, --envs-per-worker {EnvsPerWorker} and --steps {Steps} need about {MemoryEstimate.Show(needed)} "
                + $"(weights, Adam moments, gradients and rollouts), more than the {MemoryEstimate.Show(available)} this machine has");
        }

        return problems;
    }

    private static bool Positive(double value) => value > 0 && double.IsFinite(value);

    private static string Show(double value) => value.ToString("G", System.Globalization.CultureInfo.InvariantCulture);
}
