using GridTime.Agents;
using GridTime.Agents.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Tests.Agents;

/// <summary>
/// The rollout pass without autograd (<see cref="FastRolloutPass"/>) gives the outputs and parameter gradients
/// of the network run through libtorch's own layers and autograd (<see cref="AutogradRolloutPass"/> with
/// GridTime's kernels turned off), across episode ends inside a rollout and the state carried between rollouts.
/// </summary>
[Collection(KernelSwitchCollection.Name)]
public sealed class RolloutPassTests
{
    private const ArithmeticInput WithState = ArithmeticInput.InstructionAndState;

    public static TheoryData<CoreKind, int, ArithmeticInput> Networks => new()
    {
        { CoreKind.Nac, 3, WithState }, { CoreKind.Baseline, 5, WithState }, { CoreKind.Nac, 32, WithState }, { CoreKind.Nalu, 3, WithState },
        { CoreKind.Counter, 3, WithState }, { CoreKind.CounterLstmOnly, 4, WithState }, { CoreKind.CounterHeadsOnly, 2, WithState },
        { CoreKind.CounterWithT, 3, WithState }, { CoreKind.Gru, 3, WithState },
        { CoreKind.Nac, 3, ArithmeticInput.Instruction }, { CoreKind.Nalu, 4, ArithmeticInput.Instruction },
    };

    [TheoryNeedingAvx512] // nothing to compare on a processor without AVX-512
    [MemberData(nameof(Networks))]
    public void TheFastPassGivesLibtorchsOutputsAndGradients(CoreKind core, int batch, ArithmeticInput input)
    {
        using var scope = NewDisposeScope();
        // The NALU's log path makes its output explode where its input is near 0, as h is at an episode's start
        // (log(0 + 1e-7)·W sums to tens): two float computations of it then part by far more than rounding. A larger
        // ε keeps it well-conditioned; ArithmeticUnitKernelTests checks the NALU at the default ε with chosen inputs.
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, NaluEpsilon = core == CoreKind.Nalu ? 0.5 : 1e-7, ArithmeticInput = input });
        Parameter[] parameters = [.. network.parameters()];
        using RolloutPass fast = RolloutPass.For(network, batch, 4);
        Assert.IsType<FastRolloutPass>(fast);
        RolloutResult[] expected, actual;
        actual = [Run(fast, parameters, batch, steps: 4, seed: 1), Run(fast, parameters, batch, steps: 3, seed: 2)];
        FastLinear.Disabled = true;
        try
        {
            using var reference = new AutogradRolloutPass(network, batch);
            expected = [Run(reference, parameters, batch, steps: 4, seed: 1), Run(reference, parameters, batch, steps: 3, seed: 2)];
        }
        finally
        {
            FastLinear.Disabled = false;
        }

        for (int rollout = 0; rollout < 2; rollout++)
        {
            TensorAssert.Close(expected[rollout].Logits, actual[rollout].Logits, $"rollout {rollout}: logits");
            TensorAssert.Close(expected[rollout].Values, actual[rollout].Values, $"rollout {rollout}: values");
            TensorAssert.Close(expected[rollout].Bootstrap, actual[rollout].Bootstrap, $"rollout {rollout}: bootstrap values");
            TensorAssert.Close(expected[rollout].Outputs, actual[rollout].Outputs, $"rollout {rollout}: core outputs");
            string[] names = [.. network.named_parameters().Select(p => p.name)];
            for (int i = 0; i < names.Length; i++)
            {
                TensorAssert.Close(expected[rollout].Gradients[i], actual[rollout].Gradients[i], $"rollout {rollout}: gradient of {names[i]}");
            }
        }
    }

    [Fact]
    public void WithTheKernelsTurnedOffEveryNetworkGoesThroughAutograd()
    {
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Counter });
        FastLinear.Disabled = true;
        try
        {
            using RolloutPass pass = RolloutPass.For(network, 2, 3);
            Assert.IsType<AutogradRolloutPass>(pass);
        }
        finally
        {
            FastLinear.Disabled = false;
        }
    }

    private static Tensor Gradient(Parameter parameter)
    {
        using Tensor? gradient = parameter.grad;
        return gradient?.clone() ?? zeros_like(parameter);
    }

    private sealed record RolloutResult(Tensor Logits, Tensor Values, Tensor Bootstrap, Tensor Outputs, Tensor[] Gradients);

    /// <summary>
    /// A rollout of random frames in which environment 0's episode ends after step 1 and environment 1's after the
    /// last step (so the next rollout starts it from zero), then the backward pass from random output gradients.
    /// </summary>
    private static RolloutResult Run(RolloutPass pass, Parameter[] parameters, int batch, int steps, int seed)
    {
        var generator = new Generator((ulong)seed);
        var logits = new float[steps * batch * ActorCritic.Actions];
        var values = new float[steps * batch];
        int width = pass.OutputSize;
        var outputs = new float[steps * batch * width];
        for (int i = 0; i < steps; i++)
        {
            Tensor observations = randint(0, 256, [batch, 3, 56, 56], generator: generator).to_type(ScalarType.Byte);
            Tensor instructions = randint(5, 13, [batch], generator: generator).to_type(ScalarType.Float32);
            pass.Step(observations, instructions, logits.AsSpan(i * batch * ActorCritic.Actions, batch * ActorCritic.Actions), values.AsSpan(i * batch, batch), outputs.AsSpan(i * batch * width, batch * width));
            float[] keep = [.. Enumerable.Range(0, batch).Select(b => (b == 0 && i == 1) || (b == 1 && i == steps - 1) ? 0f : 1f)];
            pass.EndEpisodes(keep);
        }

        var bootstrap = new float[batch];
        pass.Values(
            randint(0, 256, [batch, 3, 56, 56], generator: generator).to_type(ScalarType.Byte),
            randint(5, 13, [batch], generator: generator).to_type(ScalarType.Float32),
            bootstrap);
        float[] logitGradients = randn([logits.Length], generator: generator).data<float>().ToArray();
        float[] valueGradients = randn([values.Length], generator: generator).data<float>().ToArray();
        // The second rollout adds an auxiliary loss on the core's outputs (as a head predicting the time left would).
        float[] outputGradients = seed == 2 ? randn([outputs.Length], generator: generator).data<float>().ToArray() : [];
        pass.Network.zero_grad();
        pass.Backward(logitGradients, valueGradients, outputGradients);
        Tensor[] gradients = [.. parameters.Select(Gradient)];
        return new RolloutResult(tensor(logits), tensor(values), tensor(bootstrap), tensor(outputs), gradients);
    }
}
