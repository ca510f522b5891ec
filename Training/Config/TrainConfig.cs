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
    /// counter-lstm-only, counter-heads-only and counter-with-t (its ablations). See docs/agents.md.
    /// </summary>
    public CoreKind Agent { get; init; } = CoreKind.Nac;

    /// <summary>Side N of the N x N grid.</summary>
    public int GridSize { get; init; } = 5;

    /// <summary>Smallest instruction T of training episodes (T ~ U{min-t..max-t}).</summary>
    public int MinT { get; init; } = 5;

    /// <summary>Largest instruction T of training episodes.</summary>
    public int MaxT { get; init; } = 12;

    /// <summary>Reward m for arriving exactly at T; k steps off earns max(0, m - k). Episodes time out at L = T + m.</summary>
    public int MaxReward { get; init; } = 10;

    /// <summary>Width of the LSTM and of the encoder's output.</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Output width of the NAC or NALU in the nac and nalu agents.</summary>
    public int ArithmeticWidth { get; init; } = 8;

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
    public ulong Seed { get; init; } = 1;

    /// <summary>Frames between rows of metrics.csv (and TensorBoard points).</summary>
    public long LogInterval { get; init; } = 100_000;

    /// <summary>Frames between checkpoints: each is kept as checkpoints/frames-N.ckpt and also becomes latest.ckpt.</summary>
    public long CheckpointInterval { get; init; } = 500_000;

    /// <summary>Log every k-th episode of each worker to episodes/ (0 = none).</summary>
    public int EpisodeLogEvery { get; init; } = 200;

    /// <summary>Seconds between progress lines when output is not a terminal.</summary>
    public double ProgressSeconds { get; init; } = 30;

    /// <summary>The environment rules of the run.</summary>
    [JsonIgnore]
    public GridWorldOptions World => new() { Size = GridSize, MinInstruction = MinT, MaxInstruction = MaxT, MaxReward = MaxReward };

    /// <summary>The network shape of the run.</summary>
    [JsonIgnore]
    public AgentOptions Network => new() { Core = Agent, Hidden = Hidden, ArithmeticWidth = ArithmeticWidth, Seed = Seed };

    /// <summary>Every problem with this config, as "flag: reason" lines (empty when valid).</summary>
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

        Check(Enum.IsDefined(Agent), $"--agent: unknown agent {(int)Agent}");
        Check(GridSize is >= 2 and <= FrameRenderer.ImageSize, $"--grid-size must be 2..{FrameRenderer.ImageSize}, got {GridSize}");
        Check(MinT >= 1, $"--min-t must be at least 1, got {MinT}");
        Check(MaxT >= MinT, $"--max-t: the T range {MinT}..{MaxT} is empty");
        Check(MaxReward >= 1, $"--max-reward must be at least 1, got {MaxReward}");
        Check(Hidden >= 1 && ArithmeticWidth >= 1, "--hidden and --arithmetic-width must be at least 1");
        Check(Workers >= 1, $"--workers must be at least 1, got {Workers}");
        Check(EnvsPerWorker >= 1, $"--envs-per-worker must be at least 1, got {EnvsPerWorker}");
        Check(Steps >= 1, $"--steps must be at least 1, got {Steps}");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), $"--learning-rate must be positive, got {LearningRate}");
        Check(NacLearningRateScale > 0 && double.IsFinite(NacLearningRateScale), $"--nac-learning-rate-scale must be positive, got {NacLearningRateScale}");
        Check(AdamBeta1 is >= 0 and < 1 && AdamBeta2 is >= 0 and < 1 && AdamEpsilon > 0, "--adam-beta1/2 must be in [0, 1) and --adam-epsilon positive");
        Check(Gamma is >= 0 and <= 1, $"--gamma must be in [0, 1], got {Gamma}");
        Check(GaeLambda is >= 0 and <= 1, $"--gae-lambda must be in [0, 1], got {GaeLambda}");
        Check(EntropyCoef >= 0 && ValueCoef >= 0, "--entropy-coef and --value-coef must not be negative");
        Check(GradClip > 0, $"--grad-clip must be positive, got {GradClip}");
        Check(Frames >= 1, $"--frames must be at least 1, got {Frames}");
        Check(LogInterval >= 1 && CheckpointInterval >= 1, "--log-interval and --checkpoint-interval must be at least 1");
        Check(EpisodeLogEvery >= 0, $"--episode-log-every must not be negative, got {EpisodeLogEvery}");
        Check(ProgressSeconds > 0, $"--progress-seconds must be positive, got {ProgressSeconds}");
        return problems;
    }
}
