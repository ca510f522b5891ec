namespace GridTime.Training.Benchmark;

/// <summary>Training speed of one setting.</summary>
/// <param name="Setting">"compare" (32 environments x 20 steps, the PyTorch trainer's setting) or "default" (GridTime's defaults).</param>
/// <param name="Workers">Worker threads.</param>
/// <param name="EnvsPerWorker">Environments per worker.</param>
/// <param name="Steps">Rollout length.</param>
/// <param name="FramesPerSecond">Environment frames consumed by learning per second, after the warm-up: the median of <paramref name="FramesPerSecondRuns"/>.</param>
/// <param name="Gflops">
/// Achieved GFLOP/s: frames/s x the training FLOPs per frame (three forward passes), those of the layers that read the
/// image alone (the encoder and the core's product with its features) counted on the frames they ran on
/// (<see cref="EncodedShare"/>; the fast rollout pass runs them once per distinct image of a rollout), less the first
/// convolution's products with inputs of 0, which GridTime's kernels skip (<see cref="Conv1SkippedFlopsPerFrame"/>).
/// </param>
/// <param name="FramesPerSecondRuns">Each measurement of this setting, in the order taken (the worker counts' measurements are interleaved, so that a slow minute on a shared machine does not fall on one of them only).</param>
public sealed record TrainingSpeed(string Setting, int Workers, int EnvsPerWorker, int Steps, double FramesPerSecond, double Gflops, IReadOnlyList<double> FramesPerSecondRuns)
{
    /// <summary>The agent trained (its --agent name); GFLOP/s are counted from its own network's FLOPs per frame.</summary>
    public string Agent { get; init; } = "";

    /// <summary>
    /// For each of <see cref="FramesPerSecondRuns"/>, in the same order: the share (0..1) of the machine's CPU time
    /// that other processes used while it was timed (<see cref="CpuTimes.OthersShare"/>); null where /proc cannot be read.
    /// </summary>
    public IReadOnlyList<double>? OthersCpuShareRuns { get; init; }

    /// <summary>
    /// The share (0..1) of the frames learned from that the encoder ran on, over the timed updates of every run:
    /// 1 through autograd; on the fast rollout pass the share of each rollout's frames that were distinct.
    /// </summary>
    public double EncodedShare { get; init; } = 1;

    /// <summary>
    /// Per frame learned from, the FLOPs of the first convolution's forward pass that GridTime's kernels skipped
    /// because their input was 0 (black pixels; <c>RolloutPass.Conv1MultiplyAddsSkipped</c>), counted three times (as
    /// a training frame counts three forward passes) fewer in <see cref="TrainingSpeed.Gflops"/>; 0 with the kernels off.
    /// </summary>
    public double Conv1SkippedFlopsPerFrame { get; init; }

    /// <summary>
    /// For each of <see cref="FramesPerSecondRuns"/>, in the same order: GFLOP/s of the one-core product
    /// (<see cref="SpeedProbes.SustainedOneCore"/>) timed just before that run, the machine's pace at that minute;
    /// empty where it was not measured.
    /// </summary>
    public IReadOnlyList<double> ProductGflopsBesideRuns { get; init; } = [];

    /// <summary>
    /// The share (0..1) of <see cref="Workers"/> x the one-core ceiling reached at the machine's pace: the median over
    /// runs of each run's GFLOP/s over the ceiling scaled by the product's speed beside that run relative to its
    /// median over the bench (<see cref="BenchSummary.ShareAtPace"/>); 0 where the pace was not measured.
    /// </summary>
    public double CeilingShareAtPace { get; init; }
}

/// <summary>Everything <c>gridtime bench</c> measures; with --json it is printed as one JSON object with these (snake_case) names.</summary>
public sealed record BenchmarkReport
{
    /// <summary>Logical cores of the machine.</summary>
    public int Cores { get; init; }

    /// <summary>Processor model name.</summary>
    public string Processor { get; init; } = "";

    /// <summary>TorchSharp version.</summary>
    public string TorchsharpVersion { get; init; } = "";

    /// <summary>libtorch version.</summary>
    public string LibtorchVersion { get; init; } = "";

    /// <summary>Single environment, one thread: steps/s including fetching the (cached) observation frame.</summary>
    public double EnvStepsPerSecondSingle { get; init; }

    /// <summary>Vectorized environments (batch <see cref="EnvBatch"/>), one thread: steps/s with the observations copied as bytes [B,3,56,56] into one buffer per step (what the trainer does).</summary>
    public double EnvStepsPerSecondVectorized { get; init; }

    /// <summary>The same with the observations copied as floats [B,3,56,56] in [0, 1].</summary>
    public double EnvStepsPerSecondVectorizedFloat { get; init; }

    /// <summary>Batch of the vectorized environment measurement.</summary>
    public int EnvBatch { get; init; }

    /// <summary>Frames/s of drawing an observation from scratch with SkiaSharp (what the frame cache saves).</summary>
    public double DrawFramesPerSecond { get; init; }

    /// <summary>FLOPs of one forward pass per frame (twice its multiply-adds), counted from the layer shapes.</summary>
    public long ForwardFlopsPerFrame { get; init; }

    /// <summary>
    /// Of <see cref="ForwardFlopsPerFrame"/>, those of the layers that read the picture alone (the encoder and the core's
    /// product with its features), which the fast rollout pass runs once per distinct picture of a rollout.
    /// </summary>
    public long ImageFlopsPerFrame { get; init; }

    /// <summary>FLOPs of one training frame: forward and backward, counted as three forwards.</summary>
    public long TrainFlopsPerFrame { get; init; }

    /// <summary>
    /// GFLOP/s of a float32 matrix multiply on one thread, the fastest of libtorch's (1024x1024x1024; left out where
    /// it may use wider vectors than GridTime's kernels, <see cref="LibTorchInstructions.MayBeWider"/>), GridTime's
    /// kernel (<see cref="MatmulGflopsKernel"/>) and the sustained figure (<see cref="MatmulGflopsSustainedOneCore"/>):
    /// the practical ceiling of one core at GridTime's width.
    /// </summary>
    public double MatmulGflopsOneCore { get; init; }

    /// <summary>The same product through libtorch (torch.mm: MKL in the libtorch GridTime ships with): the better of <see cref="MatmulGflopsLibtorchRuns"/>.</summary>
    public double MatmulGflopsLibtorch { get; init; }

    /// <summary>
    /// <see cref="MatmulGflopsLibtorch"/>'s two timings, GFLOP/s, in order: before training, then after it (each the best
    /// of several products): a ceiling timed once, at a slow moment, would flatter every share.
    /// </summary>
    public IReadOnlyList<double> MatmulGflopsLibtorchRuns { get; init; } = [];

    /// <summary>
    /// Which instructions libtorch's product used (<see cref="LibTorchMatmulWidth.LimitTo"/>): with GridTime's kernels
    /// narrowed to 256 or 128 bits, MKL limited to AVX2 or SSE4.2, so that the ceiling is a processor of that width's.
    /// </summary>
    public string MatmulLibtorchInstructions { get; init; } = "";

    /// <summary>
    /// GridTime's kernel at the width in use (<see cref="SimdWidth"/>): the better of the same product and the LSTM's own
    /// shape, and of <see cref="MatmulGflopsKernelRuns"/>; 0 where the kernels are off.
    /// </summary>
    public double MatmulGflopsKernel { get; init; }

    /// <summary><see cref="MatmulGflopsKernel"/>'s two timings, GFLOP/s, in order: before training, then after it (0 and 0 where the kernels are off).</summary>
    public IReadOnlyList<double> MatmulGflopsKernelRuns { get; init; } = [];

    /// <summary>
    /// The fastest product's GFLOP/s per core, sustained, with one thread (<see cref="SpeedProbes.MatmulScaling"/>:
    /// GridTime's kernel on the LSTM's shape, or libtorch's 1024^3 where the kernels are off).
    /// </summary>
    public double MatmulGflopsSustainedOneCore { get; init; }

    /// <summary>The same product's GFLOP/s per core (mean) with every core running it at once.</summary>
    public double MatmulGflopsSustainedPerCoreAllCores { get; init; }

    /// <summary>
    /// <see cref="Cores"/> x <see cref="MatmulGflopsSustainedPerCoreAllCores"/> over <see cref="MatmulGflopsSustainedOneCore"/>:
    /// how far this machine lets pure arithmetic scale from one core to all: a reference for training's <see cref="ScalingAllCores"/>, not a strict bound
    /// (training's working set and timing differ from one product's).
    /// </summary>
    public double MatmulScalingAllCores { get; init; }

    /// <summary>
    /// What the network's convolutions, linear layers, LSTM, heads and Adam ran on in this benchmark:
    /// "gridtime-simd512", "gridtime-simd256", "gridtime-simd128" or "libtorch".
    /// </summary>
    public string MatmulKernel { get; init; } = "";

    /// <summary>The vector width of GridTime's kernels in this benchmark: "512", "256", "128" or "off" (<c>GRIDTIME_SIMD</c> narrows it).</summary>
    public string SimdWidth { get; init; } = "";

    /// <summary>
    /// Whether training was measured with the whole network's work on every frame, so that its GFLOP/s measure the
    /// kernels alone: with <c>--full-work</c> (every frame encoded, the first convolution over every input), or with the
    /// kernels off (libtorch's autograd always does the whole work); false: with the fast pass's savings, as
    /// <c>gridtime train</c> runs.
    /// </summary>
    public bool FullWork { get; init; }

    /// <summary>The widest width this processor runs, e.g. "512-bit (AVX-512)" or "256-bit (AVX2 + FMA)".</summary>
    public string ProcessorSimd { get; init; } = "";

    /// <summary>Training speeds for 1..cores workers in both settings.</summary>
    public IReadOnlyList<TrainingSpeed> Training { get; init; } = [];

    /// <summary>Best achieved training GFLOP/s (a median over runs) of any agent, setting and worker count, over cores x one-core matmul GFLOP/s.</summary>
    public double CeilingFraction { get; init; }

    /// <summary>
    /// <see cref="CeilingFraction"/> at the machine's pace: the <see cref="TrainingSpeed.CeilingShareAtPace"/> of the
    /// measurement it is taken from (each run's ceiling scaled by the machine's pace beside it relative to the bench's
    /// usual pace: on a shared virtual machine a minute can be 10-20% slower than the next), as a share of cores x the
    /// ceiling like <see cref="CeilingFraction"/>, whatever that measurement's worker count. 0 where not measured.
    /// </summary>
    public double CeilingFractionAtPace { get; init; }

    /// <summary>Frames/s with all cores over frames/s with one worker (medians over runs), compare setting, first agent measured.</summary>
    public double ScalingAllCores { get; init; }

    /// <summary>
    /// How many times each agent and worker count was measured (<see cref="BenchSettings.Rounds"/>): the length of each
    /// <see cref="TrainingSpeed.FramesPerSecondRuns"/>, whose entry r of every worker count comes from round r.
    /// </summary>
    public int Rounds { get; init; }

    /// <summary>
    /// The largest share (0..1) of the machine's CPU time that other processes used during any training
    /// measurement (<see cref="TrainingSpeed.OthersCpuShareRuns"/>); above <see cref="BenchSummary.BusyShare"/> the
    /// figures are not an idle machine's. Null where /proc cannot be read (not Linux).
    /// </summary>
    public double? OthersCpuShareMax { get; init; }
}
