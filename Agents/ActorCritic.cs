using GridTime.Agents.Cores;
using GridTime.Agents.Kernels;
using GridTime.Agents.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents;

/// <summary>What the network gives for a rollout of N steps of B environments.</summary>
/// <param name="Logits">Policy logits over the 5 actions, [N, B, 5].</param>
/// <param name="Values">State-value estimates, [N, B].</param>
/// <param name="State">The recurrent state after the last step, [B, StateSize].</param>
/// <param name="Hidden">What the heads read, the core's output [B, OutputSize] (set by <see cref="ActorCritic.Step"/>; null from a rollout).</param>
public sealed record AgentOutput(Tensor Logits, Tensor Values, Tensor State, Tensor? Hidden = null) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Logits.Dispose();
        Values.Dispose();
        State.Dispose();
        Hidden?.Dispose();
    }
}

/// <summary>
/// The actor-critic agent: <see cref="ConvEncoder"/> → a <see cref="RecurrentCore"/> that also reads the
/// instruction T (its raw integer value, never normalised: the experiment is about its magnitude) →
/// a policy head (logits over the 5 actions) and a value head. The recurrent state is explicit: passed
/// in, returned, and reset per environment.
/// <para>
/// Initialisation: TorchSharp defaults for the encoder and LSTM weights, LSTM biases 0; heads with
/// normal rows scaled to norm 0.01 (policy: near-uniform first actions) and 1.0 (value), biases 0.
/// All of it flows from <see cref="AgentOptions.Seed"/>.
/// </para>
/// </summary>
public sealed class ActorCritic : nn.Module
{
    private readonly ConvEncoder encoder;
    private readonly RecurrentCore core;
    private readonly Linear policy;
    private readonly Linear value;

    /// <summary>A freshly initialised network of shape <paramref name="options"/>.</summary>
    public ActorCritic(AgentOptions options) : base("actor_critic")
    {
        Options = options.Validate();

        (encoder, core, policy, value) = SeededConstruction.Build(options.Seed, () => Build(options));
        RegisterComponents();
    }

    private static (ConvEncoder, RecurrentCore, Linear, Linear) Build(AgentOptions options)
    {
        var encoder = new ConvEncoder(options.Hidden);
        RecurrentCore core = CoreTable.Of(options.Core).Build(options);
        Linear policy = nn.Linear(core.OutputSize, Actions);
        Linear value = nn.Linear(core.OutputSize, 1);
        using (no_grad())
        {
            NormalisedRows(policy.weight!, 0.01);
            NormalisedRows(value.weight!, 1.0);
            policy.bias!.zero_();
            value.bias!.zero_();
        }

        return (encoder, core, policy, value);
    }

    /// <summary>Number of actions (width of the policy head).</summary>
    public const int Actions = 5;

    /// <summary>The shape this network was built with.</summary>
    public AgentOptions Options { get; }

    /// <summary>Width of the recurrent state tensor.</summary>
    public int StateSize => core.StateSize;

    /// <summary>The encoder, for tools that inspect it.</summary>
    public ConvEncoder Encoder => encoder;

    /// <summary>The recurrent core, for tools that inspect it.</summary>
    public RecurrentCore Core => core;

    /// <summary>The policy and value heads, for kernels that run the network without autograd (<see cref="FastRolloutPass"/>).</summary>
    internal (Linear Policy, Linear Value) Heads => (policy, value);

    /// <summary>
    /// Multiply-adds of one forward pass for one frame, counted from the layer shapes (convolutions,
    /// linear layers, the core's products (<see cref="RecurrentCore.MultiplyAddsPerStep"/>), the heads); elementwise work is
    /// left out. FLOPs are twice this; a training frame (forward and backward) is counted as three forwards.
    /// </summary>
    public long MultiplyAddsPerFrame()
    {
        long heads = (long)core.OutputSize * (Actions + 1);
        return EncoderMultiplyAddsPerFrame() + core.MultiplyAddsPerStep(encoder.Features) + heads;
    }

    /// <summary>
    /// Of <see cref="MultiplyAddsPerFrame"/>, those that depend on the image alone: the encoder's and the core's
    /// product with the encoder's features (<see cref="RecurrentCore.FeatureMultiplyAddsPerStep"/>). The fast rollout
    /// pass performs these once per distinct image of a rollout (<see cref="Kernels.FastRolloutPass"/>).
    /// </summary>
    public long ImageMultiplyAddsPerFrame() => EncoderMultiplyAddsPerFrame() + core.FeatureMultiplyAddsPerStep(encoder.Features);

    /// <summary>Of <see cref="MultiplyAddsPerFrame"/>, the encoder's: its two convolutions and its linear layer.</summary>
    public long EncoderMultiplyAddsPerFrame()
    {
        long conv1 = ConvEncoder.Conv1MultiplyAdds;
        long conv2 = (long)ConvEncoder.Conv2Side * ConvEncoder.Conv2Side * 32 * 16 * 4 * 4;
        long fc = 32L * ConvEncoder.Conv2Side * ConvEncoder.Conv2Side * Options.Hidden;
        return conv1 + conv2 + fc;
    }

    /// <summary>
    /// For each of <see cref="nn.Module.parameters"/>, in that order: whether it belongs to a NAC or NALU
    /// (an arithmetic unit), whose learning rate a trainer may want to set apart.
    /// </summary>
    public bool[] ArithmeticParameterMask() => ParameterMask(module => module is Nac or Nalu or Nau);

    /// <summary>Per parameter (in <c>parameters()</c> order), whether it belongs to a NAU (the weights whose learning rate --nau-learning-rate-decay decays).</summary>
    public bool[] AdditionUnitParameterMask() => ParameterMask(module => module is Nau);

    // Per parameter, whether it belongs to a module that passes the test.
    private bool[] ParameterMask(Func<nn.Module, bool> test)
    {
        string[] units = [.. named_modules().Where(m => test(m.module)).Select(m => m.name + ".")];
        return [.. named_parameters().Select(p => units.Any(unit => p.name.StartsWith(unit, StringComparison.Ordinal)))];
    }

    /// <summary>The state at the start of an episode: zeros [B, StateSize].</summary>
    public Tensor InitialState(long batch) => zeros(batch, StateSize);

    /// <summary>
    /// Evaluates a rollout in one call. The encoder runs once over all N·B frames; the core steps through
    /// time. Where <paramref name="episodeStarts"/>[i, b] is 1, environment b's state is zeroed before
    /// step i (a new episode began there).
    /// </summary>
    /// <param name="observations">[N, B, 3, 56, 56] in [0, 1].</param>
    /// <param name="instructions">[N, B] raw T values.</param>
    /// <param name="state">[B, StateSize] before the first step.</param>
    /// <param name="episodeStarts">[N, B] of 0 and 1, or null when no episode starts inside the rollout.</param>
    public AgentOutput Rollout(Tensor observations, Tensor instructions, Tensor state, Tensor? episodeStarts = null)
    {
        using var scope = NewDisposeScope();
        long steps = observations.shape[0], batch = observations.shape[1];
        Tensor features = encoder.call(observations.reshape(steps * batch, 3, 56, 56)).view(steps, batch, -1);
        Tensor? keep = episodeStarts is null ? null : episodeStarts.SubtractedFrom(1).unsqueeze(2);
        var outputs = new Tensor[steps];
        for (long i = 0; i < steps; i++)
        {
            if (keep is not null)
            {
                state = state * keep[i];
            }

            (outputs[i], state) = core.Step(features[i], instructions[i].unsqueeze(1), state);
        }

        Tensor hidden = ForHeads(stack(outputs, 0).view(steps * batch, -1));
        Tensor logits = policy.call(hidden).view(steps, batch, Actions);
        Tensor values = value.call(hidden).view(steps, batch);
        return new AgentOutput(logits.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope(), state.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// One step for B environments: observations [B, 3, 56, 56], instructions [B], state [B, S]; gives logits
    /// [B, 5], values [B] and the next state. The same computation as a one-step <see cref="Rollout"/>, written
    /// out without the rollout's reshaping: a worker calls this at every step, and each tensor operation (and
    /// its autograd node) costs microseconds of overhead whatever its size.
    /// </summary>
    public AgentOutput Step(Tensor observations, Tensor instructions, Tensor state)
    {
        using var scope = NewDisposeScope();
        return CoreAndHeads(encoder.call(observations), instructions, state);
    }

    /// <summary>The encoder alone: observations [B, 3, 56, 56] (uint8 or float32 in [0, 1]) to features [B, H].</summary>
    public Tensor Encode(Tensor observations) => encoder.call(observations);

    /// <summary>
    /// <see cref="Step"/> from the encoder's features [B, H] (<see cref="Encode"/>) instead of the observations: the
    /// encoder is a function of the frame alone, so a caller that sees the same frame again may reuse its features.
    /// </summary>
    public AgentOutput StepFromFeatures(Tensor features, Tensor instructions, Tensor state)
    {
        using var scope = NewDisposeScope();
        return CoreAndHeads(features, instructions, state);
    }

    // The core's step and the heads, inside the caller's dispose scope; the outputs move to the scope outside it.
    private AgentOutput CoreAndHeads(Tensor features, Tensor instructions, Tensor state)
    {
        (Tensor hidden, Tensor next) = core.Step(features, instructions.unsqueeze(1), state);
        (Tensor logits, Tensor values) = FastHeads.Apply(ForHeads(hidden), policy, value);
        return new AgentOutput(logits.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope(), hidden.MoveToOuterDisposeScope());
    }

    // The core's output as the heads read it: the columns they do not train detached (RecurrentCore.OutputsTrainedByHeads).
    private Tensor ForHeads(Tensor output)
    {
        int trained = core.OutputsTrainedByHeads;
        return trained == core.OutputSize ? output : cat([output.narrow(1, 0, trained), output.narrow(1, trained, core.OutputSize - trained).detach()], 1);
    }

    private static void NormalisedRows(Tensor weight, double norm)
    {
        weight.normal_();
        using Tensor length = weight.Power(2).sum(1, keepdim: true).sqrt();
        using Tensor factor = length.reciprocal().Times(norm);
        weight.mul_(factor);
    }
}
