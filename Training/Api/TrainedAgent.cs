using GridTime.Agents;
using GridTime.Environment;
using GridTime.Training.Runs;
using static TorchSharp.torch;

namespace GridTime.Training.Api;

/// <summary>What a <see cref="TrainedAgent"/> chose at one step.</summary>
/// <param name="Action">The action taken, 0..4 (<see cref="GridAction"/>: stay, up, down, left, right).</param>
/// <param name="Probabilities">The policy π(a | history), softmax of the logits, 5 values summing to 1.</param>
/// <param name="Value">The critic's estimate of the return from here, in reward units.</param>
public sealed record AgentDecision(int Action, IReadOnlyList<float> Probabilities, float Value)
{
    /// <summary><see cref="Action"/> as a <see cref="GridAction"/>.</summary>
    public GridAction GridAction => GridActions.FromIndex(Action);
}

/// <summary>
/// A trained agent to act with from code, one episode at a time: load it from a run or a checkpoint, call
/// <see cref="BeginEpisode"/> when the world resets, then <see cref="Act"/> with each observation. The recurrent
/// state is kept here between the calls of an episode and zeroed by <see cref="BeginEpisode"/>. Not thread-safe
/// (TorchSharp's state is per thread); dispose it when done.
/// <code>
/// using var agent = TrainedAgent.Load("runs/nac-s1");
/// var world = new GridWorld(agent.World); // the rules it trained under (reward shape, when T is shown, the start cell)
/// (Observation observation, _) = world.Reset(seed: 1);
/// agent.BeginEpisode();
/// while (true)
/// {
///     AgentDecision decision = agent.Act(observation);
///     StepResult step = world.Step(decision.Action);
///     if (step.Terminated || step.Truncated) break;
///     observation = step.Observation;
/// }
/// </code>
/// </summary>
public sealed class TrainedAgent : IDisposable
{
    private readonly ActorCritic network;
    private readonly Generator generator;
    private Tensor state;

    private TrainedAgent(ActorCritic network, CheckpointFile checkpoint, ulong seed)
    {
        this.network = network;
        Checkpoint = checkpoint.Path;
        Warning = checkpoint.Warning;
        Sha256 = checkpoint.Sha256;
        Frames = checkpoint.Header.Frames;
        RunId = checkpoint.Header.RunId;
        World = checkpoint.Header.Config.World;
        generator = new Generator(seed);
        state = network.InitialState(1);
    }

    /// <summary>
    /// Loads the latest checkpoint of run folder <paramref name="run"/> (<c>runs/NAME</c>), or the checkpoint file
    /// <paramref name="checkpoint"/> when given (its SHA-256 is verified). <paramref name="seed"/> seeds the sampling of
    /// actions.
    /// </summary>
    /// <exception cref="UsageException">The folder or file is missing or empty, or the checkpoint is damaged (its checksum or
    /// contents do not verify); the message is one line naming the file and what is wrong.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    public static TrainedAgent Load(string run, string? checkpoint = null, ulong seed = 1)
    {
        CheckpointFile file = RunLoading.Read(run, checkpoint);
        return new TrainedAgent(RunLoading.Network(file), file, seed);
    }

    /// <summary>Loads the checkpoint file <paramref name="checkpoint"/> alone (see <see cref="Load"/>).</summary>
    /// <exception cref="UsageException">The file is missing, empty-named or damaged.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    public static TrainedAgent LoadCheckpoint(string checkpoint, ulong seed = 1) =>
        string.IsNullOrWhiteSpace(checkpoint)
            ? throw new UsageException("no checkpoint given (an empty name): give a .ckpt file such as runs/NAME/checkpoints/latest.ckpt")
            : Load(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, checkpoint, seed);

    /// <summary>
    /// The rules of the world the agent was trained in (from its checkpoint's settings: grid size, T range, m, reward
    /// shape, when T is shown, where the agent starts). Play it in <c>new GridWorld(agent.World)</c>: another world's
    /// observations (T shown at every step to an agent trained with T only at the start, say) are not what it learned on.
    /// </summary>
    public GridWorldOptions World { get; }

    /// <summary>The agent's core (baseline, nac, nalu, counter, gru, ...).</summary>
    public CoreKind Core => network.Options.Core;

    /// <summary>The network, for analysis beyond acting (its modules, weights, <see cref="ActorCritic.Step"/>).</summary>
    public ActorCritic Network => network;

    /// <summary>The checkpoint file it was loaded from.</summary>
    public string Checkpoint { get; }

    /// <summary>
    /// Null, or what was passed over to load it: the run's latest.ckpt was missing or damaged, so the newest periodic
    /// checkpoint that verifies was loaded (<see cref="Checkpoint"/> names it), or its format could not be verified.
    /// </summary>
    public string? Warning { get; }

    /// <summary>SHA-256 of that checkpoint's bytes (hex), as eval.csv and exported models record it.</summary>
    public string Sha256 { get; }

    /// <summary>Frames the agent had trained on when the checkpoint was written.</summary>
    public long Frames { get; }

    /// <summary>The id of the run that wrote the checkpoint (null for checkpoints older than run ids).</summary>
    public string? RunId { get; }

    /// <summary>The recurrent state carried to the next <see cref="Act"/>, [StateSize] (a copy; layout documented by the core).</summary>
    public float[] State => state.data<float>().ToArray();

    /// <summary>Starts a new episode: the recurrent state becomes zeros, as in training.</summary>
    public void BeginEpisode()
    {
        state.Dispose();
        state = network.InitialState(1);
    }

    /// <summary>
    /// One step: the network reads <paramref name="observation"/> (the image and T) and the state of this episode, the
    /// state advances, and an action is drawn from the policy (as in training and <c>gridtime eval</c>), or the most probable
    /// one when <paramref name="greedy"/>.
    /// </summary>
    public AgentDecision Act(Observation observation, bool greedy = false)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor image = ObservationTensors.Frames(observation.Image.PlaneBytes.Span);
        Tensor instruction = ObservationTensors.Instructions([observation.Instruction]);
        using AgentOutput output = network.Step(image, instruction, state);
        Tensor probabilities = output.Logits.softmax(1);
        long action = greedy ? probabilities.argmax(1).item<long>() : probabilities.multinomial(1, generator: generator).item<long>();
        state.Dispose();
        state = output.State.detach().clone().MoveToOuterDisposeScope();
        return new AgentDecision((int)action, probabilities.data<float>().ToArray(), output.Values.item<float>());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        state.Dispose();
        generator.Dispose();
        network.Dispose();
    }
}
