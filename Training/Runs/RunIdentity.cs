using System.Security.Cryptography;

namespace GridTime.Training.Runs;

/// <summary>
/// The identity of a run: made once when the run is created, written into its config.json and into every
/// checkpoint it saves, so a checkpoint copied into another run's folder is recognised as a stranger.
/// </summary>
public static class RunIdentity
{
    /// <summary>A new identity: the creation time (UTC) and 64 random bits, e.g. "20261129T190512Z-3f9a0c1d2e4b5a69".</summary>
    public static string New() => $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";
}
