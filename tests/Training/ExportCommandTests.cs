using GridTime.Agents.Onnx;
using GridTime.Tests.Agents;
using GridTime.Training;
using GridTime.Cli.Commands;
using GridTime.Training.Runs;
using Microsoft.ML.OnnxRuntime;

namespace GridTime.Tests.Training;

[Collection(ConsoleCollection.Name)]
public sealed class ExportCommandTests
{
    [Fact]
    public void ExportWritesTheTrainedAgentWithItsProvenanceAndItAgreesWithTheCheckpoint()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"], onnx = folder["agent.onnx"];
        (int code, string output, string error) = Gridtime.Run("train", "--run-dir", run, "--agent", "counter", "--frames", "2000", "--hidden", "32",
            "--workers", "1", "--envs-per-worker", "4", "--steps", "5", "--checkpoint-interval", "1000", "--log-interval", "1000", "--episode-log-every", "0");
        Assert.True(code == 0, error + output);

        (code, output, error) = Gridtime.Run("export", "--run", run, "--onnx", onnx);
        Assert.True(code == 0, error + output);
        Assert.Contains("agent counter, state size 72", output);

        using var session = new InferenceSession(onnx);
        Dictionary<string, string> metadata = session.ModelMetadata.CustomMetadataMap;
        GridTime.Training.Runs.CheckpointFile checkpoint = RunLoading.Read(run);
        Assert.Equal(checkpoint.Sha256, metadata["gridtime.checkpoint_sha256"]);
        Assert.Equal("run", metadata["gridtime.run"]);
        Assert.Equal(checkpoint.Header.RunId, metadata["gridtime.run_id"]);
        Assert.Equal("checkpoints/frames-00000002000.ckpt", metadata["gridtime.checkpoint"]); // latest.ckpt's bytes, by the name that stays, as eval names them
        Assert.Equal("2000", metadata["gridtime.checkpoint_frames"]);
        Assert.Equal(RunFolder.Versions["gridtime"], metadata["gridtime.version"]);

        // export --checkpoint alone takes the run the checkpoint lies in; a checkpoint outside any run needs --run.
        string again = folder["again.onnx"];
        (code, output, error) = Gridtime.Run("export", "--checkpoint", Path.Combine(run, "checkpoints", "latest.ckpt"), "--onnx", again);
        Assert.True(code == 0, error + output);
        using (var second = new InferenceSession(again))
        {
            Assert.Equal(metadata.OrderBy(m => m.Key), second.ModelMetadata.CustomMetadataMap.OrderBy(m => m.Key));
        }

        File.Copy(Path.Combine(run, "checkpoints", "latest.ckpt"), folder["loose.ckpt"]);
        (code, _, error) = Gridtime.Run("export", "--checkpoint", folder["loose.ckpt"], "--onnx", folder["loose.onnx"]);
        Assert.Equal(2, code);
        Assert.Contains("is not in a run's checkpoints/ folder: give --run DIR", error);
        Assert.False(File.Exists(folder["loose.onnx"]));

        // inspect names the same file, with its run or alone (the checkpoint lies in the run that owns it).
        string line = $"provenance: checkpoints/frames-00000002000.ckpt sha256 {checkpoint.Sha256}, run id {checkpoint.Header.RunId}; GridTime {RunFolder.Versions["gridtime"]}";
        foreach (string[] inspect in new[] { new[] { "inspect", "--run", run }, ["inspect", "--checkpoint", Path.Combine(run, "checkpoints", "latest.ckpt")] })
        {
            (code, output, error) = Gridtime.Run(inspect);
            Assert.True(code == 0, error + output);
            Assert.Contains(line, output);
        }
        Assert.Equal("every-step", metadata["gridtime.instruction_shown"]);
        Assert.Contains("\"agentStart\": \"random\"", metadata["gridtime.settings"]);
        using GridTime.Agents.ActorCritic network = RunLoading.Network(checkpoint);
        (float logits, float values, _) = OnnxExportTests.Compare(network, session);
        Assert.True(logits <= 1e-4f && values <= 1e-4f, $"logits differ by {logits}, values by {values}");
    }

    [Fact]
    public void ExportMakesMissingFoldersAndRefusesAFileWhereAFolderMustBe()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run("train", "--run-dir", run, "--frames", "300", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4", "--steps", "5").ExitCode);

        (int code, string output, string error) = Gridtime.Run("export", "--run", run, "--onnx", Path.Combine(folder["new"], "deeper", "agent.onnx"));
        Assert.True(code == 0, error + output);
        Assert.True(File.Exists(Path.Combine(folder["new"], "deeper", "agent.onnx")));

        File.WriteAllText(folder["a file"], "");
        (code, output, error) = Gridtime.Run("export", "--run", run, "--onnx", Path.Combine(folder["a file"], "agent.onnx"));
        Assert.Equal(2, code);
        Assert.Equal($"gridtime: ONNX file {Path.Combine(folder["a file"], "agent.onnx")}: {folder["a file"]} is a file, not a folder", error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public void ExportRefusesAMissingRunAndACheckpointOfAnotherRun()
    {
        using var folder = new TemporaryFolder();
        (int code, _, string error) = Gridtime.Run("export", "--run", folder["nothing"], "--onnx", folder["a.onnx"]);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error);

        foreach (string run in (string[])["a", "b"])
        {
            Assert.Equal(0, Gridtime.Run("train", "--run-dir", folder[run], "--frames", "500", "--hidden", "16", "--workers", "1", "--envs-per-worker", "4",
                "--steps", "5", "--checkpoint-interval", "500", "--log-interval", "500", "--episode-log-every", "0").ExitCode);
        }

        (code, _, error) = Gridtime.Run("export", "--run", folder["b"], "--checkpoint", Path.Combine(folder["a"], "checkpoints", "latest.ckpt"), "--onnx", folder["a.onnx"]);
        Assert.Equal(2, code);
        Assert.Contains("export it with --run set to the run it belongs to", error);
        Assert.False(File.Exists(folder["a.onnx"]));
    }
}
