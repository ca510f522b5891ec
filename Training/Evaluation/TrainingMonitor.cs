using GridTime.Agents;
using GridTime.Environment;
using GridTime.Training.Config;
using GridTime.Training.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Training.Evaluation;

/// <summary>
/// Evaluation during training, for monitoring only (<see cref="TrainConfig.MonitorInterval"/>): at every multiple
/// of the interval it copies the shared weights into a network of its own and plays
/// <see cref="TrainConfig.MonitorEpisodes"/> sampled episodes for every T from <see cref="TrainConfig.MinT"/> to
/// <see cref="TrainConfig.MonitorTTo"/>, giving H90 and Hexact (<see cref="EvaluationTable"/>) for metrics.csv and
/// TensorBoard. It never selects anything and leaves training's trajectory untouched: its network is built before
/// the workers start (torch's global generator is seeded only while building), its episodes' start positions and
/// action sampling come from <see cref="Seed"/>, a stream of their own, and the trainer runs it while the workers
/// wait at the interval. The seed depends only on the run's seed, so a resumed run evaluates the same episodes.
/// </summary>
public sealed class TrainingMonitor : IDisposable
{
    /// <summary>Offset of the monitor's seed from the run's seed, a stream no training seed is derived with.</summary>
    public const ulong SeedStream = 0x40E1_7A0E;

    private readonly TrainConfig _config;
    private readonly ActorCritic _network;
    private readonly Parameter[] _parameters;

    /// <summary>
    /// A monitor for a run of <paramref name="config"/> (its <see cref="TrainConfig.MonitorInterval"/> must be positive)
    /// training a network built as <paramref name="network"/> (the shared network's own options).
    /// </summary>
    public TrainingMonitor(TrainConfig config, AgentOptions network)
    {
        _config = config;
        _network = new ActorCritic(network);
        _parameters = [.. _network.parameters()];
    }

    /// <summary>Seed of the monitoring episodes: derived from the run's seed alone, never from a session or frame count.</summary>
    public ulong Seed => SeededRandom.Derive(_config.Seed, SeedStream);

    /// <summary>The first multiple of the interval after <paramref name="frames"/>.</summary>
    public long NextAfter(long frames) => ((frames / _config.MonitorInterval) + 1) * _config.MonitorInterval;

    /// <summary>
    /// Copies <paramref name="shared"/>'s weights (under <paramref name="gate"/>, the optimizer's lock) and evaluates
    /// them. Returns null when <paramref name="stop"/> is cancelled meanwhile: the run is stopping, and its final
    /// checkpoint matters more than this figure.
    /// </summary>
    public MonitorHorizons? Evaluate(ActorCritic shared, Lock gate, CancellationToken stop)
    {
        using (no_grad())
        {
            lock (gate)
            {
                Parameter[] source = [.. shared.parameters()];
                for (int p = 0; p < _parameters.Length; p++)
                {
                    _parameters[p].copy_(source[p]);
                }
            }
        }

        try
        {
            EvaluationTable table = AgentEvaluation.Run(_network, _config.World, _config.MinT, _config.MonitorTTo, _config.MonitorEpisodes, Seed, greedy: false, stop: stop);
            return new MonitorHorizons(table.H90(_config.MinT), table.HExact(_config.MinT));
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _network.Dispose();
}
