using System.Text.RegularExpressions;

namespace GridTime.Tests.Docs;

/// <summary>docs/python.md counts its own blocks right: the ones that need only Debian's packages are all but the last.</summary>
public sealed class PythonDocTests
{
    [Fact]
    public void TheBlocksThatNeedOnlyDebiansPackagesAreCountedRight()
    {
        string text = File.ReadAllText(Path.Combine(Repository.Root, "docs", "python.md"));
        string[] blocks = [.. Regex.Matches(text, "```python\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)];
        int debianOnly = blocks.Count(b => !b.StartsWith("# needs onnxruntime", StringComparison.Ordinal));
        string[] words = ["none", "first", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        Assert.Equal(blocks.Length - 1, debianOnly); // the last block alone needs ONNX Runtime
        Assert.Contains($"The first {words[debianOnly]} need only Debian's own", text);
    }
}
