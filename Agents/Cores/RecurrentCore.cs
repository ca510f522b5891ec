using static TorchSharp.torch;

namespace GridTime.Agents.Cores;

/// <summary>
/// The recurrent part of an agent: one step maps (encoder features, instruction T, state) to
/// (output for the heads, next state). The state is one tensor [B, StateSize] whose layout each core
/// documents, so the trainer can carry, mask and detach it without knowing what is inside.
/// </summary>
public abstract class RecurrentCore(string name) : nn.Module(name)
{
    /// <summary>Width of the state tensor.</summary>
    public abstract int StateSize { get; }

    /// <summary>Width of the output the policy and value heads read.</summary>
    public abstract int OutputSize { get; }

    /// <summary>One step for a batch: features [B, F], instruction [B, 1] (raw T), state [B, StateSize].</summary>
    public abstract (Tensor Output, Tensor State) Step(Tensor features, Tensor instruction, Tensor state);
}
