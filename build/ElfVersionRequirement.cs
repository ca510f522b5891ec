// Marks one symbol-version requirement of an ELF shared library as weak, so the dynamic loader
// accepts the library on a system whose C++ runtime lacks that version.
//
// Why: TorchSharp-cpu 0.107.0 ships libLibTorchSharp.so built against GCC 13. It asks for
// GLIBCXX_3.4.32 from libstdc++.so.6, which Debian 12 (GCC 12) does not have, so `torch` fails to
// load. The only symbol bound to that version is _ZSt21ios_base_library_initv, and nothing in the
// file relocates against it (it exists only to pull in the iostream initialiser). Setting
// VER_FLG_WEAK in that Vernaux entry turns the hard "version not found" error into nothing at all.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory (build/TorchSharpNativeFix.targets),
// where the task class at the bottom is included, and by the test project with
// GRIDTIME_ELF_TESTS defined, which tests the patcher without MSBuild.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace GridTime.Build;

/// <summary>What <see cref="ElfVersionRequirement.MakeWeak"/> found and did.</summary>
public enum WeakenOutcome
{
    /// <summary>The requirement was strong and is now weak; the file was rewritten.</summary>
    Patched,

    /// <summary>The requirement was already weak; the file was not touched.</summary>
    AlreadyWeak,

    /// <summary>The file does not ask for this version at all; the file was not touched.</summary>
    NotRequired,
}

/// <summary>Reads the version-needs table of an ELF64 little-endian shared library and weakens one entry.</summary>
public static class ElfVersionRequirement
{
    private const uint ShtRela = 4;
    private const uint ShtDynsym = 11;
    private const uint ShtRel = 9;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>
    /// Makes the requirement for <paramref name="version"/> of <paramref name="library"/> weak, after checking
    /// that the only dynamic symbol bound to it is <paramref name="onlySymbol"/>, that the symbol is undefined
    /// in this file and that no relocation refers to it. Throws <see cref="InvalidDataException"/> naming the
    /// file and the reason when the file does not look like that; it is then left untouched.
    /// The rewrite goes through a temporary file and a rename (it never writes through a hard link into the
    /// NuGet cache) and keeps the original modification time, so incremental builds do not copy it again.
    /// </summary>
    public static WeakenOutcome MakeWeak(string path, string library, string version, string onlySymbol)
    {
        byte[] image = File.ReadAllBytes(path);
        int flagsOffset;
        try
        {
            flagsOffset = FindRequirementFlags(image, library, version, onlySymbol);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{path}: damaged ELF file (a table points outside the file)", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}; not modified", e);
        }

        if (flagsOffset < 0)
        {
            return WeakenOutcome.NotRequired;
        }

        ushort flags = ReadU16(image, flagsOffset);
        if ((flags & VerFlgWeak) != 0)
        {
            return WeakenOutcome.AlreadyWeak;
        }

        // Copy first (keeps the file mode), change the two bytes in the copy, then rename it over the original:
        // the original is never half-written, and a hard link into the NuGet cache is replaced, not written through.
        DateTime modified = File.GetLastWriteTimeUtc(path);
        string temporary = path + ".weaken.tmp";
        File.Copy(path, temporary, overwrite: true);
        using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
        {
            ushort weak = (ushort)(flags | VerFlgWeak);
            stream.Position = flagsOffset;
            stream.Write(new[] { (byte)weak, (byte)(weak >> 8) }, 0, 2);
        }

        File.SetLastWriteTimeUtc(temporary, modified);
        File.Replace(temporary, path, destinationBackupFileName: null);
        return WeakenOutcome.Patched;
    }

    /// <summary>
    /// Returns the file offset of vna_flags of the matching Vernaux entry, or -1 when the file has no such
    /// requirement. Throws <see cref="InvalidDataException"/> when the file is not what we expect.
    /// </summary>
    public static int FindRequirementFlags(byte[] image, string library, string version, string onlySymbol)
    {
        if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (image[4] != 2 || image[5] != 1)
        {
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        }

        ulong sectionTable = ReadU64(image, 0x28);
        int entrySize = ReadU16(image, 0x3A);
        int sectionCount = ReadU16(image, 0x3C);
        if (entrySize != 64 || sectionCount == 0 || sectionTable + (ulong)(sectionCount * entrySize) > (ulong)image.Length)
        {
            throw new InvalidDataException("section header table missing or outside the file");
        }

        var sections = new Section[sectionCount];
        for (int i = 0; i < sectionCount; i++)
        {
            int at = checked((int)sectionTable + (i * entrySize));
            sections[i] = new Section(
                index: i,
                type: ReadU32(image, at + 4),
                offset: checked((int)ReadU64(image, at + 24)),
                size: checked((int)ReadU64(image, at + 32)),
                link: (int)ReadU32(image, at + 40),
                info: (int)ReadU32(image, at + 44));
            if ((long)sections[i].Offset + sections[i].Size > image.Length && sections[i].Type != 8 /* NOBITS */)
            {
                throw new InvalidDataException($"section {i} extends past the end of the file");
            }
        }

        Section needs = Single(sections, ShtGnuVerneed, ".gnu.version_r");
        Section needStrings = sections[needs.Link];
        int flagsOffset = -1;
        int versionIndex = -1;
        int need = needs.Offset;
        for (int n = 0; n < needs.Info; n++)
        {
            int fileName = (int)ReadU32(image, need + 4);
            int auxCount = ReadU16(image, need + 2);
            int aux = need + (int)ReadU32(image, need + 8);
            for (int a = 0; a < auxCount; a++)
            {
                bool sameLibrary = ReadString(image, needStrings, fileName) == library;
                if (sameLibrary && ReadString(image, needStrings, (int)ReadU32(image, aux + 8)) == version)
                {
                    if (ReadU32(image, aux) != ElfHash(version))
                    {
                        throw new InvalidDataException($"the hash of the {version} entry does not match its name");
                    }

                    flagsOffset = aux + 4;
                    versionIndex = ReadU16(image, aux + 6);
                }

                aux += (int)ReadU32(image, aux + 12);
            }

            need += (int)ReadU32(image, need + 12);
        }

        if (flagsOffset < 0)
        {
            return -1;
        }

        Section symbols = Single(sections, ShtDynsym, ".dynsym");
        Section versions = Single(sections, ShtGnuVersym, ".gnu.version");
        Section symbolStrings = sections[symbols.Link];
        int symbolCount = symbols.Size / 24;
        var bound = new List<(int Index, string Name)>();
        for (int s = 0; s < symbolCount; s++)
        {
            if ((ReadU16(image, versions.Offset + (2 * s)) & 0x7fff) == versionIndex)
            {
                bound.Add((s, ReadString(image, symbolStrings, (int)ReadU32(image, symbols.Offset + (24 * s)))));
            }
        }

        if (bound.Count != 1 || bound[0].Name != onlySymbol)
        {
            string names = string.Join(", ", bound.Select(b => b.Name));
            throw new InvalidDataException($"{version} is needed by [{names}], expected only {onlySymbol}");
        }

        int symbolIndex = bound[0].Index;
        if (ReadU16(image, symbols.Offset + (24 * symbolIndex) + 6) != 0)
        {
            throw new InvalidDataException($"{onlySymbol} is defined in this file, expected an undefined reference");
        }

        foreach (Section relocations in sections.Where(s => (s.Type is ShtRela or ShtRel) && s.Link == symbols.Index))
        {
            int stride = relocations.Type == ShtRela ? 24 : 16;
            for (int r = relocations.Offset; r + stride <= relocations.Offset + relocations.Size; r += stride)
            {
                if ((int)(ReadU64(image, r + 8) >> 32) == symbolIndex)
                {
                    throw new InvalidDataException($"a relocation refers to {onlySymbol}; weakening it would be unsafe");
                }
            }
        }

        return flagsOffset;
    }

    /// <summary>The System V ABI hash of a symbol or version name (the value stored in vna_hash).</summary>
    public static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (char c in name)
        {
            h = (h << 4) + (byte)c;
            uint g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }

            h &= ~g;
        }

        return h;
    }

    private static Section Single(Section[] sections, uint type, string name)
    {
        Section[] found = sections.Where(s => s.Type == type).ToArray();
        if (found.Length != 1)
        {
            throw new InvalidDataException($"expected one {name} section, found {found.Length}");
        }

        return found[0];
    }

    private static string ReadString(byte[] image, Section table, int offset)
    {
        int start = table.Offset + offset;
        if (offset < 0 || offset >= table.Size)
        {
            throw new InvalidDataException("a name points outside its string table");
        }

        int end = Array.IndexOf(image, (byte)0, start, table.Offset + table.Size - start);
        if (end < 0)
        {
            throw new InvalidDataException("an unterminated name in a string table");
        }

        return System.Text.Encoding.ASCII.GetString(image, start, end - start);
    }

    private static ushort ReadU16(byte[] b, int at) => (ushort)(b[at] | (b[at + 1] << 8));

    private static uint ReadU32(byte[] b, int at) => (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));

    private static ulong ReadU64(byte[] b, int at) => ReadU32(b, at) | ((ulong)ReadU32(b, at + 4) << 32);

    // A plain class, not a record: MSBuild compiles this file against netstandard, which lacks init accessors.
    private sealed class Section(int index, uint type, int offset, int size, int link, int info)
    {
        public int Index { get; } = index;

        public uint Type { get; } = type;

        public int Offset { get; } = offset;

        public int Size { get; } = size;

        public int Link { get; } = link;

        public int Info { get; } = info;
    }
}

#if !GRIDTIME_ELF_TESTS
/// <summary>MSBuild task: weakens one version requirement in each of <see cref="Files"/>.</summary>
public sealed class WeakenVersionRequirement : Microsoft.Build.Utilities.Task
{
    /// <summary>The shared libraries to patch.</summary>
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = [];

    /// <summary>The library that provides the version, for example libstdc++.so.6.</summary>
    [Microsoft.Build.Framework.Required]
    public string Library { get; set; } = "";

    /// <summary>The version to make weak, for example GLIBCXX_3.4.32.</summary>
    [Microsoft.Build.Framework.Required]
    public string Version { get; set; } = "";

    /// <summary>The one symbol that may be bound to that version.</summary>
    [Microsoft.Build.Framework.Required]
    public string OnlySymbol { get; set; } = "";

    /// <inheritdoc/>
    public override bool Execute()
    {
        foreach (Microsoft.Build.Framework.ITaskItem file in Files)
        {
            try
            {
                WeakenOutcome outcome = ElfVersionRequirement.MakeWeak(file.ItemSpec, Library, Version, OnlySymbol);
                Log.LogMessage(
                    outcome == WeakenOutcome.Patched ? Microsoft.Build.Framework.MessageImportance.High : Microsoft.Build.Framework.MessageImportance.Low,
                    $"{file.ItemSpec}: {Version} requirement {outcome switch { WeakenOutcome.Patched => "made weak", WeakenOutcome.AlreadyWeak => "already weak", _ => "absent, nothing to do" }}");
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Log.LogError($"GridTime native fix refused: {e.Message}");
                return false;
            }
        }

        return true;
    }
}
#endif
