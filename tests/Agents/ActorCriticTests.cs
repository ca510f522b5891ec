using GridTime.Agents;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

public sealed class ActorCriticTests
{
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(-1e-7, false)]
    [InlineData(double.NaN, false)]
    [InlineData(double.PositiveInfinity, false)]
    [InlineData(1e-39, false)] // a denormal float: 0 where denormals are flushed
    [InlineData(1e-50, false)] // 0 as a float anywhere
    [InlineData(1e39, false)] // above float's largest
    [InlineData(AgentOptions.SmallestNormalFloat, true)]
    [InlineData(1e-7, true)]
    [InlineData(0.5, true)]
    [InlineData(3.4028234663852886e38, true)] // float's largest
    public void TheNalusEpsilonIsANormalFloat(double epsilon, bool valid)
    {
        var problems = new AgentOptions { Core = CoreKind.Nalu, NaluEpsilon = epsilon }.Problems();
        if (valid)
        {
            Assert.Empty(problems);
        }
        else
        {
            (string property, string message) = Assert.Single(problems);
            Assert.Equal(nameof(AgentOptions.NaluEpsilon), property);
            Assert.StartsWith("the NALU epsilon must be a normal float, from 1.1754943508222875E-38 to 3.4028235E+38, got ", message);
        }
    }

    public static TheoryData<string> Cores => new(CoreKinds.All.Select(k => k.Name()));

    private static ActorCritic Network(string core, ulong seed = 5) =>
        new(new AgentOptions { Core = CoreKinds.Parse(core), Hidden = 32, Seed = seed });

    private static (Tensor Observations, Tensor Instructions) RandomRollout(int steps, int batch, long seed)
    {
        var generator = new Generator((ulong)seed);
        Tensor observations = rand([steps, batch, 3, 56, 56], generator: generator).round();
        Tensor instructions = randint(1, 30, [steps, batch], generator: generator).to_type(ScalarType.Float32);
        return (observations, instructions);
    }

    [Theory]
    [MemberData(nameof(Cores))]
    public void ARolloutHasTheDocumentedShapes(string core)
    {
        using var scope = NewDisposeScope();
        ActorCritic network = Network(core);
        (Tensor observations, Tensor instructions) = RandomRollout(7, 3, 1);
        AgentOutput output = network.Rollout(observations, instructions, network.InitialState(3));
        Assert.Equal([7L, 3, 5], output.Logits.shape);
        Assert.Equal([7L, 3], output.Values.shape);
        Assert.Equal([3L, network.StateSize], output.State.shape);
        // Hidden 32: h and c for an LSTM (64), plus the counter's 8 accumulators; h alone for the GRU; the timer's one count.
        Assert.Equal(core switch { "gru" => 32, "timer" => 1, _ => 64 + (core.StartsWith("counter", StringComparison.Ordinal) ? 8 : 0) }, network.StateSize);
    }

    [Theory]
    [MemberData(nameof(Cores))]
    public void StepByStepEqualsTheWholeRolloutWithResets(string core)
    {
        using var scope = NewDisposeScope();
        ActorCritic network = Network(core);
        (Tensor observations, Tensor instructions) = RandomRollout(6, 4, 2);
        Tensor starts = zeros(6, 4);
        starts[2, 1] = tensor(1f);
        starts[4, 3] = tensor(1f);
        starts[4, 0] = tensor(1f);
        Tensor state = network.InitialState(4);
        using var noGrad = no_grad();
        AgentOutput whole = network.Rollout(observations, instructions, state, starts);

        for (int i = 0; i < 6; i++)
        {
            state = state * (1 - starts[i]).unsqueeze(1);
            AgentOutput step = network.Step(observations[i], instructions[i], state);
            Assert.True(step.Logits.allclose(whole.Logits[i], rtol: 1e-4, atol: 1e-5), $"logits differ at step {i}");
            Assert.True(step.Values.allclose(whole.Values[i], rtol: 1e-4, atol: 1e-5), $"values differ at step {i}");
            state = step.State;
        }

        Assert.True(state.allclose(whole.State, rtol: 1e-4, atol: 1e-5));
    }

    [Theory]
    [MemberData(nameof(Cores))]
    public void AResetEnvironmentForgetsItsPastAndTheOthersDoNot(string core)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ActorCritic network = Network(core);
        (Tensor observations, Tensor instructions) = RandomRollout(5, 2, 3);
        // Both environments see the same last frame and T; environment 0 starts an episode there.
        observations[4, 1] = observations[4, 0];
        instructions[4, 1] = instructions[4, 0];
        Tensor starts = zeros(5, 2);
        starts[4, 0] = tensor(1f);
        AgentOutput output = network.Rollout(observations, instructions, network.InitialState(2), starts);

        AgentOutput fresh = network.Step(observations[4, 0].unsqueeze(0), instructions[4, 0].unsqueeze(0), network.InitialState(1));
        Assert.True(output.Logits[4, 0].allclose(fresh.Logits[0], rtol: 1e-4, atol: 1e-5));
        Assert.False(output.Logits[4, 1].allclose(fresh.Logits[0], rtol: 1e-4, atol: 1e-5));
    }

    [Theory]
    [MemberData(nameof(Cores))]
    public void ASavedNetworkLoadsWithTheSameOutputs(string core)
    {
        using var scope = NewDisposeScope();
        ActorCritic network = Network(core);
        using var file = new MemoryStream();
        AgentFile.Save(network, file);
        file.Position = 0;
        ActorCritic loaded = AgentFile.Load(file);
        Assert.Equal(network.Options, loaded.Options);
        (Tensor observations, Tensor instructions) = RandomRollout(4, 2, 4);
        using var noGrad = no_grad();
        AgentOutput a = network.Rollout(observations, instructions, network.InitialState(2));
        AgentOutput b = loaded.Rollout(observations, instructions, loaded.InitialState(2));
        Assert.True(a.Logits.allclose(b.Logits, rtol: 0, atol: 0));
        Assert.True(a.Values.allclose(b.Values, rtol: 0, atol: 0));
    }

    [Fact]
    public void TheEncoderReadsFramesOfTheWorldsSize()
    {
        Assert.Equal(GridTime.Environment.FrameRenderer.FrameLength, ConvEncoder.InputLength);
        Assert.Equal(GridTime.Environment.FrameRenderer.ImageSize, ConvEncoder.InputSide);
        Assert.Equal(GridTime.Environment.FrameRenderer.Channels, ConvEncoder.InputChannels);
    }

    [Fact]
    public void ByteAndFloatObservationsGiveTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        ActorCritic network = Network("nac");
        var vector = new GridTime.Environment.VectorGridWorld(new GridTime.Environment.GridWorldOptions(), 3);
        vector.Reset(2);
        using var noGrad = no_grad();
        AgentOutput fromFloats = network.Step(vector.ObservationTensor(), vector.InstructionTensor(), network.InitialState(3));
        AgentOutput fromBytes = network.Step(vector.ObservationByteTensor(), vector.InstructionTensor(), network.InitialState(3));
        Assert.True(fromBytes.Logits.allclose(fromFloats.Logits, rtol: 1e-5, atol: 1e-6));
        Assert.True(fromBytes.Values.allclose(fromFloats.Values, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void TheSameSeedGivesTheSameNetworkAndAnotherSeedDoesNot()
    {
        using var scope = NewDisposeScope();
        Tensor[] a = [.. Network("nac", 9).parameters()];
        Tensor[] b = [.. Network("nac", 9).parameters()];
        Tensor[] c = [.. Network("nac", 10).parameters()];
        Assert.All(a.Zip(b), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0)));
        Assert.False(a[0].allclose(c[0]));
    }

    [Fact]
    public void DamagedOrForeignFilesAreRejectedWithAReason()
    {
        using var foreign = new MemoryStream("not a network at all"u8.ToArray());
        Assert.Contains("not a GridTime agent file", Assert.Throws<InvalidDataException>(() => AgentFile.Load(foreign)).Message);

        using var whole = new MemoryStream();
        AgentFile.Save(Network("baseline"), whole);
        using var truncated = new MemoryStream(whole.ToArray()[..(int)(whole.Length / 2)]);
        Assert.Contains("damaged or truncated", Assert.Throws<InvalidDataException>(() => AgentFile.Load(truncated)).Message);
        Assert.Throws<ArgumentException>(() => CoreKinds.Parse("lstm"));
    }
}
