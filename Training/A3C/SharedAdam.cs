using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Training.A3C;

/// <summary>
/// Adam over the shared network, with one set of moment estimates shared by all workers ("shared
/// statistics", Mnih et al. 2016). A worker's update copies its gradients into the shared gradient
/// buffers and takes one Adam step, all under <see cref="Lock"/>; the forward and backward passes, which
/// are nearly all of the time, run without it, so workers still update asynchronously from stale weights.
/// <para>
/// Why Adam and not RMSProp: the PyTorch version of this experiment found shared Adam at 5e-4 learned the
/// training range reliably while RMSProp-style steps needed more tuning; Adam's bias correction also makes
/// the first updates of every worker well scaled.
/// </para>
/// </summary>
public sealed class SharedAdam : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _denominators;
    private readonly Tensor[] _firstMoments;
    private readonly Tensor[] _secondMoments;
    private readonly double[] _rateScales;

    /// <summary>An optimizer for <paramref name="parameters"/> with zero moments.</summary>
    /// <param name="parameters">The shared parameters.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="epsilon">Denominator epsilon.</param>
    /// <param name="rateScales">Per parameter, a factor on the learning rate (null: all 1).</param>
    public SharedAdam(IEnumerable<Parameter> parameters, double beta1, double beta2, double epsilon, IReadOnlyList<double>? rateScales = null)
    {
        _parameters = [.. parameters];
        _rateScales = rateScales is null ? [.. _parameters.Select(_ => 1.0)] : [.. rateScales];
        if (_rateScales.Length != _parameters.Length)
        {
            throw new ArgumentException($"{_rateScales.Length} learning-rate scales for {_parameters.Length} parameters");
        }

        // Working memory for Adam's denominator, so that a step allocates nothing while others wait for the lock.
        _denominators = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _firstMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _secondMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>
    /// The optimizer a training run uses: the NAC and NALU parameters of <paramref name="network"/> learn at
    /// <see cref="Config.TrainConfig.NacLearningRateScale"/> times the learning rate, everything else at 1x.
    /// </summary>
    public static SharedAdam For(Agents.ActorCritic network, Config.TrainConfig config) =>
        new(network.parameters(), config.AdamBeta1, config.AdamBeta2, config.AdamEpsilon,
            [.. network.ArithmeticParameterMask().Select(arithmetic => arithmetic ? config.NacLearningRateScale : 1.0)]);

    /// <summary>Held while the shared weights change; hold it to read them consistently.</summary>
    public Lock Lock { get; } = new();

    /// <summary>Adam steps taken so far (by all workers together).</summary>
    public long StepCount { get; private set; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public double Epsilon { get; }

    /// <summary>
    /// Applies one Adam step with <paramref name="localGradients"/> (a worker's, in the order of the shared parameters)
    /// and <paramref name="learningRate"/> to the shared parameters. Call it holding <see cref="Lock"/>.
    /// </summary>
    public void Step(IReadOnlyList<Tensor> localGradients, double learningRate)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        StepCount++;
        double correction1 = 1 - Math.Pow(Beta1, StepCount);
        double correction2 = 1 - Math.Pow(Beta2, StepCount);
        for (int i = 0; i < _parameters.Length; i++)
        {
            Tensor g = localGradients[i];
            _firstMoments[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _secondMoments[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            Tensor denominator = _denominators[i].copy_(_secondMoments[i]).sqrt_().div_(Math.Sqrt(correction2)).add_(Epsilon);
            _parameters[i].addcdiv_(_firstMoments[i], denominator, value: -learningRate * _rateScales[i] / correction1);
        }
    }

    /// <summary>Writes the step count and moments (hold <see cref="Lock"/> for a consistent copy).</summary>
    public void Save(BinaryWriter writer)
    {
        writer.Write(StepCount);
        writer.Write(_parameters.Length);
        foreach (Tensor moment in _firstMoments.Concat(_secondMoments))
        {
            moment.Save(writer);
        }
    }

    /// <summary>Reads what <see cref="Save"/> wrote; throws <see cref="InvalidDataException"/> when it does not fit.</summary>
    public void Load(BinaryReader reader)
    {
        long steps = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != _parameters.Length || steps < 0)
        {
            throw new InvalidDataException($"optimizer state is for {count} parameters, this network has {_parameters.Length}");
        }

        try
        {
            foreach (Tensor moment in _firstMoments.Concat(_secondMoments))
            {
                moment.Load(reader);
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"optimizer state does not fit this network ({e.Message})", e);
        }

        StepCount = steps;
    }

    /// <summary>The moment tensors, for tests and inspection.</summary>
    public IReadOnlyList<Tensor> Moments => [.. _firstMoments, .. _secondMoments];

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (Tensor t in _denominators.Concat(_firstMoments).Concat(_secondMoments))
        {
            t.Dispose();
        }
    }
}
