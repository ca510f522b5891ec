using GridTime.Agents;
using GridTime.Agents.Cores;
using GridTime.Agents.Kernels;
using GridTime.Agents.Layers;
using GridTime.Environment;
using GridTime.Training.A3C;
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

    public static TheoryData<SimdWidth, CoreKind, int, ArithmeticInput> Networks => SimdWidths.Times(new TheoryData<CoreKind, int, ArithmeticInput>
    {
        { CoreKind.Nac, 3, WithState }, { CoreKind.Baseline, 5, WithState }, { CoreKind.Nac, 32, WithState }, { CoreKind.Nalu, 3, WithState },
        { CoreKind.Counter, 3, WithState }, { CoreKind.CounterLstmOnly, 4, WithState }, { CoreKind.CounterHeadsOnly, 2, WithState },
        { CoreKind.CounterWithT, 3, WithState }, { CoreKind.Gru, 3, WithState }, { CoreKind.Timer, 3, WithState },
        { CoreKind.Nac, 3, ArithmeticInput.Instruction }, { CoreKind.Nalu, 4, ArithmeticInput.Instruction },
    });

    public static TheoryData<SimdWidth, TimeLeftGradient> TimeLeftGradients =>
        SimdWidths.Times(new TheoryData<TimeLeftGradient> { TimeLeftGradient.All, TimeLeftGradient.TimeLeftLoss });

    public static TheoryData<SimdWidth, TimeLeftGradient, TimeLeftReadout> TimerVariants =>
        SimdWidths.Times(new TheoryData<TimeLeftGradient, TimeLeftReadout>
        {
            { TimeLeftGradient.All, TimeLeftReadout.Nau }, { TimeLeftGradient.TimeLeftLoss, TimeLeftReadout.Nau },
            { TimeLeftGradient.All, TimeLeftReadout.Difference }, { TimeLeftGradient.TimeLeftLoss, TimeLeftReadout.Difference },
        });

    public static TheoryData<SimdWidth> Widths => SimdWidths.Each;

    [Theory]
    [MemberData(nameof(Networks))]
    public void TheFastPassGivesLibtorchsOutputsAndGradients(SimdWidth width, CoreKind core, int batch, ArithmeticInput input)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        // The NALU's log path makes its output explode where its input is near 0, as h is at an episode's start
        // (log(0 + 1e-7)·W sums to tens): two float computations of it then part by far more than rounding. A larger
        // ε keeps it well-conditioned; ArithmeticUnitKernelTests checks the NALU at the default ε with chosen inputs.
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, NaluEpsilon = core == CoreKind.Nalu ? 0.5 : 1e-7, ArithmeticInput = input });
        (RolloutResult[] expected, RolloutResult[] actual) = FastAndReference(network, batch, new Rollout());
        AssertClose(network, expected, actual);
    }

    /// <summary>
    /// Without its savings (every frame encoded, the first convolution over every input: what bench --full-work measures)
    /// the fast pass still gives libtorch's outputs and gradients, for every core at every width.
    /// </summary>
    [Theory]
    [MemberData(nameof(FlushedNetworks))]
    public void WithFullWorkTheFastPassGivesLibtorchsOutputsAndGradients(SimdWidth width, CoreKind core)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, NaluEpsilon = core == CoreKind.Nalu ? 0.5 : 1e-7 });
        (RolloutResult[] expected, RolloutResult[] actual) = FastAndReference(network, 3, new Rollout(), fullWork: true);
        AssertClose(network, expected, actual);
    }

    public static TheoryData<SimdWidth, CoreKind> FlushedNetworks => SimdWidths.Times(new TheoryData<CoreKind>
    {
        CoreKind.Nac, CoreKind.Nalu, CoreKind.Counter, CoreKind.Gru, CoreKind.Timer,
    });

    /// <summary>
    /// Training's workers flush denormal floats to zero (Denormals): a denormal then reads as 0 in every comparison and
    /// every product, and the JIT writes a denormal constant as 0 into code it compiles on such a thread. Both passes run
    /// here on a flushing thread of their own, every kernel as training runs it (the NALU at ε = 0.5, well-conditioned, as
    /// above). The values here are far from the denormal range, so flushing must change nothing. (The NALU's gradient
    /// through its log at x = 0 is checked in ArithmeticUnitKernelTests: in the network an input of exactly 0 is the
    /// state at an episode's start, whose gradient is not used.)
    /// </summary>
    [Theory]
    [MemberData(nameof(FlushedNetworks))]
    public void WhereDenormalsAreFlushedTheFastPassStillGivesLibtorchsOutputsAndGradients(SimdWidth width, CoreKind core) =>
        FlushingThread.Run(true, width, () =>
        {
            using var scope = NewDisposeScope();
            using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 11, NaluEpsilon = core == CoreKind.Nalu ? 0.5 : 1e-7 });
            (RolloutResult[] expected, RolloutResult[] actual) = FastAndReference(network, 3, new Rollout());
            AssertClose(network, expected, actual);
        });

    /// <summary>
    /// Given each frame's key (its picture's number), with the frames' bytes or with a lookup of a key's picture, the
    /// fast pass finds repeated pictures by key rather than by their bytes: the same distinct frames in the same slots,
    /// so the same sums, outputs and gradients to the bit, and the same number of frames encoded.
    /// </summary>
    [Theory]
    [MemberData(nameof(CoresReadingWeightsOncePerRollout))]
    public void WithFrameKeysTheFastPassGivesTheSameResultsToTheBit(SimdWidth width, CoreKind core)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, Hidden = 64 });
        Parameter[] parameters = [.. network.parameters()];
        RolloutResult[] Both(FramesGiven given)
        {
            using RolloutPass pass = RolloutPass.For(network, 3, 4);
            Assert.IsType<FastRolloutPass>(pass);
            var rollout = new Rollout { Given = given };
            return [Run(pass, parameters, 3, 4, 0, rollout), Run(pass, parameters, 3, 3, 1, rollout)];
        }

        RolloutResult[] byBytes = Both(FramesGiven.Bytes);
        foreach (RolloutResult[] byKeys in new[] { Both(FramesGiven.BytesAndKeys), Both(FramesGiven.KeysAndPictures) })
        {
            AssertSameToTheBit(parameters, byBytes, byKeys);
        }
    }

    private static void AssertSameToTheBit(Parameter[] parameters, RolloutResult[] byBytes, RolloutResult[] byKeys)
    {
        for (int rollout = 0; rollout < byBytes.Length; rollout++)
        {
            Assert.Equal(byBytes[rollout].FramesEncoded, byKeys[rollout].FramesEncoded);
            Assert.Equal(byBytes[rollout].Logits.data<float>().ToArray(), byKeys[rollout].Logits.data<float>().ToArray());
            Assert.Equal(byBytes[rollout].Values.data<float>().ToArray(), byKeys[rollout].Values.data<float>().ToArray());
            Assert.Equal(byBytes[rollout].Bootstrap.data<float>().ToArray(), byKeys[rollout].Bootstrap.data<float>().ToArray());
            Assert.Equal(byBytes[rollout].Outputs.data<float>().ToArray(), byKeys[rollout].Outputs.data<float>().ToArray());
            for (int i = 0; i < parameters.Length; i++)
            {
                Assert.Equal(byBytes[rollout].Gradients[i].data<float>().ToArray(), byKeys[rollout].Gradients[i].data<float>().ToArray());
            }
        }
    }

    public static TheoryData<SimdWidth, CoreKind> CoresReadingWeightsOncePerRollout =>
        SimdWidths.Times(new TheoryData<CoreKind> { CoreKind.Baseline, CoreKind.Nac, CoreKind.Counter, CoreKind.Gru, CoreKind.Timer });

    /// <summary>
    /// The backward pass adds to the gradients the parameters already hold (a kernel writes the large ones straight into
    /// grad, adding where there is one): two passes over the same rollout, the second without zeroing the gradients
    /// in between, leave exactly twice the first's.
    /// </summary>
    [Theory]
    [MemberData(nameof(CoresReadingWeightsOncePerRollout))]
    public void TheBackwardPassAddsToTheGradientsThereAre(SimdWidth width, CoreKind core)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, Hidden = 64 });
        Parameter[] parameters = [.. network.parameters()];
        byte[] frames = randint(0, 256, [3 * ConvEncoder.InputLength], generator: new Generator(9)).to_type(ScalarType.Byte).data<byte>().ToArray();
        float[] t = [6f, 9f, 12f];
        void Once()
        {
            using RolloutPass pass = RolloutPass.For(network, 3, 2);
            Assert.IsType<FastRolloutPass>(pass);
            float[] logits = new float[2 * 3 * ActorCritic.Actions], values = new float[2 * 3];
            pass.Step(frames, t, logits.AsSpan(0, 3 * ActorCritic.Actions), values.AsSpan(0, 3));
            pass.Step(frames, t, logits.AsSpan(3 * ActorCritic.Actions), values.AsSpan(3));
            pass.Backward([.. logits.Select(l => l / 10)], [.. values.Select(v => 1 - v)]);
        }

        network.zero_grad();
        Once();
        float[][] first = [.. parameters.Select(p => Gradient(p).data<float>().ToArray())];
        Once();
        for (int i = 0; i < parameters.Length; i++)
        {
            Assert.Equal(first[i].Select(g => 2 * g).ToArray(), Gradient(parameters[i]).data<float>().ToArray());
        }
    }

    /// <summary>
    /// A backward pass over no step (only a bootstrap's values asked) adds nothing, on either pass and for every core, and
    /// the rollout after it is the same to the bit as one from a fresh pass.
    /// </summary>
    [Theory]
    [InlineData(CoreKind.Nac, true)]
    [InlineData(CoreKind.Counter, true)]
    [InlineData(CoreKind.Timer, true)]
    [InlineData(CoreKind.Gru, true)]
    [InlineData(CoreKind.Nac, false)]
    public void ABackwardPassOverNoStepAddsNothing(CoreKind core, bool fast)
    {
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, Hidden = 32 });
        Parameter[] parameters = [.. network.parameters()];
        byte[] frames = randint(0, 256, [2 * ConvEncoder.InputLength], generator: new Generator(4)).to_type(ScalarType.Byte).data<byte>().ToArray();
        float[] t = [6f, 9f];
        float[] Rollout(RolloutPass pass)
        {
            float[] logits = new float[2 * ActorCritic.Actions], values = new float[2];
            pass.Step(frames, t, logits, values);
            network.zero_grad();
            pass.Backward([.. logits.Select(l => l / 10)], [.. values.Select(v => 1 - v)]);
            return [.. logits, .. parameters.SelectMany(p => Gradient(p).data<float>().ToArray())];
        }

        RolloutPass Make() => fast ? RolloutPass.For(network, 2, 1) : new AutogradRolloutPass(network, 2, 1);
        using RolloutPass fresh = Make(), afterNothing = Make();
        Assert.IsType(fast ? typeof(FastRolloutPass) : typeof(AutogradRolloutPass), afterNothing);
        network.zero_grad();
        afterNothing.Values(frames, t, new float[2]);
        afterNothing.Backward([], []);
        Assert.All(parameters, p =>
        {
            using Tensor? gradient = p.grad;
            Assert.Null(gradient);
        });
        Assert.Equal(Rollout(fresh), Rollout(afterNothing));
    }

    /// <summary>
    /// What the fast pass forms from the weights once per rollout (packed weights, the features' part per picture,
    /// summed biases) follows weights changed in place between rollouts, as a worker's copy of the shared weights
    /// changes: every parameter is set to its first value plus a rollout-dependent pattern before each rollout.
    /// </summary>
    [Theory]
    [MemberData(nameof(CoresReadingWeightsOncePerRollout))]
    public void TheFastPassFollowsWeightsChangedBetweenRollouts(SimdWidth width, CoreKind core)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, Hidden = 64 });
        Parameter[] parameters = [.. network.parameters()];
        Tensor[] first = [.. parameters.Select(p => p.detach().clone())];
        var rollout = new Rollout
        {
            BeforeRollout = index =>
            {
                using var noGrad = no_grad();
                for (int i = 0; i < parameters.Length; i++)
                {
                    // Rollout 0 the first values; rollout 1 every weight moved by a pattern of its own.
                    using Tensor pattern = arange(first[i].numel(), dtype: ScalarType.Float32).view_as(first[i]).mul(0.37 * (i + 1)).sin().mul(0.05 * index);
                    parameters[i].copy_(first[i] + pattern);
                }
            },
        };
        (RolloutResult[] expected, RolloutResult[] actual) = FastAndReference(network, 3, rollout);
        AssertClose(network, expected, actual);
    }

    /// <summary>
    /// The timer with exact NAUs (r = T − a) and T = 10 throughout: in the first rollout r runs 10, 9, 8, 7 (above the
    /// cap C = 8, at it, below it; libtorch's clamp_max passes the gradient where r ≤ C). Before the second rollout the
    /// NAU weights change in place and are clamped (as a worker's copy of the shared, clamped weights changes between
    /// rollouts), and its core outputs get the auxiliary time-left loss's gradient in the s column, as A3CWorker feeds it.
    /// With every loss training r, and with the time-left loss alone (the heads and the policy layer reading s detached);
    /// with the learned readout and with the difference (r = T − a, the same in rollout 0; in rollout 1 W_step = 0.75 gives
    /// r = 10 − 0.75·a, which crosses the cap as a grows).
    /// </summary>
    [Theory]
    [MemberData(nameof(TimerVariants))]
    public void TheFastTimerGivesLibtorchsGradientsAcrossTheCapAndFromTheTimeLeftLoss(SimdWidth width, TimeLeftGradient gradient, TimeLeftReadout readout)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Timer, Seed = 7, Hidden = 64, TimeLeftGradient = gradient, TimeLeftReadout = readout });
        var core = (TimerCore)network.Core;
        Assert.Equal(readout == TimeLeftReadout.Nau, core.ReadNau is not null);
        var rollout = new Rollout
        {
            BeforeRollout = index =>
            {
                using var noGrad = no_grad();
                core.StepNau.Weight.fill_(index == 0 ? 1f : core.ReadNau is null ? 0.75f : 1.5f);
                core.ReadNau?.Weight.copy_(tensor(index == 0 ? new[] { 1f, -1f } : new[] { 0.5f, -1.5f }).view(2, 1));
                foreach (Nau unit in core.AdditionUnits)
                {
                    unit.ClampWeights(); // rollout 1: W_step = 1, W_read = (0.5, −1), so r = 5 − a, below the cap throughout
                }
            },
            Instructions = (batch, _) => full(batch, 10f),
            OutputGradients = (outputs, instructions, width, batch) =>
            {
                // Targets T − (step in the rollout): the values do not matter here, the way they take does.
                float[] timeLeft = [.. instructions.Select((t, r) => t - (r / batch))];
                var gradients = new float[outputs.Length];
                TimeLeftLoss.Gradients(outputs, timeLeft, width, core.TimeLeftOutput!.Value, batch, 0.5, gradients);
                return gradients;
            },
        };
        (RolloutResult[] expected, RolloutResult[] actual) = FastAndReference(network, 3, rollout);

        // s = min(T − a, 8) by step and environment (a counts steps; environment 0's count restarts after step 1).
        float[] left = expected[0].Outputs.view(-1, core.OutputSize).select(1, core.Hidden).data<float>().ToArray();
        Assert.Equal([8f, 8f, 8f, 8f, 8f, 8f, 8f, 8f, 8f, 8f, 7f, 7f], left);
        AssertClose(network, expected, actual);
    }

    /// <summary>
    /// The NAU sparsity regulariser's gradient, added after the rollout pass as A3CWorker adds it
    /// (<see cref="Nau.AddSparsityGradients"/>), reaches the timer's NAU weights exactly once on the fast path: the fast
    /// pass plus the regulariser gives the autograd pass's gradients plus λ·∂R/∂W, computed here by hand.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void TheSparsityGradientIsAddedOnceToTheFastTimersNauGradients(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Timer, Seed = 7, Hidden = 64, TimeLeftGradient = TimeLeftGradient.All }); // the policy's loss reaches the NAUs too
        var core = (TimerCore)network.Core;
        using (no_grad())
        {
            core.StepNau.Weight.fill_(0.3f);
            core.ReadNau!.Weight.copy_(tensor(new[] { 0.8f, -0.2f }).view(2, 1));
        }

        Parameter[] parameters = [.. network.parameters()];
        RolloutResult regularised;
        using (RolloutPass fast = RolloutPass.For(network, 3, 4))
        {
            Assert.IsType<FastRolloutPass>(fast);
            regularised = Run(fast, parameters, 3, 4, 0, new Rollout { AfterBackward = () => Nau.AddSparsityGradients(core.AdditionUnits, 2) });
        }

        RolloutResult plain = WithoutKernels(() =>
        {
            using var reference = new AutogradRolloutPass(network, 3, 4);
            return Run(reference, parameters, 3, 4, 0, new Rollout());
        });

        // λ = 2, ∂R/∂w = slope/n: W_step 0.3 (n = 1) slopes +1 towards 0: +2; W_read 0.8 and −0.2 (n = 2) slope −1 each
        // (0.8 towards 1, −0.2 towards 0): −1 each.
        Dictionary<string, float[]> added = new() { ["core.step.weight"] = [2f], ["core.read.weight"] = [-1f, -1f] };
        string[] names = [.. network.named_parameters().Select(p => p.name)];
        Assert.Subset(names.ToHashSet(), added.Keys.ToHashSet());
        for (int i = 0; i < names.Length; i++)
        {
            Tensor expected = added.TryGetValue(names[i], out float[]? slope) ? plain.Gradients[i] + tensor(slope).view_as(plain.Gradients[i]) : plain.Gradients[i];
            TensorAssert.Close(expected, regularised.Gradients[i], $"gradient of {names[i]}");
        }

        Assert.True(plain.Gradients[Array.IndexOf(names, "core.read.weight")].abs().sum().item<float>() > 0, "the loss reaches the readout too");
    }

    /// <summary>
    /// With only the time-left loss training r, the policy and value losses send nothing to the timer's NAUs: without
    /// that loss their gradients are exactly 0 on both passes, where with every loss training r they are not.
    /// </summary>
    [Theory]
    [MemberData(nameof(TimeLeftGradients))]
    public void OnlyTheTimeLeftLossTrainsTheTimersNausWhenSoChosen(SimdWidth width, TimeLeftGradient gradient)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Timer, Seed = 7, Hidden = 64, TimeLeftGradient = gradient });
        var core = (TimerCore)network.Core;
        using (no_grad())
        {
            core.StepNau.Weight.fill_(0.9f);
            core.ReadNau!.Weight.copy_(tensor(new[] { 0.5f, -0.7f }).view(2, 1)); // r = 0.5·T − 0.7·a stays below the cap 8
        }

        Parameter[] parameters = [.. network.parameters()];
        string[] names = [.. network.named_parameters().Select(p => p.name)];
        RolloutResult fast;
        using (RolloutPass pass = RolloutPass.For(network, 3, 4))
        {
            Assert.IsType<FastRolloutPass>(pass);
            fast = Run(pass, parameters, 3, 4, 0, new Rollout());
        }

        RolloutResult reference = WithoutKernels(() =>
        {
            using var pass = new AutogradRolloutPass(network, 3, 4);
            return Run(pass, parameters, 3, 4, 0, new Rollout());
        });
        foreach (string unit in new[] { "core.step.weight", "core.read.weight" })
        {
            int i = Array.IndexOf(names, unit);
            foreach (RolloutResult result in new[] { fast, reference })
            {
                float size = result.Gradients[i].abs().sum().item<float>();
                Assert.True(gradient == TimeLeftGradient.TimeLeftLoss ? size == 0f : size > 0f, $"{gradient}: |∂{unit}| = {size}");
            }
        }
    }

    /// <summary>
    /// Frames a, b, c, d (B = 3): rollout 0 records [a, b, a] and [b, c, c] and bootstraps on [a, d, d]; rollout 1 records
    /// [a, a, a]. The encoder runs on a, b, c (3 of 6 recorded frames; the bootstrap's d is not recorded), then on a again
    /// (each rollout starts its table afresh).
    /// </summary>
    [Theory]
    [InlineData(FramesGiven.Bytes)]
    [InlineData(FramesGiven.BytesAndKeys)]
    [InlineData(FramesGiven.KeysAndPictures)]
    public void TheFastPassEncodesEachDistinctFrameOfARolloutOnce(FramesGiven given)
    {
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 7, Hidden = 32 });
        byte[][] picture = [.. Enumerable.Range(0, 4).Select(i => randint(0, 256, [ConvEncoder.InputLength], generator: new Generator((ulong)i + 1)).to_type(ScalarType.Byte).data<byte>().ToArray())];
        byte[] Frames(params int[] which) => [.. which.SelectMany(i => picture[i])];
        int[] Keys(params int[] which) => [.. which.Select(i => 10 * i)]; // any numbers, one per picture
        var lookedUp = new List<int>();
        FrameBytes lookup = key =>
        {
            lookedUp.Add(key);
            return picture[key / 10];
        };
        using RolloutPass pass = RolloutPass.For(network, 3, 2), full = RolloutPass.For(network, 3, 2, fullWork: true);
        Assert.IsType<FastRolloutPass>(pass);
        void StepOn(params int[] which) => Step(pass, given, Frames(which), Keys(which), lookup, [7f, 7f, 7f], new float[3 * ActorCritic.Actions], new float[3]);
        StepOn(0, 1, 0);
        StepOn(1, 2, 2);
        Values(pass, given, Frames(0, 3, 3), Keys(0, 3, 3), lookup, [7f, 7f, 7f], new float[3]);
        Assert.Equal((6L, 3L), (pass.FramesRecorded, pass.FramesEncoded));
        pass.Backward(new float[2 * 3 * ActorCritic.Actions], new float[2 * 3]);
        StepOn(0, 0, 0);
        Assert.Equal((9L, 4L), (pass.FramesRecorded, pass.FramesEncoded));

        // By key, a picture is read only for a key new to the rollout: a, b; c; d twice (the bootstrap keeps nothing); a.
        Assert.Equal(given == FramesGiven.KeysAndPictures ? [0, 10, 20, 30, 30, 0] : [], lookedUp);

        // Without the savings every frame is encoded, and by key every picture read.
        lookedUp.Clear();
        float[] logits = new float[3 * ActorCritic.Actions], values = new float[3];
        Step(full, given, Frames(0, 1, 0), Keys(0, 1, 0), lookup, [7f, 7f, 7f], logits, values);
        Step(full, given, Frames(1, 2, 2), Keys(1, 2, 2), lookup, [7f, 7f, 7f], logits, values);
        Assert.Equal((6L, 6L), (full.FramesRecorded, full.FramesEncoded));

        // Its dense first convolution is the pass's own: the thread's choice is as it was after each call.
        Assert.True(SparseConv1.InUse);
        full.Backward(new float[2 * 3 * ActorCritic.Actions], new float[2 * 3]);
        Assert.True(SparseConv1.InUse);
        Assert.Equal(given == FramesGiven.KeysAndPictures ? [0, 10, 0, 10, 20, 20] : [], lookedUp);
        Assert.Throws<ArgumentException>(() => pass.Step(Frames(0, 0), [7f, 7f, 7f], new float[3 * ActorCritic.Actions], new float[3]));
    }

    /// <summary>
    /// The keys are used, and taken on trust: three different pictures given one key are one picture to the pass (encoded
    /// once, each row given the first one's features), where without keys they are three.
    /// </summary>
    [Fact]
    public void FrameKeysAreTakenOnTrust()
    {
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 7, Hidden = 32 });
        byte[] frames = randint(0, 256, [3 * ConvEncoder.InputLength], generator: new Generator(5)).to_type(ScalarType.Byte).data<byte>().ToArray();
        float[] t = [7f, 7f, 7f], logits = new float[3 * ActorCritic.Actions], values = new float[3], unkeyedValues = new float[3];
        using RolloutPass keyed = RolloutPass.For(network, 3, 1), unkeyed = RolloutPass.For(network, 3, 1);
        keyed.Step(frames, [5, 5, 5], t, logits, values);
        unkeyed.Step(frames, t, logits, unkeyedValues);
        Assert.Equal((1L, 3L), (keyed.FramesEncoded, unkeyed.FramesEncoded));
        Assert.Equal(values[0], values[2]); // the same features and state, so the same value
        Assert.Equal(unkeyedValues[0], values[0]);
        Assert.NotEqual(unkeyedValues[2], values[2]);
    }

    /// <summary>
    /// The first convolution's products skipped on inputs of 0 are counted on the frames <see cref="RolloutPass.FramesEncoded"/>
    /// counts: the grid world's pictures a, b, c, d (B = 3), rollout [a, b, a], [b, c, c] and a bootstrap on [a, d, d]
    /// skip what a, b and c skip, each once on the fast pass, on each frame through autograd; d, the bootstrap's, is not
    /// recorded; with the kernels off nothing is skipped.
    /// </summary>
    [Fact]
    public unsafe void TheFirstConvolutionsSkippedProductsAreCountedOnTheFramesEncoded()
    {
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 7, Hidden = 32 });
        (Cell Agent, Cell Target)[] cells = [(new(0, 0), new(4, 4)), (new(2, 3), new(2, 3)), (new(1, 1), new(1, 2)), (new(3, 0), new(0, 3))];
        byte[][] picture = [.. cells.Select(c => ChannelMajor(FrameRenderer.DrawRgb(5, c.Agent, c.Target)))];
        byte[] Frames(params int[] which) => [.. which.SelectMany(i => picture[i])];

        // What each picture skips, from the convolutions alone (the count does not depend on finite weights' values).
        long[] skips = new long[picture.Length];
        float[] w1 = new float[16 * 192], w2 = new float[32 * 256], b1 = new float[16], b2 = new float[32], arranged = new float[FastConvolutions.ArrangedWeights];
        float[] hidden = new float[13 * 13 * 16], features = new float[FastConvolutions.Features];
        for (int i = 0; i < picture.Length; i++)
        {
            fixed (byte* p = picture[i])
            fixed (float* pw1 = w1, pw2 = w2, pb1 = b1, pb2 = b2, a = arranged, h = hidden, f = features)
            {
                FastConvolutions.ArrangeWeights(pw1, pw2, a);
                skips[i] = ConvEncoder.Conv1MultiplyAdds - FastConvolutions.ForwardArranged(p, true, 1, a, pb1, pb2, h, f);
            }

            Assert.InRange(skips[i], ConvEncoder.Conv1MultiplyAdds * 9 / 10, ConvEncoder.Conv1MultiplyAdds - 1);
        }

        // The fast pass encodes each distinct picture once; autograd's pass with the kernels on every frame (through the
        // convolutions' node, which skips the same products); with the kernels off libtorch's convolutions skip nothing.
        // Without its savings (full) the fast pass skips nothing.
        foreach ((string how, long expected) in new[] { ("fast", skips[0] + skips[1] + skips[2]), ("autograd", (2 * skips[0]) + (2 * skips[1]) + (2 * skips[2])), ("off", 0L), ("full", 0L) })
        {
            using IDisposable? off = how == "off" ? Simd.ForceOnThisThread(SimdWidth.Off) : null;
            using RolloutPass pass = how is "fast" or "full" ? RolloutPass.For(network, 3, 2, fullWork: how == "full") : new AutogradRolloutPass(network, 3, 2);
            float[] logits = new float[3 * ActorCritic.Actions], values = new float[3];
            pass.Step(Frames(0, 1, 0), [7f, 7f, 7f], logits, values);
            pass.Step(Frames(1, 2, 2), [7f, 7f, 7f], logits, values);
            pass.Values(Frames(0, 3, 3), [7f, 7f, 7f], values);
            Assert.True(expected == pass.Conv1MultiplyAddsSkipped, $"{how}: {pass.Conv1MultiplyAddsSkipped} skipped, expected {expected}");
        }
    }

    private static byte[] ChannelMajor(byte[] rgb)
    {
        byte[] planes = new byte[rgb.Length];
        for (int i = 0; i < rgb.Length / 3; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                planes[(c * (rgb.Length / 3)) + i] = rgb[(3 * i) + c];
            }
        }

        return planes;
    }

    /// <summary>
    /// A GRU whose 3H gate columns do not fill whole panels at every width (H = 80: 240 = 7·32 + 16 at 512 bits) and a
    /// batch past a register block (7): the fast pass's step reads W_hhᵀ's last part-panel.
    /// </summary>
    [Theory]
    [MemberData(nameof(Widths))]
    public void AGruWhoseGatesEndInAPartPanelGivesLibtorchsOutputsAndGradients(SimdWidth width)
    {
        using var _ = Simd.ForceOnThisThread(width);
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Gru, Seed = 7, Hidden = 80 });
        (RolloutResult[] expected, RolloutResult[] actual) = FastAndReference(network, 7, new Rollout { Given = FramesGiven.KeysAndPictures });
        AssertClose(network, expected, actual);
    }

    /// <summary>
    /// Both passes refuse the same misuse the same way (B = 2, one step per rollout), and a refused step records nothing:
    /// spans of the wrong length, bad keys, a picture looked up by key of the wrong length, a keep value other than 0
    /// and 1, a step beyond the rollout's length.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BothPassesRefuseTheSameMisuseAndARefusedStepRecordsNothing(bool fast)
    {
        using var scope = NewDisposeScope();
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Nac, Seed = 7, Hidden = 32 });
        using RolloutPass pass = fast ? RolloutPass.For(network, 2, 1) : new AutogradRolloutPass(network, 2, 1);
        Assert.IsType(fast ? typeof(FastRolloutPass) : typeof(AutogradRolloutPass), pass);
        byte[] frames = new byte[2 * ConvEncoder.InputLength];
        float[] t = [6f, 6f], logits = new float[2 * ActorCritic.Actions], values = new float[2];
        Assert.Throws<ArgumentException>(() => pass.Step(frames, t, logits.AsSpan(1), values));
        Assert.Throws<ArgumentException>(() => pass.Step(frames, t, logits, new float[3]));
        Assert.Throws<ArgumentException>(() => pass.Step(frames, t, logits, values, new float[pass.OutputSize]));
        Assert.Throws<ArgumentException>(() => pass.Step(frames.AsSpan(1), t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.Step(frames, [6f], logits, values));
        Assert.Throws<ArgumentException>(() => pass.Step(frames, [3], t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.Step(frames, [3, -1], t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.Values(frames, [3, 4, 5], t, values));

        // By key: keys not B, a negative key, no lookup, and a picture of the wrong length (after key 1's good one).
        byte[] good = new byte[ConvEncoder.InputLength];
        FrameBytes pictures = key => key == 2 ? good.AsSpan(1) : good;
        Assert.Throws<ArgumentException>(() => pass.Step([1], pictures, t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.Step([1, -1], pictures, t, logits, values));
        Assert.Throws<ArgumentNullException>(() => pass.Step([1, 1], null!, t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.Step([1, 2], pictures, t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.Values([1, 2], pictures, t, values));
        Assert.Equal((0, 0L, 0L), (pass.Steps, pass.FramesRecorded, pass.FramesEncoded));
        pass.Step([1, 1], pictures, t, logits, values); // key 1 was forgotten with the refused step: it is encoded now
        Assert.Equal((1, 2L, fast ? 1L : 2L), (pass.Steps, pass.FramesRecorded, pass.FramesEncoded));
        pass.Backward(logits, values);

        pass.Step(frames, t, logits, values, new float[2 * pass.OutputSize]);
        Assert.Equal((1, 4L), (pass.Steps, pass.FramesRecorded));
        Assert.Throws<InvalidOperationException>(() => pass.Step(frames, t, logits, values));
        Assert.Throws<ArgumentException>(() => pass.EndEpisodes([1f]));
        Assert.Throws<ArgumentException>(() => pass.EndEpisodes([0.5f, 1f]));
        Assert.Throws<ArgumentException>(() => pass.Values(frames, t, new float[1]));
        Assert.Throws<ArgumentException>(() => pass.Backward(new float[ActorCritic.Actions], new float[2]));
        Assert.Throws<ArgumentException>(() => pass.Backward(logits, values, new float[3]));
        pass.EndEpisodes([0f, 1f]);
        pass.Values(frames, t, values);
        pass.Backward(logits, values);
        Assert.Equal(0, pass.Steps);
    }

    /// <summary>
    /// A fast pass made inside a dispose scope still runs after the scope closes: it keeps no wrapper of a parameter
    /// that a module's getter made inside the scope (LSTMCell.weight_ih and GRUCell.weight_ih make a new one per call).
    /// </summary>
    [Theory]
    [InlineData(CoreKind.Nac)]
    [InlineData(CoreKind.Counter)]
    [InlineData(CoreKind.Gru)]
    [InlineData(CoreKind.Timer)]
    public void AFastPassMadeInsideADisposeScopeRunsAfterItCloses(CoreKind core)
    {
        using var network = new ActorCritic(new AgentOptions { Core = core, Seed = 7, Hidden = 32 });
        RolloutPass pass;
        using (NewDisposeScope())
        {
            pass = RolloutPass.For(network, 2, 2);
        }

        using (pass)
        {
            Assert.IsType<FastRolloutPass>(pass);
            byte[] frames = new byte[2 * ConvEncoder.InputLength];
            float[] t = [6f, 6f], logits = new float[2 * ActorCritic.Actions], values = new float[2];
            pass.Step(frames, t, logits, values);
            pass.EndEpisodes([1f, 1f]);
            pass.Values(frames, t, values);
            pass.Backward(logits, values);
            Assert.All(values, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void WithTheKernelsTurnedOffEveryNetworkGoesThroughAutograd()
    {
        using var network = new ActorCritic(new AgentOptions { Core = CoreKind.Counter });
        using (Simd.ForceOnThisThread(SimdWidth.Off))
        {
            using RolloutPass pass = RolloutPass.For(network, 2, 3);
            Assert.IsType<AutogradRolloutPass>(pass);
        }
    }

    /// <summary>
    /// Two rollouts (4 and 3 steps) on the fast pass (with or without its savings, <paramref name="fullWork"/>), then the
    /// same on libtorch's layers through autograd.
    /// </summary>
    private static (RolloutResult[] Expected, RolloutResult[] Actual) FastAndReference(ActorCritic network, int batch, Rollout rollout, bool fullWork = false)
    {
        Parameter[] parameters = [.. network.parameters()];
        RolloutResult[] actual;
        using (RolloutPass fast = RolloutPass.For(network, batch, 4, fullWork))
        {
            Assert.IsType<FastRolloutPass>(fast);
            actual = [Run(fast, parameters, batch, 4, 0, rollout), Run(fast, parameters, batch, 3, 1, rollout)];
        }

        RolloutResult[] expected = WithoutKernels(() =>
        {
            using var reference = new AutogradRolloutPass(network, batch, 4);
            return new[] { Run(reference, parameters, batch, 4, 0, rollout), Run(reference, parameters, batch, 3, 1, rollout) };
        });
        return (expected, actual);
    }

    private static void AssertClose(ActorCritic network, RolloutResult[] expected, RolloutResult[] actual)
    {
        string[] names = [.. network.named_parameters().Select(p => p.name)];
        for (int rollout = 0; rollout < expected.Length; rollout++)
        {
            TensorAssert.Close(expected[rollout].Logits, actual[rollout].Logits, $"rollout {rollout}: logits");
            TensorAssert.Close(expected[rollout].Values, actual[rollout].Values, $"rollout {rollout}: values");
            TensorAssert.Close(expected[rollout].Bootstrap, actual[rollout].Bootstrap, $"rollout {rollout}: bootstrap values");
            TensorAssert.Close(expected[rollout].Outputs, actual[rollout].Outputs, $"rollout {rollout}: core outputs");
            for (int i = 0; i < names.Length; i++)
            {
                TensorAssert.Close(expected[rollout].Gradients[i], actual[rollout].Gradients[i], $"rollout {rollout}: gradient of {names[i]}");
            }
        }
    }

    private static T WithoutKernels<T>(Func<T> run) => SimdWidths.WithoutKernels(run);

    private static Tensor Gradient(Parameter parameter)
    {
        using Tensor? gradient = parameter.grad;
        return gradient?.clone() ?? zeros_like(parameter);
    }

    private sealed record RolloutResult(Tensor Logits, Tensor Values, Tensor Bootstrap, Tensor Outputs, Tensor[] Gradients, long FramesEncoded);

    /// <summary>What a test changes in <see cref="Run"/>; by default frames and T at random, and random output gradients in rollout 1.</summary>
    private sealed class Rollout
    {
        /// <summary>Called with the rollout's index before its first step (to set weights).</summary>
        public Action<int>? BeforeRollout { get; init; }

        /// <summary>T [B] of every step, from B and the rollout's generator; default uniform in 5..12.</summary>
        public Func<int, Generator, Tensor>? Instructions { get; init; }

        /// <summary>Rollout 1's ∂loss/∂(core outputs) [n·B·O] from its outputs, its T [n·B], O and B; default random.</summary>
        public Func<float[], float[], int, int, float[]>? OutputGradients { get; init; }

        /// <summary>Called after the backward pass, before the gradients are read.</summary>
        public Action? AfterBackward { get; init; }

        /// <summary>How every step and the bootstrap give their frames.</summary>
        public FramesGiven Given { get; init; }
    }

    /// <summary>How a test's steps give the pass their frames.</summary>
    public enum FramesGiven
    {
        /// <summary>The frames' bytes alone.</summary>
        Bytes,

        /// <summary>The frames' bytes and their keys (each picture's number).</summary>
        BytesAndKeys,

        /// <summary>The frames' keys and a lookup of a key's picture (<see cref="FrameBytes"/>).</summary>
        KeysAndPictures,
    }

    /// <summary>A step of <paramref name="pass"/> from frames given as <paramref name="given"/> says.</summary>
    private static void Step(RolloutPass pass, FramesGiven given, byte[] frames, int[] keys, FrameBytes pictures, float[] t, Span<float> logits, Span<float> values, Span<float> outputs = default)
    {
        switch (given)
        {
            case FramesGiven.Bytes:
                pass.Step(frames, t, logits, values, outputs);
                break;
            case FramesGiven.BytesAndKeys:
                pass.Step(frames, keys, t, logits, values, outputs);
                break;
            default:
                pass.Step(keys, pictures, t, logits, values, outputs);
                break;
        }
    }

    /// <summary>The bootstrap's values from frames given as <paramref name="given"/> says.</summary>
    private static void Values(RolloutPass pass, FramesGiven given, byte[] frames, int[] keys, FrameBytes pictures, float[] t, Span<float> values)
    {
        switch (given)
        {
            case FramesGiven.Bytes:
                pass.Values(frames, t, values);
                break;
            case FramesGiven.BytesAndKeys:
                pass.Values(frames, keys, t, values);
                break;
            default:
                pass.Values(keys, pictures, t, values);
                break;
        }
    }

    /// <summary>
    /// Rollout <paramref name="index"/> (0 or 1) of frames drawn from a generator seeded with index + 1, in which
    /// environment 0's episode ends after step 1 and environment 1's after the last step (so the next rollout starts
    /// it from zero), then the backward pass from random logit and value gradients; rollout 1 adds an auxiliary loss
    /// on the core's outputs (as a head predicting the time left would). Each frame is one of B + 2 random pictures
    /// drawn for the rollout, so the same picture comes back within a step, across steps and in the bootstrap
    /// frames, as in a grid world, and the fast pass encodes each once (asserted).
    /// </summary>
    private static RolloutResult Run(RolloutPass pass, Parameter[] parameters, int batch, int steps, int index, Rollout rollout)
    {
        var generator = new Generator((ulong)index + 1);
        Tensor pictures = randint(0, 256, [batch + 2, 3, 56, 56], generator: generator).to_type(ScalarType.Byte);
        int[] keys = new int[batch]; // the last frames' picture numbers: their frame keys
        byte[][] pictureBytes = [.. Enumerable.Range(0, batch + 2).Select(i => pictures[i].bytes.ToArray())];
        FrameBytes picture = key => pictureBytes[key];
        byte[] Frames()
        {
            Tensor which = randint(0, batch + 2, [batch], generator: generator);
            which.to_type(ScalarType.Int32).data<int>().CopyTo(keys);
            return pictures.index_select(0, which).bytes.ToArray();
        }

        long encodedBefore = pass.FramesEncoded;
        Tensor Instructions() => rollout.Instructions?.Invoke(batch, generator) ?? randint(5, 13, [batch], generator: generator).to_type(ScalarType.Float32);
        rollout.BeforeRollout?.Invoke(index);
        var logits = new float[steps * batch * ActorCritic.Actions];
        var values = new float[steps * batch];
        int width = pass.OutputSize;
        var outputs = new float[steps * batch * width];
        var instructions = new float[steps * batch];
        for (int i = 0; i < steps; i++)
        {
            byte[] observations = Frames();
            float[] stepInstructions = Instructions().data<float>().ToArray();
            stepInstructions.CopyTo(instructions, i * batch);
            Step(pass, rollout.Given, observations, keys, picture, stepInstructions, logits.AsSpan(i * batch * ActorCritic.Actions, batch * ActorCritic.Actions), values.AsSpan(i * batch, batch), outputs.AsSpan(i * batch * width, batch * width));
            float[] keep = [.. Enumerable.Range(0, batch).Select(b => (b == 0 && i == 1) || (b == 1 && i == steps - 1) ? 0f : 1f)];
            pass.EndEpisodes(keep);
        }

        var bootstrap = new float[batch];
        byte[] last = Frames();
        Values(pass, rollout.Given, last, keys, picture, Instructions().data<float>().ToArray(), bootstrap);
        if (pass is FastRolloutPass fast)
        {
            // A few distinct pictures, each encoded once; without the savings every frame.
            if (fast.FullWork)
            {
                Assert.Equal(batch * steps, fast.FramesEncoded - encodedBefore);
            }
            else
            {
                Assert.InRange(fast.FramesEncoded - encodedBefore, 1, batch + 2);
            }
        }

        float[] logitGradients = randn([logits.Length], generator: generator).data<float>().ToArray();
        float[] valueGradients = randn([values.Length], generator: generator).data<float>().ToArray();
        float[] outputGradients = index == 0 ? []
            : rollout.OutputGradients?.Invoke(outputs, instructions, width, batch) ?? randn([outputs.Length], generator: generator).data<float>().ToArray();
        pass.Network.zero_grad();
        pass.Backward(logitGradients, valueGradients, outputGradients);
        rollout.AfterBackward?.Invoke();
        Tensor[] gradients = [.. parameters.Select(Gradient)];
        return new RolloutResult(tensor(logits), tensor(values), tensor(bootstrap), tensor(outputs), gradients, pass.FramesEncoded - encodedBefore);
    }
}
