namespace GridTime.Tests.Reliability;

/// <summary>Command lines of the tiny training runs the reliability tests crash, damage and resume.</summary>
public static class ReliabilityRuns
{
    /// <summary>A new run of a small network, logging, checkpointing and recording episodes often.</summary>
    public static string[] Train(string run, long frames, long checkpointInterval = 400) =>
        ["train", "--run-dir", run, "--frames", frames.ToString(System.Globalization.CultureInfo.InvariantCulture), "--hidden", "16", "--workers", "2",
            "--envs-per-worker", "4", "--steps", "5", "--log-interval", "200", "--checkpoint-interval", checkpointInterval.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--episode-log-every", "1", "--arithmetic-width", "2"];
}
