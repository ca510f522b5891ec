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
    /// counter-lstm-only, counter-heads-only and counter-with-t (its ablations), gru (the baseline with a GRU cell),
    /// timer (NAU step count and a time-left readout cut at --time-left-cap, feed-forward policy).
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

    /// <summary>Reward m for arriving exactly at T; k steps off earns max(0, m - k) (see --reward-shape). Episodes time out at L = T + m.</summary>
    [FixedOnResume]
    public int MaxReward { get; init; } = GridWorldOptions.Default.MaxReward;

    /// <summary>
    /// The arrival reward: clipped, max(0, m - |t - T|), or unclipped, m - |t - T| (negative when more than m steps
    /// off). The paper gives m - |t - T| and leaves the clipping open.
    /// </summary>
    [FixedOnResume]
    public RewardShape RewardShape { get; init; } = RewardShape.Clipped;

    /// <summary>When the agent is shown T: every-step, or first-step (only at t = 0, 0 afterwards; the paper: "at the start of the episode").</summary>
    [FixedOnResume]
    public InstructionShown InstructionShown { get; init; } = GridWorldOptions.Default.InstructionShown;

    /// <summary>Where the agent starts: random (any cell), or centre (the centre cell); the target is drawn among the other cells.</summary>
    [FixedOnResume]
    public StartCell AgentStart { get; init; } = GridWorldOptions.Default.AgentStart;

    /// <summary>Width of the LSTM and of the encoder's output.</summary>
    [FixedOnResume]
    public int Hidden { get; init; } = AgentOptions.Default.Hidden;

    /// <summary>Output width of the NAC or NALU in the nac and nalu agents, and the number of accumulators and readouts of the counter agents.</summary>
    [FixedOnResume]
    public int ArithmeticWidth { get; init; } = AgentOptions.Default.ArithmeticWidth;

    /// <summary>
    /// What the NAC or NALU of the nac and nalu agents reads: instruction-and-state, [T, h(t-1)], or instruction, [T]
    /// alone (the paper names only T as its input).
    /// </summary>
    [FixedOnResume]
    public ArithmeticInput ArithmeticInput { get; init; } = AgentOptions.Default.ArithmeticInput;

    /// <summary>Worker threads, each with its own copy of the network and its own environments (default: one per core).</summary>
    public int Workers { get; init; } = System.Environment.ProcessorCount;

    /// <summary>Environments each worker steps together (one batched forward pass per step).</summary>
    public int EnvsPerWorker { get; init; } = 32;

    /// <summary>Steps per rollout (n of n-step returns) before each update.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>Learning rate of the shared Adam optimizer.</summary>
    public double LearningRate { get; init; } = 5e-4;

    /// <summary>
    /// How the learning rate changes over the run: constant, or linear, lr × (1 − frames / --frames), 0 at the budget,
    /// as A3C was trained (Mnih et al. 2016). A run resumed with a larger --frames follows the new budget (the rate rises again).
    /// </summary>
    public LearningRateSchedule LearningRateSchedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>
    /// Factor on the learning rate of the NAC, NALU and NAU weights (Ŵ, M̂, G, W). Above 1 lets them reach the
    /// saturated values ±1 and 0 at which a NAC adds exactly, before the LSTM weights around them absorb the scale.
    /// </summary>
    public double NacLearningRateScale { get; init; } = 1;

    /// <summary>
    /// Weight of the auxiliary loss ½(s − (T − t))² on the core's own time-left estimate s, for agents that have one
    /// (timer); refused for others. 0 turns it off.
    /// </summary>
    public double TimeLeftLoss { get; init; } = 1;

    /// <summary>
    /// C, where the timer agent cuts its time-left readout (min(r, C)); 0 means the farthest the target can be, 2(N - 1)
    /// steps (8 on the 5x5 grid), at most max-t. A C below max-t is met for several steps of each longer training
    /// episode, so the policy learns to wait at it.
    /// </summary>
    [FixedOnResume]
    public int TimeLeftCap { get; init; }

    /// <summary>
    /// Which losses train the timer's time-left readout r and, through it, its NAUs: time-left-loss (the auxiliary
    /// time-left loss and the NAU regulariser only; the policy layer and the heads read r without sending gradient back)
    /// or all (the policy and value losses too, as before this setting existed). With all, the policy gradient held two of
    /// five seeds' read NAU weights 3-4e-4 short of ±1 and their timing drifted at long T. For agents with a time-left readout (timer).
    /// </summary>
    [FixedOnResume]
    public TimeLeftGradient TimeLeftGradient { get; init; } = TimeLeftGradient.TimeLeftLoss;

    /// <summary>
    /// How the timer reads its time left r from T and its step count a: nau (r = NAU_read([T, a]), two learned weights,
    /// exactly T - a at (1, -1)) or difference (r = T - a, no weights: only the count's increment is learned). Trained by
    /// the reward alone (--time-left-loss 0 --time-left-gradient all), the learned readout keeps its weights' ratio a few
    /// percent from 1 and arrives early by that share of every T; the difference keeps exact time. For the timer agent.
    /// </summary>
    [FixedOnResume]
    public TimeLeftReadout TimeLeftReadout { get; init; } = TimeLeftReadout.Nau;

    /// <summary>
    /// Weight λ of the NAU sparsity regulariser mean(min(|W|, 1 − |W|)) (Madsen &amp; Johansen 2020), for agents with
    /// addition units (timer); refused for others. It rises linearly from 0 at --nau-sparsity-from frames to λ at --nau-sparsity-to.
    /// </summary>
    public double NauSparsity { get; init; } = 1;

    /// <summary>Frames at which the NAU sparsity regulariser starts (weight 0 before).</summary>
    public long NauSparsityFrom { get; init; } = 1_500_000;

    /// <summary>Frames at which the NAU sparsity regulariser reaches its full weight --nau-sparsity.</summary>
    public long NauSparsityTo { get; init; } = 2_500_000;

    /// <summary>
    /// After --nau-sparsity-to, the NAU weights' learning rate decays linearly to 0 at --frames (linear) or stays (none);
    /// for agents with addition units (timer). Adam moves a weight by about a learning rate per update however small its
    /// gradient, so a weight the regulariser holds at the clamp jitters a step size inside ±1 (1e-3 at 5e-4), a step of
    /// drift at T = 1000; the decay lets it settle on ±1. No decay when --frames is not above --nau-sparsity-to.
    /// </summary>
    public NauLearningRateDecay NauLearningRateDecay { get; init; } = NauLearningRateDecay.Linear;

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

    /// <summary>Frames between checkpoints: each is kept as checkpoints/frames-N.ckpt and also becomes latest.ckpt (so are the last weights when training stops).</summary>
    public long CheckpointInterval { get; init; } = 500_000;

    /// <summary>
    /// Periodic checkpoints kept: after each, all but the newest K are removed (latest.ckpt always stays). The default
    /// is what eval chooses among (--select-last) and what resume falls back on; 0 keeps every one.
    /// </summary>
    public int KeepCheckpoints { get; init; } = DefaultKeepCheckpoints;

    /// <summary>How many of a run's last periodic checkpoints training keeps by default, and so how many eval chooses among by default.</summary>
    public const int DefaultKeepCheckpoints = 4;

    /// <summary>Log every k-th episode of each worker to episodes/ (0 = none).</summary>
    public int EpisodeLogEvery { get; init; } = 200;

    /// <summary>
    /// Frames between evaluations for monitoring only (0 = none): H90 and Hexact on T min-t..monitor-t-to, sampled
    /// actions, monitor-episodes per T, written to metrics.csv and TensorBoard as eval/h90 and eval/hexact (none when
    /// not reached; NaN on rows without one). A multiple of log-interval. They never select a checkpoint and never
    /// change training: their episodes have seeds of their own, and the workers wait while they run.
    /// </summary>
    public long MonitorInterval { get; init; }

    /// <summary>Largest T of the monitoring evaluations (they play every T from min-t up to it).</summary>
    public int MonitorTTo { get; init; } = 60;

    /// <summary>Episodes per T of the monitoring evaluations.</summary>
    public int MonitorEpisodes { get; init; } = 10;

    /// <summary>Seconds between progress lines when output is not a terminal.</summary>
    public double ProgressSeconds { get; init; } = 30;

    /// <summary>The environment rules of the run (reward, best achievable reward and timeout: <see cref="EpisodeRules.For"/> its <see cref="RewardShape"/>).</summary>
    [JsonIgnore]
    public GridWorldOptions World => new()
    {
        Size = GridSize,
        MinInstruction = MinT,
        MaxInstruction = MaxT,
        MaxReward = MaxReward,
        Rules = Enum.IsDefined(RewardShape) ? EpisodeRules.For(RewardShape) : EpisodeRules.Paper, // an undefined shape is reported by Problems
        InstructionShown = InstructionShown,
        AgentStart = AgentStart,
    };

    // Which setting fills each field of World (its problems are reported under that setting's flag).
    private static readonly Dictionary<string, string> WorldSettings = new()
    {
        [nameof(GridWorldOptions.Size)] = nameof(GridSize),
        [nameof(GridWorldOptions.MinInstruction)] = nameof(MinT),
        [nameof(GridWorldOptions.MaxInstruction)] = nameof(MaxT),
        [nameof(GridWorldOptions.MaxReward)] = nameof(MaxReward),
        [nameof(GridWorldOptions.Timeout)] = nameof(MaxT), // never set by a training run: L = T + m
        [nameof(GridWorldOptions.InstructionShown)] = nameof(InstructionShown),
        [nameof(GridWorldOptions.AgentStart)] = nameof(AgentStart),
    };

    // Which setting fills each field of Network.
    private static readonly Dictionary<string, string> NetworkSettings = new()
    {
        [nameof(AgentOptions.Core)] = nameof(Agent),
        [nameof(AgentOptions.Hidden)] = nameof(Hidden),
        [nameof(AgentOptions.ArithmeticWidth)] = nameof(ArithmeticWidth),
        [nameof(AgentOptions.ArithmeticInput)] = nameof(ArithmeticInput),
        [nameof(AgentOptions.NaluEpsilon)] = nameof(Agent), // never set by a training run
        [nameof(AgentOptions.TimeLeftCap)] = nameof(TimeLeftCap),
        [nameof(AgentOptions.TimeLeftGradient)] = nameof(TimeLeftGradient),
        [nameof(AgentOptions.TimeLeftReadout)] = nameof(TimeLeftReadout),
        [nameof(AgentOptions.Seed)] = nameof(Seed),
    };

    /// <summary>The network shape of the run.</summary>
    [JsonIgnore]
    public AgentOptions Network => new() { Core = Agent, Hidden = Hidden, ArithmeticWidth = ArithmeticWidth, ArithmeticInput = ArithmeticInput, TimeLeftCap = TimeLeftCap > 0 ? TimeLeftCap : Math.Max(1, Math.Min(MaxT, 2 * (GridSize - 1))), TimeLeftGradient = TimeLeftGradient, TimeLeftReadout = TimeLeftReadout, Seed = Seed }; // a bad max-t or grid size is reported under its own flag

    /// <summary>The learning rate after <paramref name="frames"/> frames (<see cref="LearningRateSchedule"/>): never below 0.</summary>
    public double LearningRateAt(long frames) =>
        LearningRateSchedule == LearningRateSchedule.Linear ? LearningRate * Math.Max(0, 1 - ((double)frames / Frames)) : LearningRate;

    /// <summary>
    /// The factor on the NAU weights' learning rate after <paramref name="frames"/> frames (<see cref="NauLearningRateDecay"/>):
    /// 1 until --nau-sparsity-to, then linear to 0 at --frames (1 throughout when the budget ends before the regulariser's full weight).
    /// </summary>
    public double NauLearningRateFactorAt(long frames) =>
        NauLearningRateDecay == NauLearningRateDecay.None || Frames <= NauSparsityTo || frames <= NauSparsityTo
            ? 1
            : Math.Max(0, 1 - ((double)(frames - NauSparsityTo) / (Frames - NauSparsityTo)));

    /// <summary>The weight of the NAU sparsity regulariser after <paramref name="frames"/> frames: 0 before --nau-sparsity-from, λ from --nau-sparsity-to, linear between.</summary>
    public double NauSparsityAt(long frames) =>
        frames < NauSparsityFrom ? 0 : frames >= NauSparsityTo ? NauSparsity : NauSparsity * (frames - NauSparsityFrom) / (NauSparsityTo - NauSparsityFrom);

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

    /// <summary>Largest <see cref="MonitorEpisodes"/>.</summary>
    public const int MaximumMonitorEpisodes = 1000;

    /// <summary>
    /// Largest number of steps one monitoring evaluation may play, <see cref="MonitorEpisodes"/> · Σ L(T) over
    /// T = <see cref="MinT"/>..<see cref="MonitorTTo"/> (L = T + m): keeps it a small fraction of a logging interval's work.
    /// </summary>
    public const long MaximumMonitorSteps = 2_000_000;

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
            problems.Add($"{Settings<TrainConfig>.FlagOf(NetworkSettings[property])}: {message}");
        }

        foreach ((string property, string message) in World.Problems())
        {
            problems.Add($"{Settings<TrainConfig>.FlagOf(WorldSettings[property])}: {message}");
        }

        Check(Enum.IsDefined(RewardShape), $"--reward-shape: unknown reward shape {(int)RewardShape}");
        Check(Enum.IsDefined(LearningRateSchedule), $"--learning-rate-schedule: unknown schedule {(int)LearningRateSchedule}");
        Check(Enum.IsDefined(NauLearningRateDecay), $"--nau-learning-rate-decay: unknown decay {(int)NauLearningRateDecay}");
        Check(Enum.IsDefined(TimeLeftGradient), $"--time-left-gradient: unknown choice {(int)TimeLeftGradient}");
        Check(Enum.IsDefined(TimeLeftReadout), $"--time-left-readout: unknown choice {(int)TimeLeftReadout}");
        Check(TimeLeftCap >= 0 && TimeLeftCap <= Math.Max(1, MaxT), $"--time-left-cap must be 0 (the farthest the target can be, at most max-t) or 1..max-t ({MaxT}), got {TimeLeftCap}");
        Check(TimeLeftLoss >= 0 && double.IsFinite(TimeLeftLoss), $"--time-left-loss must be a finite number, not negative, got {Show(TimeLeftLoss)}");
        Check(NauSparsity >= 0 && double.IsFinite(NauSparsity), $"--nau-sparsity must be a finite number, not negative, got {Show(NauSparsity)}");
        Check(NauSparsityFrom is >= 0 and <= MaximumFrames && NauSparsityTo is >= 0 and <= MaximumFrames && NauSparsityFrom < NauSparsityTo,
            $"--nau-sparsity-from and --nau-sparsity-to must be frame counts 0..{MaximumFrames:0} with from < to, got {NauSparsityFrom} and {NauSparsityTo}");
        if (Enum.IsDefined(Agent))
        {
            TrainConfig applicable = ForAgent(Agent);
            Check(applicable.TimeLeftLoss.Equals(TimeLeftLoss), $"--time-left-loss: the {Agent.Name()} agent has no time-left estimate to train");
            Check(applicable.NauSparsity.Equals(NauSparsity) && applicable.NauSparsityFrom == NauSparsityFrom && applicable.NauSparsityTo == NauSparsityTo,
                $"--nau-sparsity: the {Agent.Name()} agent has no NAU to regularise");
            Check(applicable.NauLearningRateDecay == NauLearningRateDecay, $"--nau-learning-rate-decay: the {Agent.Name()} agent has no NAU whose learning rate could decay");
            Check(applicable.NacLearningRateScale.Equals(NacLearningRateScale), $"--nac-learning-rate-scale: the {Agent.Name()} agent has no NAC, NALU or NAU whose learning rate it could scale");
            Check(applicable.TimeLeftCap == TimeLeftCap, $"--time-left-cap: the {Agent.Name()} agent has no time-left readout to cut");
            Check(applicable.TimeLeftGradient == TimeLeftGradient, $"--time-left-gradient: the {Agent.Name()} agent has no time-left readout to train");
            Check(applicable.TimeLeftReadout == TimeLeftReadout, $"--time-left-readout: the {Agent.Name()} agent has no time-left readout to choose");
            Check(TimeLeftGradient != TimeLeftGradient.TimeLeftLoss || TimeLeftLoss != 0 || !applicable.TimeLeftLoss.Equals(TimeLeftLoss),
                "--time-left-loss 0 with --time-left-gradient time-left-loss (the default) would leave the time-left readout untrained: train a new run with --time-left-gradient all (it is fixed once a run has started)");
            Check(applicable.ArithmeticWidth == ArithmeticWidth, $"--arithmetic-width: the {Agent.Name()} agent has no arithmetic unit whose width it could set");
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
        Check(MonitorInterval >= 0 && MonitorInterval <= MaximumFrames && (LogInterval < 1 || MonitorInterval % LogInterval == 0),
            $"--monitor-interval must be 0 (none) or a multiple of --log-interval {LogInterval}, at most {MaximumFrames:0}, got {MonitorInterval}");
        if (MonitorInterval > 0)
        {
            // Checked only when monitoring is on: a run with --max-t above the default monitor-t-to trains without it.
            bool rangeOk = MonitorTTo >= MaxT && MonitorTTo <= GridWorldOptions.MaximumInstruction && MinT >= 1;
            Check(rangeOk, $"--monitor-t-to must be at least --max-t {MaxT} and at most {GridWorldOptions.MaximumInstruction}, got {MonitorTTo}");
            Check(MonitorEpisodes is >= 1 and <= MaximumMonitorEpisodes, $"--monitor-episodes must be at least 1 and at most {MaximumMonitorEpisodes}, got {MonitorEpisodes}");
            if (rangeOk && MonitorEpisodes is >= 1 and <= MaximumMonitorEpisodes && MaxReward is >= 1 and <= GridWorldOptions.MaximumReward)
            {
                long steps = MonitorSteps;
                Check(steps <= MaximumMonitorSteps, $"--monitor-t-to {MonitorTTo} with --monitor-episodes {MonitorEpisodes} plays up to {steps} steps per monitoring evaluation, more than {MaximumMonitorSteps}");
            }
        }

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

    /// <summary>
    /// The most steps one monitoring evaluation plays: <see cref="MonitorEpisodes"/> · Σ L(T) over
    /// T = <see cref="MinT"/>..<see cref="MonitorTTo"/>, L the world's timeout (T + m for the paper's rule).
    /// </summary>
    [JsonIgnore]
    public long MonitorSteps
    {
        get
        {
            GridWorldOptions world = World;
            return MonitorEpisodes * Enumerable.Range(MinT, Math.Max(0, MonitorTTo - MinT + 1)).Sum(t => (long)world.TimeoutFor(t));
        }
    }

    /// <summary>
    /// These settings as a file GridTime wrote (a run's config.json, a checkpoint's header) stands for them when it lacks
    /// the keys <paramref name="absent"/> (camelCase, as written): a setting added after runs of the agents it changes
    /// were already being written stands there for how GridTime behaved before the setting existed, where that differs
    /// from today's default, so that a run resumed, evaluated or compared by a newer GridTime is taken as it was trained.
    /// A config file of the user's (<c>--config</c>) that lacks a key means the default, as always.
    /// </summary>
    public TrainConfig AsWrittenBefore(IReadOnlyCollection<string> absent)
    {
        TrainConfig before = this;
        foreach ((string key, Func<TrainConfig, TrainConfig> behaviour) in SettingsAddedLater)
        {
            if (absent.Contains(key))
            {
                before = behaviour(before);
            }
        }

        // Only where the agent has the part the setting acts on (other agents keep the default, as train requires).
        return ReferenceEquals(before, this) || !Enum.IsDefined(Agent) ? before : before.ForAgent(Agent);
    }

    // The settings that changed an existing agent's training when they were added: their key, and the setting that
    // gives the behaviour from before.
    private static readonly (string Key, Func<TrainConfig, TrainConfig> Before)[] SettingsAddedLater =
    [
        // Until --time-left-cap existed (9c872b4, 2026-11-29), the timer cut its time-left readout at max-t.
        (KeyOf(nameof(TimeLeftCap)), config => config with { TimeLeftCap = Math.Max(1, config.MaxT) }),

        // Until --time-left-gradient existed (2026-11-30), every loss trained the timer's time-left readout (a saved
        // network lacking the option is read the same way: AgentOptions.AsWrittenBefore, which Agents/ cannot take from here).
        (KeyOf(nameof(TimeLeftGradient)), config => config with { TimeLeftGradient = TimeLeftGradient.All }),

        // Until --nau-learning-rate-decay existed (b11475a, 2026-11-29), the NAU weights' learning rate never decayed.
        (KeyOf(nameof(NauLearningRateDecay)), config => config with { NauLearningRateDecay = NauLearningRateDecay.None }),
    ];

    private static string KeyOf(string property) => Settings<TrainConfig>.Json.PropertyNamingPolicy!.ConvertName(property);

    /// <summary>
    /// These settings for <paramref name="agent"/>, with every setting of a part the agent does not have back at its
    /// default: the time-left loss, cap, gradient and readout (no time-left estimate), the NAU sparsity (no NAU), the NAC learning-rate scale
    /// (no arithmetic unit), the arithmetic width (a core whose size does not depend on it), the arithmetic input (no NAC
    /// or NALU reading [T, h]). Train refuses such settings
    /// (<see cref="Problems"/>); a sweep over several agents gives each cell what applies to its agent.
    /// </summary>
    public TrainConfig ForAgent(CoreKind agent)
    {
        var defaults = new TrainConfig();
        TrainConfig config = this with { Agent = agent };
        CoreDescriptor core = CoreTable.Of(agent);
        bool widthMatters = core.Size(new AgentOptions { Core = agent, ArithmeticWidth = 1 }) != core.Size(new AgentOptions { Core = agent, ArithmeticWidth = 2 });
        return config with
        {
            TimeLeftLoss = core.HasTimeLeftOutput ? TimeLeftLoss : defaults.TimeLeftLoss,
            TimeLeftCap = core.HasTimeLeftOutput ? TimeLeftCap : defaults.TimeLeftCap,
            TimeLeftGradient = core.HasTimeLeftOutput ? TimeLeftGradient : defaults.TimeLeftGradient,
            TimeLeftReadout = core.HasTimeLeftOutput ? TimeLeftReadout : defaults.TimeLeftReadout,
            NauSparsity = core.HasAdditionUnits ? NauSparsity : defaults.NauSparsity,
            NauSparsityFrom = core.HasAdditionUnits ? NauSparsityFrom : defaults.NauSparsityFrom,
            NauSparsityTo = core.HasAdditionUnits ? NauSparsityTo : defaults.NauSparsityTo,
            NauLearningRateDecay = core.HasAdditionUnits ? NauLearningRateDecay : defaults.NauLearningRateDecay,
            NacLearningRateScale = core.HasArithmeticUnits ? NacLearningRateScale : defaults.NacLearningRateScale,
            ArithmeticWidth = widthMatters ? ArithmeticWidth : defaults.ArithmeticWidth,
            ArithmeticInput = core.ChoosesArithmeticInput ? ArithmeticInput : defaults.ArithmeticInput,
        };
    }

    private static bool Positive(double value) => value > 0 && double.IsFinite(value);

    private static string Show(double value) => value.ToString("G", System.Globalization.CultureInfo.InvariantCulture);
}
