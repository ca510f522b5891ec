namespace GridTime.Tests;

/// <summary>The repository the tests were built from (the folder holding GridTime.sln above the test binaries).</summary>
public static class Repository
{
    /// <summary>Its full path.</summary>
    /// <exception cref="InvalidOperationException">No folder above the test binaries holds GridTime.sln.</exception>
    public static string Root { get; } = Find();

    private static string Find()
    {
        string? folder = AppContext.BaseDirectory;
        while (folder is not null && !File.Exists(Path.Combine(folder, "GridTime.sln")))
        {
            folder = Path.GetDirectoryName(folder);
        }

        return folder ?? throw new InvalidOperationException("the repository holding GridTime.sln was not found above " + AppContext.BaseDirectory);
    }
}
