using GridTime.Tests.Training;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Tests.Reliability;

/// <summary>
/// A mistyped --out never replaces a run's weights or results: a file of another kind, or a name that promises another
/// kind, is refused with one line before anything is written.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OutputKindTests
{
    [Fact]
    public void KindsAreToldFromTheirFirstBytes()
    {
        Assert.Equal("a PNG", OutputFormats.Sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]));
        Assert.Equal("a GIF", OutputFormats.Sniff("GIF89a\0\0"u8));
        Assert.Equal("a checkpoint", OutputFormats.Sniff("GTCKPT02\x10\0\0\0"u8));
        Assert.Equal("an agent file", OutputFormats.Sniff("GTAGENT1\0"u8));
        Assert.Equal("a text file", OutputFormats.Sniff("T,episodes\n1,2\n"u8));
        Assert.Equal("a text file", OutputFormats.Sniff("grö"u8[..^1])); // a character cut at the end of the sample
        Assert.Equal(OutputFormats.Unknown, OutputFormats.Sniff([0x92, 0x01, 0x00, 0xff])); // a binary GridTime does not name
        Assert.Null(OutputFormats.Sniff([]));
        Assert.Equal("an episode log", OutputFormats.Sniff([0xde, 0x00, 0x16, 0xa6, .. "schema"u8, 0x02, 0xa3])); // map16, "schema": 2
        Assert.Equal("an episode log", OutputFormats.Sniff([0x83, 0xa6, .. "schema"u8, 0x02]));                   // fixmap
        Assert.Equal("a TensorBoard event file", OutputFormats.Sniff([0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22, 0x09, 0x58, 0xe4, 0x4f, 0xcf, 0x36, 0xc3, 0xda, 0x41, 0x1a, 0x0d, .. "brain.Event:2"u8]));

        Assert.True(OutputFormat.Csv.MayReplace("a text file", "x.csv"));
        Assert.True(OutputFormat.Png.MayReplace("a PNG", "x.png"));
        Assert.True(OutputFormat.Png.MayReplace(null, "x"));                          // empty
        Assert.True(OutputFormat.Onnx.MayReplace(OutputFormats.Unknown, "m.onnx"));   // an earlier export
        Assert.False(OutputFormat.Png.MayReplace(OutputFormats.Unknown, "curves"));   // something else, named for nothing
        Assert.True(OutputFormat.Msgpack.MayReplace("an episode log", "eval-episodes.msgpack"));
        Assert.False(OutputFormat.Png.MayReplace("an episode log", "ep"));
        Assert.False(OutputFormat.Png.MayReplace("a text file", "x"));
        Assert.False(OutputFormat.Gif.MayReplace("a PNG", "x"));
        Assert.False(OutputFormat.Csv.MayReplace("a checkpoint", "x"));

        Assert.Equal(OutputFormat.Markdown, OutputFormats.ForName("summary.md"));
        Assert.Equal(OutputFormat.Msgpack, OutputFormats.ForName("eval-episodes.msgpack"));
        Assert.Equal("a checkpoint", OutputFormats.PromisedBy("runs/a/checkpoints/latest.ckpt"));
        Assert.Null(OutputFormats.PromisedBy("curves"));
    }

    [Fact]
    public void PlotAndReplayDoNotReplaceARunsCheckpointsOrResults()
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"];
        Assert.Equal(0, Gridtime.Run(ReliabilityRuns.Train(run, frames: 400)).ExitCode);
        Assert.Equal(0, Gridtime.Run("eval", "--run", run, "--t-to", "3", "--episodes", "2").ExitCode);
        var files = new RunFolder(run);
        string log = Directory.GetFiles(files.EpisodeFolder, "*.msgpack")[0];
        string periodic = Directory.GetFiles(files.CheckpointFolder, "frames-*.ckpt")[0];
        Dictionary<string, byte[]> before = Directory.GetFiles(run, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

        (string[] Command, string Message)[] cases =
        [
            (["plot", "--run", run, "--out", files.LatestCheckpoint], $"is in the checkpoints/ folder of the run {run}, which holds only its training's own files"),
            (["replay", log, "--last", "--out", periodic], $"is in the checkpoints/ folder of the run {run}"),
            (["plot", "--run", run, "--out", Path.Combine(run, "eval.csv")], $"is eval.csv of the run {run}, written by another command"),
            (["replay", log, "--last", "--out", Path.Combine(run, "eval.png")], $"is eval.png of the run {run}, written by another command"),
            (["plot", "--run", run, "--out", folder["weights.ckpt"]], "the name promises a checkpoint, but this is a PNG; name it *.png"),
            (["replay", log, "--last", "--out", folder["new.png"]], "the name promises a PNG, but this is a GIF; name it *.gif"),
        ];
        foreach ((string[] command, string message) in cases)
        {
            (int code, _, string error) = Gridtime.Run(command);
            Assert.True(code == 2, $"{string.Join(' ', command)}: {code} {error}");
            Assert.Contains(message, error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
        }

        // An existing file of another kind under a name that promises nothing: refused by what it holds.
        string renamed = folder["weights"];
        File.Copy(files.LatestCheckpoint, renamed);
        (int status, _, string refusal) = Gridtime.Run("plot", "--run", run, "--out", renamed);
        Assert.Equal(2, status);
        Assert.Contains("exists and is a checkpoint, not a PNG: refusing to replace it", refusal, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(files.LatestCheckpoint), File.ReadAllBytes(renamed));

        // Copies of an episode log and of a TensorBoard event file under names that promise nothing: refused by what they hold.
        string tensorBoard = Directory.GetFiles(files.TensorBoardFolder)[0];
        foreach ((string source, string kind) in new[] { (log, "an episode log"), (tensorBoard, "a TensorBoard event file") })
        {
            string copy = folder[$"copy-{Path.GetFileName(source)}"[..12]];
            File.Copy(source, copy);
            (status, _, refusal) = Gridtime.Run("plot", "--run", run, "--out", copy);
            Assert.Equal(2, status);
            Assert.Contains($"exists and is {kind}, not a PNG", refusal, StringComparison.Ordinal);
            (status, _, refusal) = Gridtime.Run("replay", log, "--last", "--out", copy);
            Assert.Equal(2, status);
            Assert.Contains($"exists and is {kind}, not a GIF", refusal, StringComparison.Ordinal);
            Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(copy));
        }

        // A run's own files, even of the plot's kind, and anything in its checkpoints/, episodes/ or tb/ folder.
        (status, _, refusal) = Gridtime.Run("plot", "--run", run, "--out", Path.Combine(run, "eval.png"));
        Assert.Equal(2, status);
        Assert.Contains($"is eval.png of the run {run}, written by another command: choose another name", refusal, StringComparison.Ordinal);
        (status, _, refusal) = Gridtime.Run("plot", "--run", run, "--out", Path.Combine(files.TensorBoardFolder, "curves.png"));
        Assert.Equal(2, status);
        Assert.Contains($"is in the tb/ folder of the run {run}", refusal, StringComparison.Ordinal);

        Assert.All(before, file => Assert.Equal(file.Value, File.ReadAllBytes(file.Key)));
        Assert.False(File.Exists(folder["new.png"]));

        // Its own kind is replaced as before; a name without an extension is fine.
        Assert.Equal(0, Gridtime.Run("plot", "--run", run, "--out", folder["curves.png"]).ExitCode);
        Assert.Equal(0, Gridtime.Run("plot", "--run", run, "--out", folder["curves.png"]).ExitCode);
        Assert.Equal(0, Gridtime.Run("replay", log, "--last", "--out", folder["episode"]).ExitCode);
    }
}
