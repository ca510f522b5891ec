using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Agents.Onnx;
using GridTime.Training;
using GridTime.Training.Config;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime export</c>: writes one step of a trained agent as an ONNX graph (<see cref="OnnxAgent"/>: inputs
/// observation, instruction, state; outputs logits, value, next_state), with the run, checkpoint, its SHA-256 and
/// frames and GridTime's version in the model's metadata. The graph itself is each module's own export.
/// </summary>
public static class ExportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run folder whose latest checkpoint is exported.", HelpName = "DIR" };
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "A checkpoint of that run to export instead of its latest (alone: one in a run's checkpoints/ folder, which is then the run).",
            HelpName = "FILE",
        };
        var onnx = new Option<string>("--onnx") { Description = "The ONNX file to write.", HelpName = "FILE", Required = true };
        var command = new Command("export", "Write one step of a trained agent as an ONNX graph (observation, instruction, state -> logits, value, next_state).") { run, checkpoint, onnx };
        command.SetAction(parsed =>
        {
            string output = parsed.GetValue(onnx)!;
            string? file = parsed.GetValue(checkpoint);
            string folder = parsed.GetValue(run)
                ?? (file is null ? throw new UsageException("give the run to export with --run DIR (or a checkpoint of a run with --checkpoint FILE)") : RunLoading.RunOf(file));
            CheckpointFile read = RunLoading.Resolve(folder, file, "export it with --run set to the run it belongs to");
            if (read.Warning is not null)
            {
                Console.Error.WriteLine($"gridtime: warning: {read.Warning}");
            }

            var runFolder = new RunFolder(folder);

            OutputFile.Check(output, "ONNX file", OutputFormat.Onnx, read.Path);
            using Agents.ActorCritic network = RunLoading.Network(read);
            CheckpointProvenance provenance = CheckpointProvenance.Of(runFolder, read);
            Dictionary<string, string> metadata = provenance.Metadata();

            // The world the agent learned in: what a caller must feed it (T only at t = 0 for first-step, say).
            metadata["gridtime.settings"] = System.Text.Json.JsonSerializer.Serialize(read.Header.Config, Settings<TrainConfig>.Json);
            metadata["gridtime.instruction_shown"] = Settings<TrainConfig>.Format(read.Header.Config.InstructionShown);
            byte[] model = OnnxAgent.Export(network, RunFolder.GridTimeVersion, metadata);
            OutputFile.Write(output, stream => stream.Write(model));
            Console.WriteLine($"{output}: agent {network.Options.Core.Name()}, state size {network.StateSize}, from {provenance.Checkpoint} of run {provenance.Run} ({read.Header.Frames:N0} frames, sha256 {read.Sha256[..12]}), {model.Length:N0} bytes");
            return 0;
        });
        return command;
    }
}
