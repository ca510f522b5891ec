using System.Diagnostics;
using System.Globalization;
using GridTime.Tests.Training;
using GridTime.Training.Config;

namespace GridTime.Tests.Reliability;

/// <summary>
/// Every kind of bad input of issue 17 through the whole program: exit code 2, exactly one line on stderr
/// starting with "gridtime:", no stack trace, and the run folder given is not created. Run under the invariant
/// culture and under de-DE (where '.' is a thousands separator).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class BadInputTests
{
    // {run} is replaced by a run folder that must not be created, {dir} by the test's folder, {fifo} by a named
    // pipe, {big} by a sparse file larger than any input may be, {dup} by a config file with a duplicate key, {negativeSeed} by one with seed -1,
    // {log} by a valid-looking file name that does not matter (the empty value is refused first).
    public static TheoryData<string, string[], string> Cases
    {
        get
        {
            var data = new TheoryData<string, string[], string>();
            foreach (string culture in new[] { "", "de-DE" })
            {
                void Add(string expected, params string[] args) => data.Add(culture, args, expected);

                // Doubles: NaN and ±Infinity are refused for every double setting.
                foreach (string flag in new[] { "--learning-rate", "--nac-learning-rate-scale", "--adam-beta1", "--adam-beta2", "--adam-epsilon", "--gamma", "--gae-lambda", "--entropy-coef", "--value-coef", "--grad-clip", "--progress-seconds" })
                {
                    foreach (string value in new[] { "NaN", "Infinity", "-Infinity" })
                    {
                        Add(flag, "train", "--run-dir", "{run}", flag, value);
                    }
                }

                Add("--progress-seconds", "train", "--run-dir", "{run}", "--progress-seconds", "1e300");
                Add("--progress-seconds", "train", "--run-dir", "{run}", "--progress-seconds", "86401");
                Add("--frames", "train", "--run-dir", "{run}", "--frames", "8999999999999999999");
                Add("--frames", "train", "--run-dir", "{run}", "--frames", "1e14");
                Add("--log-interval", "train", "--run-dir", "{run}", "--log-interval", "8999999999999999999");
                Add("--checkpoint-interval", "train", "--run-dir", "{run}", "--checkpoint-interval", "8999999999999999999");

                // Sizes: bounded, and a network or batch that cannot fit is refused before it is allocated.
                Add("--hidden", "train", "--run-dir", "{run}", "--hidden", "100000");
                Add("--arithmetic-width", "train", "--run-dir", "{run}", "--arithmetic-width", "100000");
                Add("--workers", "train", "--run-dir", "{run}", "--workers", "100000");
                Add("is a file, not a folder: name a new folder for the run", "train", "--run-dir", "{dup}", "--frames", "1000");
                Add("--envs-per-worker", "train", "--run-dir", "{run}", "--envs-per-worker", "100000");
                Add("--steps", "train", "--run-dir", "{run}", "--steps", "100000");
                Add("GiB (weights, Adam moments", "train", "--run-dir", "{run}", "--hidden", "8192", "--workers", "1024");

                // The task: T and m within GridWorldOptions' maxima (L = T + m must not overflow).
                Add("--max-reward", "train", "--run-dir", "{run}", "--max-reward", "2147483647");
                Add("--max-reward", "train", "--run-dir", "{run}", "--max-reward", "1000001");
                Add("--max-t", "train", "--run-dir", "{run}", "--max-t", "2147483647");
                Add("--min-t", "train", "--run-dir", "{run}", "--min-t", "1000001", "--max-t", "1000002");
                Add("--t-to", "eval", "--run", "{dir}", "--t-from", "2147483640", "--t-to", "2147483647");
                Add("--t-to", "eval", "--run", "{dir}", "--t-to", "1000001");
                Add("--episodes", "eval", "--run", "{dir}", "--t-to", "1000", "--episodes", "100000");
                Add("--t-to", "reproduce", "--run-dir", "{run}", "--t-from", "2147483640", "--t-to", "2147483647");

                // Config files: duplicate keys, FIFOs, devices, folders, oversized files, empty paths.
                Add("Duplicate property 'hidden'", "train", "--run-dir", "{run}", "--config", "{dup}");
                Add("FIFO", "train", "--run-dir", "{run}", "--config", "{fifo}");
                Add("device", "train", "--run-dir", "{run}", "--config", "/dev/zero");
                Add("directory", "train", "--run-dir", "{run}", "--config", "{dir}");
                Add("more than the 1,048,576", "train", "--run-dir", "{run}", "--config", "{big}");

                // Empty paths.
                Add("--run-dir: the value is empty", "train", "--run-dir", "");
                Add("--resume: the value is empty", "train", "--resume", "");
                Add("--config: the value is empty", "train", "--run-dir", "{run}", "--config", "");
                Add("--run: the value is empty", "inspect", "--run", "");
                Add("--checkpoint: the value is empty", "inspect", "--checkpoint", "");
                Add("--run: the value is empty", "eval", "--run", "");
                Add("--episodes: expected integer, got 'x'", "eval", "--run", "{dir}", "--episodes", "x");
                Add("--first-seed: expected whole number from 0 to 18446744073709551615, got '-1'", "sweep", "--run-dir", "{dir}/sweep", "--agents", "nac", "--first-seed", "-1");
                Add("--seed: expected whole number from 0 to 18446744073709551615, got '-1'", "train", "--run-dir", "{dir}/new", "--seed", "-1");
                Add("\"seed\": expected whole number from 0 to 18446744073709551615, got -1", "train", "--run-dir", "{dir}/new", "--config", "{negativeSeed}");
                Add("(see gridtime sweep status --help)", "sweep", "status", "{dir}");
                Add("--time-left-loss 0 with --time-left-gradient time-left-loss (the default) would leave the time-left readout untrained", "train", "--agent", "timer", "--time-left-loss", "0", "--run-dir", "{dir}/new");
                Add("--seed: expected whole number from 0 to 18446744073709551615, got '-1'", "eval", "--run", "{dir}", "--seed", "-1");
                Add("--checkpoint: the value is empty", "eval", "--run", "{dir}", "--checkpoint", "");
                Add("--run-dir: the value is empty", "reproduce", "--run-dir", "");
                Add("<log> argument: the value is empty", "replay", "", "--out", "{dir}/x.gif");
                Add("--out: the value is empty", "replay", "{dup}", "--out", "");

                // Episode logs of replay.
                Add("FIFO", "replay", "{fifo}", "--out", "{dir}/x.gif");
                Add("device", "replay", "/dev/zero", "--out", "{dir}/x.gif");
                Add("directory", "replay", "{dir}", "--out", "{dir}/x.gif");
                Add("more than the 1,073,741,824", "replay", "{big}", "--out", "{dir}/x.gif");
                Add("--fps", "replay", "{dup}", "--out", "{dir}/x.gif", "--fps", "Infinity");
                Add("--fps", "replay", "{dup}", "--out", "{dir}/x.gif", "--fps", "2,5");

                // arith.
                Add("--lr", "arith", "--lr", "NaN");
                Add("--lr", "arith", "--lr", "Infinity");
                Add("--steps", "arith", "--steps", "2000000");
                Add("--seeds must be 1..1000", "arith", "--seeds", "0");
                Add("--seeds must be 1..1000", "arith", "--seeds", "5", "--seed", "18446744073709551614");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInputIsOneLineAndExitCode2AndWritesNothing(string culture, string[] template, string expected)
    {
        using var folder = new TemporaryFolder();
        string run = folder["run"], fifo = folder["pipe"], big = folder["big"], dup = folder["dup.json"];
        Assert.Equal(0, Process.Start("mkfifo", fifo)!.WaitForExitAndCode());
        using (var stream = File.Create(big))
        {
            stream.SetLength((1L << 30) + 1); // sparse: no disk space used
        }

        File.WriteAllText(dup, """{"hidden":32,"hidden":64}""");
        string negativeSeed = folder["negative-seed.json"];
        File.WriteAllText(negativeSeed, """{"seed": -1}""");
        string[] args = [.. template.Select(a => a.Replace("{run}", run).Replace("{dir}", folder.Path).Replace("{fifo}", fifo).Replace("{big}", big).Replace("{dup}", dup).Replace("{negativeSeed}", negativeSeed))];

        (int code, string output, string error) = RunWithin(TimeSpan.FromSeconds(20), fifo, culture, args);

        Assert.True(code == 2, $"exit {code}: {error}");
        string[] lines = error.TrimEnd('\n').Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("gridtime: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("   at ", output);
        Assert.False(Directory.Exists(run), "the run folder was created");
        Assert.False(File.Exists(folder["x.gif"]), "a GIF was written");
    }

    [Fact]
    public void UnderGermanCultureNumbersStillReadAsWritten()
    {
        // --gamma 1.5 is refused and reported back as written; de-DE would have printed 1,5.
        using var folder = new TemporaryFolder();
        (int code, _, string error) = RunWithin(TimeSpan.FromSeconds(20), null, "de-DE", "train", "--run-dir", folder["run"], "--gamma", "1.5");
        Assert.Equal(2, code);
        Assert.Contains("--gamma must be in [0, 1], got 1.5", error);
    }

    [Fact]
    public void TheCallersCultureIsRestoredAfterTheProgramRuns()
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        CultureInfo? threadDefault = CultureInfo.DefaultThreadCurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            Assert.Equal(2, Gridtime.Run("demo", "--episodes", "0").ExitCode);
            Assert.Equal("de-DE", CultureInfo.CurrentCulture.Name);
            Assert.Same(threadDefault, CultureInfo.DefaultThreadCurrentCulture);
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void TheMemoryEstimateRefusesBeforeAllocating()
    {
        var config = new TrainConfig { Hidden = 8192, Workers = 1024 };
        string problem = Assert.Single(config.Problems());
        Assert.Contains("--hidden 8192, --workers 1024", problem);
        Assert.Contains("GiB", problem);
    }

    /// <summary>
    /// Runs the program on another thread under <paramref name="culture"/> ("" = invariant) and fails if it has not
    /// finished within <paramref name="limit"/> (a FIFO read by the old code blocks forever; the pipe is then opened
    /// for writing and closed, which ends that read, so the thread does not outlive the test).
    /// </summary>
    internal static (int Code, string Output, string Error) RunWithin(TimeSpan limit, string? fifo, string culture, params string[] args)
    {
        var task = Task.Factory.StartNew(
            () =>
            {
                CultureInfo before = CultureInfo.CurrentCulture;
                try
                {
                    CultureInfo.CurrentCulture = culture.Length == 0 ? CultureInfo.InvariantCulture : new CultureInfo(culture);
                    return Gridtime.Run(args);
                }
                finally
                {
                    CultureInfo.CurrentCulture = before;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        if (!task.Wait(limit))
        {
            if (fifo is not null)
            {
                using (var release = new FileStream(fifo, FileMode.Open, FileAccess.Write))
                {
                }

                task.Wait(TimeSpan.FromSeconds(10));
            }

            Assert.Fail($"gridtime {string.Join(' ', args)} did not finish within {limit.TotalSeconds} s");
        }

        return task.Result;
    }
}

internal static class ProcessExtensions
{
    public static int WaitForExitAndCode(this Process process)
    {
        using (process)
        {
            process.WaitForExit();
            return process.ExitCode;
        }
    }
}
