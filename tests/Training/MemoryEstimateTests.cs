using GridTime.Agents;
using GridTime.Training.Config;
using TorchSharp;

namespace GridTime.Tests.Training;

public sealed class MemoryEstimateTests
{
    [Theory]
    // Encoder: 11 312 + 800·16 + 16 = 24 128. Heads: (o + 1)·6.
    // baseline: LSTM input 17: 4·16·33 + 128 = 2 240; heads 17·6 = 102 → 26 470.
    [InlineData(CoreKind.Baseline, 8, 26_470)]
    // nac: NAC [17 → 8] 2·17·8 = 272; LSTM input 25: 4·16·41 + 128 = 2 752; heads 102 → 27 254.
    [InlineData(CoreKind.Nac, 8, 27_254)]
    // nalu: 3·17·8 = 408; LSTM 2 752; heads 102 → 27 390.
    [InlineData(CoreKind.Nalu, 8, 27_390)]
    // counter, k = 4: NACs 2·4 + 2·5·4 = 48; LSTM input 20: 4·16·36 + 128 = 2 432; heads (20 + 1)·6 = 126 → 26 734.
    [InlineData(CoreKind.Counter, 4, 26_734)]
    // counter-heads-only: 48; LSTM input 16: 4·16·32 + 128 = 2 176; heads 126 → 26 478.
    [InlineData(CoreKind.CounterHeadsOnly, 4, 26_478)]
    // counter-lstm-only: 48; LSTM 2 432; heads 102 → 26 710.
    [InlineData(CoreKind.CounterLstmOnly, 4, 26_710)]
    // counter-with-t: 48; LSTM input 21: 4·16·37 + 128 = 2 496; heads 126 → 26 798.
    [InlineData(CoreKind.CounterWithT, 4, 26_798)]
    // gru: input 17: 3·16·17 + 3·16·16 + 6·16 = 1 680; heads 102 → 25 910.
    [InlineData(CoreKind.Gru, 8, 25_910)]
    public void ParametersAreCountedFromTheLayerShapes(CoreKind kind, int width, long expected)
    {
        var config = new TrainConfig { Agent = kind, Hidden = 16, ArithmeticWidth = width };
        Assert.Equal(expected, MemoryEstimate.Parameters(config));
        using var network = new ActorCritic(config.Network);
        Assert.Equal(expected, network.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void ANacReadingTAloneHasOneInputRow()
    {
        // NAC [1 → 8]: 2·1·8 = 16; LSTM input 25: 2 752; heads 102; encoder 24 128 → 26 998.
        var config = new TrainConfig { Agent = CoreKind.Nac, Hidden = 16, ArithmeticWidth = 8, ArithmeticInput = ArithmeticInput.Instruction };
        Assert.Equal(26_998, MemoryEstimate.Parameters(config));
        using var network = new ActorCritic(config.Network);
        Assert.Equal(26_998, network.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void EveryCoreIsInTheTableAndSizedAsBuilt()
    {
        foreach (CoreKind kind in CoreKinds.All)
        {
            foreach (ArithmeticInput input in CoreTable.Of(kind).ChoosesArithmeticInput ? Enum.GetValues<ArithmeticInput>() : [ArithmeticInput.InstructionAndState])
            {
                var options = new AgentOptions { Core = kind, Hidden = 24, ArithmeticWidth = 5, ArithmeticInput = input };
                (long parameters, long output) = CoreTable.Of(kind).Size(options);
                using var core = SeededConstruction.Build(1, () => CoreTable.Of(kind).Build(options)); // torch's generator is the process's (TorchGeneratorTests)
                Assert.Equal(parameters, core.parameters().Sum(p => p.numel()));
                Assert.Equal(output, core.OutputSize);

                // The row's facts are the built core's (the settings that apply to an agent are decided from the row).
                CoreDescriptor row = CoreTable.Of(kind);
                Assert.Equal(row.HasTimeLeftOutput, core.TimeLeftOutput is not null);
                Assert.Equal(row.HasAdditionUnits, core.AdditionUnits.Count > 0);
                Assert.Equal(row.HasArithmeticUnits, core.ArithmeticUnits.Count > 0);
            }
        }
    }

    [Fact]
    public void BytesFollowTheFormula()
    {
        var config = new TrainConfig { Agent = CoreKind.Baseline, Hidden = 16, ArithmeticWidth = 8, Workers = 2, EnvsPerWorker = 4, Steps = 5 };
        // Per frame: 3·56² + 16·13² + 32·5² + 10·16 + 4·8 = 9 408 + 2 704 + 800 + 160 + 32 = 13 104.
        Assert.Equal(13_104, MemoryEstimate.ActivationsPerFrame(config));
        // 4 · [26 470 · (3 + 2·2) + 2·4·5·13 104] = 4 · (185 290 + 524 160) = 2 837 800.
        Assert.Equal(2_837_800, MemoryEstimate.Bytes(config));
    }

    [Fact]
    public void TheDefaultsFitAndTheLargestSizesDoNot()
    {
        Assert.Empty(new TrainConfig { Workers = 2 }.Problems());
        double largest = MemoryEstimate.Bytes(new TrainConfig
        {
            Hidden = TrainConfig.MaximumHidden,
            ArithmeticWidth = TrainConfig.MaximumArithmeticWidth,
            Workers = TrainConfig.MaximumWorkers,
            EnvsPerWorker = TrainConfig.MaximumEnvsPerWorker,
            Steps = TrainConfig.MaximumSteps,
        });
        Assert.True(double.IsFinite(largest) && largest > 1e15, $"{largest}");
    }
}
