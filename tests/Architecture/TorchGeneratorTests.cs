using System.Text.RegularExpressions;

namespace GridTime.Tests.Architecture;

/// <summary>
/// torch's default generator is one for the whole process. A network is built from its seed under
/// <c>SeededConstruction</c>'s lock; a test running beside it that draws from that generator outside the lock (a module's
/// initial weights, <c>randn</c> without a generator, <c>manual_seed</c>) moves the network's draws, and a test of "the same
/// seed gives the same network" fails now and then. Tests in a collection that runs alone may draw freely.
/// </summary>
public sealed partial class TorchGeneratorTests
{
    [Fact]
    public void ATestRunningBesideOthersDrawsFromTorchsGeneratorOnlyUnderTheSeedLock()
    {
        string tests = Path.Combine(Repository.Root, "tests");
        string[] files = [.. Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(tests, f))];
        // The collections that run alone ([CollectionDefinition(Name, DisableParallelization = true)] on class X).
        string[] alone = [.. files.SelectMany(f => AloneCollection().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))];
        Assert.Contains("KernelSwitchCollection", alone); // the scan reads the definitions it depends on

        var offenders = new List<string>();
        foreach (string file in files.Where(f => !f.EndsWith(nameof(TorchGeneratorTests) + ".cs", StringComparison.Ordinal)))
        {
            // Class by class: a file may hold a class that runs alone beside others that do not.
            string[] lines = File.ReadAllText(file).Split('\n');
            string? collection = null;
            bool runsAlone = false;
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i];
                if (CollectionAttribute().Match(line) is { Success: true } attribute)
                {
                    collection = attribute.Groups[1].Value;
                }
                else if (TopLevelClass().IsMatch(line))
                {
                    runsAlone = collection is not null && alone.Contains(collection);
                    collection = null;
                }

                if (!runsAlone && Draws().IsMatch(line) && !line.Contains("SeededConstruction.Build(", StringComparison.Ordinal) && !line.Contains("generator:", StringComparison.Ordinal))
                {
                    offenders.Add($"{Path.GetRelativePath(Repository.Root, file)}:{i + 1}: {line.Trim()}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "draws from torch's process-wide generator outside SeededConstruction.Build, in tests that run beside others:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void TheScanSeesAModuleBuiltOutsideTheLock()
    {
        Assert.Matches(Draws(), "        using var core = new TimerCore(features: 3, hidden: 4, cap: 12);");
        Assert.Matches(Draws(), "        Conv2d conv = nn.Conv2d(3, 16, 8, stride: 4);");
        Assert.Matches(Draws(), "        manual_seed(3);");
        Assert.Matches(Draws(), "        Tensor x = randn(3, 8);");
        Assert.Matches(Draws(), "                using var core = CoreTable.Of(kind).Build(options);");
        Assert.Matches(Draws(), "        weight.normal_();");
        Assert.DoesNotMatch(Draws(), "        Tensor x = tensor(new[] { 1f });");
        Assert.DoesNotMatch(Draws(), "        var options = new AgentOptions { Core = CoreKind.Nac };");
    }

    private static bool IsBuildOutput(string tests, string file)
    {
        string relative = Path.GetRelativePath(tests, file).Replace('\\', '/');
        return relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal);
    }

    // A module of torch's (nn.Linear(...)) or of GridTime's layers and cores, or a draw from the default generator (a draw
    // given its own generator, `generator: g` on the same line, is not one). Line by line: a statement split over lines
    // is read a line at a time.
    [GeneratedRegex(@"\bnn\.[A-Z]\w*\(|\bnn\.init\.|\bnew (Nau|Nac|Nalu|Nmu|ConvEncoder|\w+Core)\(|\bCoreTable\.Of\([^)]*\)\.Build\(|\bmanual_seed\(|\.(normal_|uniform_|random_|bernoulli_)\(|\b(rand|randn|randint|randperm|rand_like|randn_like|bernoulli|multinomial|dropout)\(")]
    private static partial Regex Draws();

    [GeneratedRegex(@"\[CollectionDefinition\(Name, DisableParallelization = true\)\]\s*public\s+(?:sealed\s+)?class\s+(\w+)")]
    private static partial Regex AloneCollection();

    [GeneratedRegex(@"^\[Collection\((\w+)\.Name\)\]")]
    private static partial Regex CollectionAttribute();

    // A class declared at the top of a file (file-scoped namespaces: no indentation).
    [GeneratedRegex(@"^(public |internal )?((sealed|static|abstract|partial|unsafe) )*class \w+")]
    private static partial Regex TopLevelClass();
}
