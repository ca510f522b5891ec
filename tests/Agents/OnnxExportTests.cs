using GridTime.Agents;
using GridTime.Agents.Onnx;
using GridTime.Environment;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>
/// The exported graph, run by ONNX Runtime, against GridTime's own network (<see cref="ActorCritic.Step"/>) over whole
/// episodes with resets, for every agent: each carries its own state from its own outputs, so an error anywhere in a
/// core's step (a gate order, a slice of the state) grows over the episode instead of hiding in one step.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cores => new(CoreKinds.All.Select(k => k.Name()));

    private const int Environments = 4;
    private const int Steps = 80;

    /// <summary>
    /// The NALU's multiplicative path exp(Σ log(|x_j| + ε)·W_j) sums 257 terms of size up to |log ε| ≈ 16 and exponentiates
    /// the sum: a float32 rounding of 1e-6 in it (libtorch's and ONNX Runtime's products add in different orders) is a
    /// relative 1e-6 of an m that reaches thousands. Measured here: 1.35e-2 on the logits, 5.4e-3 on the value (both
    /// agree to 1.5e-7 at the first step, where h = 0). The export is the same formula; the product is ill-conditioned:
    /// on this network's first four steps the NALU's float32 output (|y| up to 4.8e3) differs from the same computation
    /// in float64 by 3e-3 to 1.1e-2, so GridTime's own network is no closer to the exact step than the export is.
    /// </summary>
    private const float NaluBound = 0.03f;

    /// <summary>
    /// A network whose outputs depend visibly on every part: the policy head redrawn with rows of norm 1 (at its
    /// initial norm 0.01 the logits would agree to 1e-4 even if the core were wrong), and nonzero LSTM/GRU biases.
    /// </summary>
    internal static ActorCritic Network(CoreKind core, ArithmeticInput input = ArithmeticInput.InstructionAndState, int timeLeftCap = 12, double naluEpsilon = 1e-7, TimeLeftReadout readout = TimeLeftReadout.Nau)
    {
        var network = new ActorCritic(new AgentOptions { Core = core, Seed = 11, ArithmeticInput = input, TimeLeftCap = timeLeftCap, NaluEpsilon = naluEpsilon, TimeLeftReadout = readout });
        using var noGrad = no_grad();
        var generator = new Generator(7);
        Tensor policy = network.Heads.Policy.weight!;
        policy.copy_(randn(policy.shape, generator: generator));
        policy.div_(policy.pow(2).sum(1, keepdim: true).sqrt());
        foreach ((string name, TorchSharp.Modules.Parameter parameter) in network.Core.named_parameters())
        {
            if (name.Contains("bias", StringComparison.Ordinal))
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.1);
            }
        }

        return network;
    }

    [Theory]
    [MemberData(nameof(Cores))]
    public void TheExportedStepAgreesWithTheNetworkOverWholeEpisodes(string name)
    {
        CoreKind core = CoreKinds.Parse(name);
        using ActorCritic network = Network(core);
        byte[] model = OnnxAgent.Export(network, "test", new Dictionary<string, string>());
        using var session = new InferenceSession(model);
        (float logits, float values, int episodes) = Compare(network, session);
        output.WriteLine($"{name}: {Environments} environments x {Steps} steps, {episodes} episodes ended: max |logits diff| {logits:E2}, max |value diff| {values:E2}");
        Assert.True(episodes >= Environments, $"only {episodes} episodes ended: the resets were not exercised");
        float bound = core == CoreKind.Nalu ? NaluBound : 1e-4f;
        Assert.True(logits <= bound, $"logits differ by {logits}");
        Assert.True(values <= bound, $"values differ by {values}");
    }

    [Fact]
    public void AWellConditionedNaluAgreesToTheSameBoundAsTheOthers()
    {
        // ε = 0.5 keeps log(|x| + ε) away from the cliff at 0 (as RolloutPassTests does): then float32 rounding no
        // longer decides the result, and the exported NALU must agree to 1e-4 like every other core.
        using ActorCritic network = Network(CoreKind.Nalu, naluEpsilon: 0.5);
        using var session = new InferenceSession(OnnxAgent.Export(network, "test", new Dictionary<string, string>()));
        (float logits, float values, int episodes) = Compare(network, session);
        output.WriteLine($"nalu, epsilon 0.5: {episodes} episodes ended: max |logits diff| {logits:E2}, max |value diff| {values:E2}");
        Assert.True(logits <= 1e-4f && values <= 1e-4f, $"logits differ by {logits}, values by {values}");
    }

    [Fact]
    public void ANacReadingTAloneExportsToo()
    {
        using ActorCritic network = Network(CoreKind.Nac, ArithmeticInput.Instruction);
        using var session = new InferenceSession(OnnxAgent.Export(network, "test", new Dictionary<string, string>()));
        (float logits, float values, _) = Compare(network, session);
        Assert.True(logits <= 1e-4f && values <= 1e-4f, $"logits differ by {logits}, values by {values}");
    }

    [Theory]
    [InlineData(TimeLeftReadout.Nau)]
    [InlineData(TimeLeftReadout.Difference)]
    public void TheTimersCapIsInTheGraph(TimeLeftReadout readout)
    {
        // Exact NAUs (r = T − t) and a cap of 6: the test's T 5..12 reach past it, so the Min node is exercised.
        using ActorCritic network = Network(CoreKind.Timer, timeLeftCap: 6, readout: readout);
        var timer = (GridTime.Agents.Cores.TimerCore)network.Core;
        using (no_grad())
        {
            timer.StepNau.Weight.fill_(1f);
            timer.ReadNau?.Weight.copy_(tensor(new[] { 1f, -1f }).view(2, 1));
        }

        using var session = new InferenceSession(OnnxAgent.Export(network, "test", new Dictionary<string, string>()));
        (float logits, float values, _) = Compare(network, session);
        Assert.True(logits <= 1e-4f && values <= 1e-4f, $"logits differ by {logits}, values by {values}");
    }

    [Fact]
    public void TheModelDeclaresItsInputsOutputsAndStateSize()
    {
        using ActorCritic network = Network(CoreKind.Counter);
        using var session = new InferenceSession(OnnxAgent.Export(network, "test", new Dictionary<string, string> { ["run"] = "r" }));
        Assert.Equal([OnnxAgent.Observation, OnnxAgent.Instruction, OnnxAgent.State], session.InputNames);
        Assert.Equal([OnnxAgent.Logits, OnnxAgent.Value, OnnxAgent.NextState], session.OutputNames);
        Assert.Equal(TensorElementType.UInt8, session.InputMetadata[OnnxAgent.Observation].ElementDataType);
        Assert.Equal([-1, 3, 56, 56], session.InputMetadata[OnnxAgent.Observation].Dimensions);
        Assert.Equal([-1, 256 + 256 + 8], session.InputMetadata[OnnxAgent.State].Dimensions);
        Dictionary<string, string> metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("520", metadata[OnnxAgent.StateSizeKey]);
        Assert.Equal("counter", metadata[OnnxAgent.AgentKey]);
        Assert.Equal("r", metadata["run"]);
    }

    /// <summary>Plays <see cref="Steps"/> steps of <see cref="Environments"/> worlds, acting on the network's own samples; gives the largest differences and how many episodes ended.</summary>
    internal static (float Logits, float Values, int Episodes) Compare(ActorCritic network, InferenceSession session)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var worlds = new VectorGridWorld(GridWorldOptions.Default, Environments);
        worlds.Reset(3);
        var generator = new Generator(5);
        Tensor state = network.InitialState(Environments);
        var onnxState = new float[Environments * network.StateSize];
        float logitsDiff = 0, valuesDiff = 0;
        int episodes = 0;
        for (int t = 0; t < Steps; t++)
        {
            using var stepScope = NewDisposeScope();
            Tensor observations = worlds.ObservationByteTensor(), instructions = worlds.InstructionTensor();
            AgentOutput expected = network.Step(observations, instructions, state);
            (float[] logits, float[] values, float[] next) = Run(session, observations, instructions, onnxState, network.StateSize);
            logitsDiff = Math.Max(logitsDiff, MaxDifference(expected.Logits, logits));
            valuesDiff = Math.Max(valuesDiff, MaxDifference(expected.Values, values));

            int[] actions = [.. expected.Logits.softmax(1).multinomial(1, generator: generator).view(-1).data<long>().Select(a => (int)a)];
            worlds.Step(actions);
            Tensor keep = ones(Environments, 1);
            foreach (FinishedEpisode finished in worlds.Finished)
            {
                keep[finished.EnvironmentIndex, 0] = 0f;
                Array.Clear(next, finished.EnvironmentIndex * network.StateSize, network.StateSize);
                episodes++;
            }

            state = (expected.State * keep).MoveToOuterDisposeScope();
            onnxState = next;
        }

        return (logitsDiff, valuesDiff, episodes);
    }

    private static (float[] Logits, float[] Values, float[] Next) Run(InferenceSession session, Tensor observations, Tensor instructions, float[] state, int stateSize)
    {
        int batch = (int)observations.shape[0];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor(OnnxAgent.Observation, new DenseTensor<byte>(observations.data<byte>().ToArray(), [batch, 3, 56, 56])),
            NamedOnnxValue.CreateFromTensor(OnnxAgent.Instruction, new DenseTensor<float>(instructions.data<float>().ToArray(), [batch])),
            NamedOnnxValue.CreateFromTensor(OnnxAgent.State, new DenseTensor<float>(state, [batch, stateSize])),
        };
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        float[] Output(string name) => [.. results.Single(r => r.Name == name).AsEnumerable<float>()];
        return (Output(OnnxAgent.Logits), Output(OnnxAgent.Value), Output(OnnxAgent.NextState));
    }

    private static float MaxDifference(Tensor expected, float[] actual)
    {
        float[] values = expected.contiguous().data<float>().ToArray();
        Assert.Equal(values.Length, actual.Length);
        return values.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
    }
}
