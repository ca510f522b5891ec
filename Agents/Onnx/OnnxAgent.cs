using Onnx;
using static TorchSharp.torch;

namespace GridTime.Agents.Onnx;

/// <summary>
/// One step of an <see cref="ActorCritic"/> as an ONNX graph (opset <see cref="OnnxGraph.Opset"/>), the same computation as
/// <see cref="ActorCritic.Step"/>:
/// <code>
///   inputs   observation  uint8   [B, 3, 56, 56]   the world's image, RGB planes, 0..255
///            instruction  float32 [B]              the raw T of each episode
///            state        float32 [B, S]           zeros at an episode's start, else the previous next_state
///   outputs  logits       float32 [B, 5]           policy logits over the actions (GridAction order)
///            value        float32 [B]              the state-value estimate
///            next_state   float32 [B, S]           to feed back at the next step
/// </code>
/// S is the core's <see cref="Cores.RecurrentCore.StateSize"/>, also stored in the model's metadata (<see cref="StateSizeKey"/>).
/// The encoder and heads are written here once; each core writes its own step (<see cref="Cores.RecurrentCore.ExportStep"/>).
/// </summary>
public static class OnnxAgent
{
    /// <summary>Name of the observation input.</summary>
    public const string Observation = "observation";

    /// <summary>Name of the instruction input.</summary>
    public const string Instruction = "instruction";

    /// <summary>Name of the recurrent state input.</summary>
    public const string State = "state";

    /// <summary>Name of the logits output.</summary>
    public const string Logits = "logits";

    /// <summary>Name of the value output.</summary>
    public const string Value = "value";

    /// <summary>Name of the next-state output.</summary>
    public const string NextState = "next_state";

    /// <summary>Metadata key holding S, the width of the state.</summary>
    public const string StateSizeKey = "gridtime.state_size";

    /// <summary>Metadata key holding the agent's core (kebab case, as <c>--agent</c>).</summary>
    public const string AgentKey = "gridtime.agent";

    /// <summary>
    /// The serialised ONNX model of one step of <paramref name="network"/>, its weights copied as they are now.
    /// <paramref name="metadata"/> (provenance: run, checkpoint, its hash...) is stored beside <see cref="AgentKey"/> and <see cref="StateSizeKey"/>.
    /// </summary>
    public static byte[] Export(ActorCritic network, string producerVersion, IReadOnlyDictionary<string, string> metadata)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int stateSize = network.StateSize;
        var graph = new OnnxGraph($"gridtime-{network.Options.Core.Name()}");
        string observation = graph.Input(Observation, TensorProto.Types.DataType.Uint8, "B", 3, 56, 56);
        string instruction = graph.Input(Instruction, TensorProto.Types.DataType.Float, "B");
        string state = graph.Input(State, TensorProto.Types.DataType.Float, "B", stateSize);

        string features = network.Encoder.Export(graph, observation);
        string column = graph.Node("Unsqueeze", [instruction, graph.Int64s(1)]);
        (string hidden, string next) = network.Core.ExportStep(graph, features, column, state);
        (TorchSharp.Modules.Linear policy, TorchSharp.Modules.Linear value) = network.Heads;
        string logits = graph.Linear(hidden, policy.weight!, policy.bias, "policy");
        string values = graph.Node("Squeeze", [graph.Linear(hidden, value.weight!, value.bias, "value"), graph.Int64s(1)]);

        graph.Output(logits, Logits, TensorProto.Types.DataType.Float, "B", ActorCritic.Actions);
        graph.Output(values, Value, TensorProto.Types.DataType.Float, "B");
        graph.Output(next, NextState, TensorProto.Types.DataType.Float, "B", stateSize);
        var all = new Dictionary<string, string>(metadata)
        {
            [AgentKey] = network.Options.Core.Name(),
            [StateSizeKey] = stateSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return graph.ToBytes(producerVersion, "One step of a GridTime agent: (observation, instruction, state) -> (logits, value, next_state).", all);
    }
}
