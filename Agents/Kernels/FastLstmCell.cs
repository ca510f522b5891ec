using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// One step of a <see cref="LSTMCell"/> with its two matrix products done by <see cref="FastLinear"/>;
/// the same parameters, the same gate order (input, forget, cell, output) and the same result as
/// <c>cell.call(input, (h, c))</c> to float rounding (tests/Agents/FastLinearTests). Where the kernel is
/// not used, it is that call.
/// </summary>
public static class FastLstmCell
{
    /// <summary>(h', c') of <paramref name="cell"/> for input [B, in] and state h, c [B, hidden].</summary>
    public static (Tensor H, Tensor C) Step(LSTMCell cell, Tensor input, Tensor h, Tensor c)
    {
        if (FastLinear.Disabled || !FastLinear.KernelAvailable)
        {
            return cell.call(input, (h, c));
        }

        using var scope = NewDisposeScope();
        Tensor gates = FastLinear.Apply(input, cell.weight_ih!, cell.bias_ih) + FastLinear.Apply(h, cell.weight_hh!, cell.bias_hh);
        Tensor[] chunks = gates.chunk(4, 1);
        Tensor nextC = (sigmoid(chunks[1]) * c) + (sigmoid(chunks[0]) * tanh(chunks[2]));
        Tensor nextH = sigmoid(chunks[3]) * tanh(nextC);
        return (nextH.MoveToOuterDisposeScope(), nextC.MoveToOuterDisposeScope());
    }
}
