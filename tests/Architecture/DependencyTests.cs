using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace GridTime.Tests.Architecture;

/// <summary>
/// Dependencies point one way: Environment ← Rendering; Environment, Agents, Rendering ← the library GridTime.Training ←
/// the gridtime program (Training/Cli). Read from the projects' references and from every GridTime namespace each
/// source file names, so an arrow that points back fails here even where the compiler would allow it (a namespace
/// named in a comment-free qualified name, a reference added to a project file).
/// </summary>
public sealed class DependencyTests
{
    // Each project (its folder from the repository root, its root namespace) and the projects it may use.
    private static readonly (string Name, string Folder, string Namespace, string[] MayUse)[] Projects =
    [
        ("Environment", "Environment", "GridTime.Environment", []),
        ("Agents", "Agents", "GridTime.Agents", ["Environment"]),
        ("Rendering", "Rendering", "GridTime.Rendering", ["Environment"]),
        ("Training", "Training", "GridTime.Training", ["Environment", "Agents", "Rendering"]),
        ("Cli", "Training/Cli", "GridTime.Cli", ["Training", "Environment", "Agents", "Rendering"]),
    ];

    public static TheoryData<string> ProjectNames => [.. Projects.Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(ProjectNames))]
    public void AProjectReferencesOnlyTheProjectsBelowIt(string name)
    {
        var project = Projects.Single(p => p.Name == name);
        string file = Directory.GetFiles(Path.Combine(Repository.Root, project.Folder), "*.csproj").Single();
        string[] references = [.. XDocument.Load(file).Descendants("ProjectReference").Select(r => ProjectOf(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, r.Attribute("Include")!.Value))))];
        Assert.All(references, reference => Assert.True(project.MayUse.Contains(reference), $"{name} references {reference}, an arrow that points back"));
    }

    [Theory]
    [MemberData(nameof(ProjectNames))]
    public void ASourceFileNamesOnlyNamespacesOfItsProjectAndThoseBelow(string name)
    {
        var project = Projects.Single(p => p.Name == name);
        var wrong = new List<string>();
        foreach (string source in SourceFiles(project.Folder))
        {
            string text = File.ReadAllText(source);
            foreach (Match match in Regex.Matches(text, @"\bGridTime\.(Environment|Agents|Rendering|Training|Cli)\b"))
            {
                string used = Projects.Single(p => p.Namespace == match.Value).Name;
                if (used != name && !project.MayUse.Contains(used))
                {
                    wrong.Add($"{Path.GetRelativePath(Repository.Root, source)} names {match.Value}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Distinct()));
    }

    [Fact]
    public void TheLibraryHasNoCommandLineNoTerminalAndNoExitCodes()
    {
        string project = File.ReadAllText(Path.Combine(Repository.Root, "Training", "GridTime.Training.csproj"));
        Assert.DoesNotContain("System.CommandLine", project, StringComparison.Ordinal);
        Assert.DoesNotContain("Spectre.Console", project, StringComparison.Ordinal);
        Assert.DoesNotContain("<OutputType>Exe", project, StringComparison.Ordinal);
        var wrong = SourceFiles("Training")
            .Where(source => Regex.IsMatch(File.ReadAllText(source), @"using (System\.CommandLine|Spectre\.Console)|Environment\.Exit\(|\bstatic int Main\("))
            .Select(source => Path.GetRelativePath(Repository.Root, source));
        Assert.Empty(wrong);
    }

    // The library's folders, each with the folders it may use: settings and files at the bottom, then the algorithm,
    // the run folders it writes, the evaluation that reads them, and what runs evaluations (sweeps, the API). The
    // root namespace holds what every folder shares (UsageException, FaultInjection) and the Trainer over them all.
    private static readonly (string Folder, string[] MayUse)[] LibraryFolders =
    [
        ("Files", []),
        ("Progress", []),
        ("Config", ["Files"]),
        ("A3C", ["Config", "Files"]),
        ("Runs", ["A3C", "Config", "Files", "Progress"]),
        ("Evaluation", ["Runs", "A3C", "Config", "Files", "Progress"]),
        ("Benchmark", ["A3C", "Config", "Files", "Progress"]),
        ("Sweeps", ["Evaluation", "Runs", "A3C", "Config", "Files", "Progress"]),
        ("Api", ["Evaluation", "Runs", "A3C", "Config", "Files"]),
    ];

    public static TheoryData<string> LibraryFolderNames => [.. LibraryFolders.Select(f => f.Folder)];

    [Theory]
    [MemberData(nameof(LibraryFolderNames))]
    public void ALibraryFolderNamesOnlyTheFoldersBelowIt(string folder)
    {
        string[] mayUse = LibraryFolders.Single(f => f.Folder == folder).MayUse;
        string[] folders = [.. LibraryFolders.Select(f => f.Folder)];
        var wrong = new List<string>();
        foreach (string source in SourceFiles(Path.Combine("Training", folder)))
        {
            // A namespace in full (GridTime.Training.Runs) or, from inside the library, by its last part (Runs.Checkpoint).
            string text = File.ReadAllText(source);
            foreach (Match match in Regex.Matches(text, @"\bGridTime\.Training\.(\w+)|(?<![\w.])(\w+)\.[A-Z]\w*"))
            {
                string used = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
                if (used != folder && folders.Contains(used) && !mayUse.Contains(used))
                {
                    wrong.Add($"{Path.GetRelativePath(Repository.Root, source)} names {used}: {match.Value}");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Distinct()));
    }

    [Fact]
    public void EveryLibraryFolderHasItsPlaceInTheOrder()
    {
        string[] folders = [.. Directory.GetDirectories(Path.Combine(Repository.Root, "Training")).Select(d => Path.GetFileName(d)).Where(f => f is not ("bin" or "obj" or "Cli"))];
        Assert.Equal(folders.Order(), LibraryFolders.Select(f => f.Folder).Order());
    }

    [Fact]
    public void TheWorldNeedsNoLibtorch()
    {
        string project = File.ReadAllText(Path.Combine(Repository.Root, "Environment", "GridTime.Environment.csproj"));
        Assert.DoesNotContain("TorchSharp", project, StringComparison.Ordinal);
        var wrong = SourceFiles("Environment")
            .Where(source => File.ReadAllText(source).Contains("TorchSharp", StringComparison.Ordinal))
            .Select(source => Path.GetRelativePath(Repository.Root, source));
        Assert.Empty(wrong);
    }

    // The C# files of the project in folder (a project's sources are its folder's, less the folders of projects inside it and build output).
    private static IEnumerable<string> SourceFiles(string folder)
    {
        string root = Path.Combine(Repository.Root, folder);
        string[] inner = [.. Projects.Where(p => p.Folder != folder && p.Folder.StartsWith(folder + "/", StringComparison.Ordinal)).Select(p => Path.Combine(Repository.Root, p.Folder) + "/")];
        return Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(file =>
        {
            string relative = Path.GetRelativePath(root, file);
            return !relative.StartsWith("bin/", StringComparison.Ordinal) && !relative.StartsWith("obj/", StringComparison.Ordinal)
                && !inner.Any(prefix => file.StartsWith(prefix, StringComparison.Ordinal));
        });
    }

    private static string ProjectOf(string projectFile) =>
        Projects.Single(p => Path.GetFullPath(Path.Combine(Repository.Root, p.Folder)) == Path.GetDirectoryName(projectFile)).Name;
}
