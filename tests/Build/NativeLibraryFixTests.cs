using System.Reflection;
using GridTime.Build;
using TorchSharp;

namespace GridTime.Tests.Build;

/// <summary>The build's fix for TorchSharp's native library, and proof that torch loads.</summary>
public sealed class NativeLibraryFixTests : IDisposable
{
    private const string Library = "libstdc++.so.6";
    private const string Version = "GLIBCXX_3.4.32";
    private const string Symbol = "_ZSt21ios_base_library_initv";
    private readonly string _folder = Directory.CreateTempSubdirectory("gridtime-elf-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ATensorOperationRuns()
    {
        using var a = torch.arange(1, 5, dtype: torch.float32);
        using var product = torch.matmul(a, a);
        Assert.Equal(30f, product.item<float>());
    }

    [Fact]
    public void TheLibraryInTheTestOutputHasAWeakRequirement()
    {
        string copied = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        byte[] image = File.ReadAllBytes(copied);
        int flags = ElfVersionRequirement.FindRequirementFlags(image, Library, Version, Symbol);
        Assert.True(flags > 0);
        Assert.Equal(2, image[flags] & 2);
    }

    [Fact]
    public void PatchingChangesOnlyTheFlagAndIsIdempotent()
    {
        string path = CopyOfOriginal();
        byte[] before = File.ReadAllBytes(path);
        DateTime modified = File.GetLastWriteTimeUtc(path);

        Assert.Equal(WeakenOutcome.Patched, ElfVersionRequirement.MakeWeak(path, Library, Version, Symbol));
        byte[] after = File.ReadAllBytes(path);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        int flags = ElfVersionRequirement.FindRequirementFlags(after, Library, Version, Symbol);
        Assert.Equal([flags], changed);
        Assert.Equal(before[flags] | 2, after[flags]);
        Assert.Equal(modified, File.GetLastWriteTimeUtc(path));

        Assert.Equal(WeakenOutcome.AlreadyWeak, ElfVersionRequirement.MakeWeak(path, Library, Version, Symbol));
        Assert.Equal(after, File.ReadAllBytes(path));
    }

    [Fact]
    public void AVersionTheFileDoesNotNeedIsLeftAlone()
    {
        string path = CopyOfOriginal();
        byte[] before = File.ReadAllBytes(path);
        Assert.Equal(WeakenOutcome.NotRequired, ElfVersionRequirement.MakeWeak(path, Library, "GLIBCXX_9.9.99", Symbol));
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void RefusesAFileThatIsNotElf()
    {
        string path = Path.Combine(_folder, "not-elf.so");
        File.WriteAllText(path, "this is not a shared library, just some text that is long enough to have a header".PadRight(200, '.'));
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionRequirement.MakeWeak(path, Library, Version, Symbol));
        Assert.Contains("not an ELF file", error.Message);
    }

    [Fact]
    public void RefusesATruncatedFileAndLeavesItUntouched()
    {
        string path = CopyOfOriginal();
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(whole.Length / 3)]);
        byte[] before = File.ReadAllBytes(path);
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionRequirement.MakeWeak(path, Library, Version, Symbol));
        Assert.Contains(path, error.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void RefusesWhenAnotherSymbolNeedsTheVersion()
    {
        // Rename the one bound symbol in the string table: the version now seems needed by something else.
        string path = CopyOfOriginal();
        byte[] image = File.ReadAllBytes(path);
        byte[] name = System.Text.Encoding.ASCII.GetBytes(Symbol + "\0");
        int at = image.AsSpan().IndexOf(name);
        Assert.True(at > 0);
        image[at + Symbol.Length - 1] = (byte)'X';
        File.WriteAllBytes(path, image);
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionRequirement.MakeWeak(path, Library, Version, Symbol));
        Assert.Contains("expected only " + Symbol, error.Message);
        Assert.Equal(image, File.ReadAllBytes(path));
    }

    [Fact]
    public void ElfHashMatchesTheSystemVDefinition()
    {
        // printf hashes to 0x077905a6 under the System V ABI hash.
        Assert.Equal(0x0u, ElfVersionRequirement.ElfHash(""));
        Assert.Equal(0x61u, ElfVersionRequirement.ElfHash("a"));
        Assert.Equal(0x077905a6u, ElfVersionRequirement.ElfHash("printf"));
    }

    private string CopyOfOriginal()
    {
        string root = typeof(NativeLibraryFixTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "NuGetPackageRoot").Value!;
        string original = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        string copy = Path.Combine(_folder, "libLibTorchSharp.so");
        File.Copy(original, copy, overwrite: true);
        byte[] image = File.ReadAllBytes(copy);
        int flags = ElfVersionRequirement.FindRequirementFlags(image, Library, Version, Symbol);
        Assert.Equal(0, image[flags] & 2); // the package's own file is unpatched
        return copy;
    }
}
