using static TorchSharp.torch;

namespace GridTime.Agents.Kernels;

/// <summary>
/// Calls a custom autograd function's <c>apply</c> with its inputs kept alive until it returns.
/// <para>
/// Why: TorchSharp's <c>Function.apply</c> stops referring to its inputs before its last native call (wrapping
/// the outputs). An input referenced nowhere else (the recurrent state a worker carries between rollouts lives
/// outside any dispose scope) could then be finalized by the GC during that call, freeing its handle while
/// native code read it: training died of it about once in ten minutes (docs/results.md, session 4).
/// </para>
/// </summary>
internal static class KeptAlive
{
    /// <summary><paramref name="apply"/>(<paramref name="inputs"/>) for a function with several outputs.</summary>
    public static List<Tensor> Apply(Func<object[], List<Tensor>> apply, params object[] inputs)
    {
        List<Tensor> outputs = apply(inputs);
        GC.KeepAlive(inputs);
        return outputs;
    }

    /// <summary><paramref name="apply"/>(<paramref name="inputs"/>) for a function with one output.</summary>
    public static Tensor Apply(Func<object[], Tensor> apply, params object[] inputs)
    {
        Tensor output = apply(inputs);
        GC.KeepAlive(inputs);
        return output;
    }
}
