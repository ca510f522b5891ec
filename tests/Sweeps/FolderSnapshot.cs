namespace GridTime.Tests.Sweeps;

/// <summary>Every file below a folder, byte for byte: what a refused command must leave as it was.</summary>
public static class FolderSnapshot
{
    /// <summary>Each file's path and bytes.</summary>
    public static Dictionary<string, byte[]> Take(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    /// <summary>Asserts <paramref name="folder"/> holds the same files as <paramref name="before"/>, byte for byte: a refused command wrote nothing.</summary>
    public static void AssertUnchanged(Dictionary<string, byte[]> before, string folder)
    {
        Dictionary<string, byte[]> after = Take(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, file => Assert.Equal(file.Value, after[file.Key]));
    }
}
