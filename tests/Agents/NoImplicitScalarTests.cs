using System.Reflection;
using GridTime.Agents;
using TorchSharp;

namespace GridTime.Tests.Agents;

/// <summary>
/// Keeps finalizer-owned <see cref="Scalar"/>s out of GridTime (see <see cref="OwnedScalars"/> for why they crash
/// libtorch under collections from other threads). The check reads the compiled code, not the source: a number
/// that C# turns into a Scalar (<c>t.clamp_max(8)</c>, <c>0.5 * t</c>) is a call to <c>Scalar.op_Implicit</c>
/// whatever the spelling, and an operation that makes a Scalar inside TorchSharp (<c>t + u</c>, <c>t.add_(u)</c>:
/// alpha = 1) is found by reading TorchSharp's own IL for the same call, through any depth of its methods.
/// </summary>
public sealed class NoImplicitScalarTests
{
    private static readonly Assembly TorchSharpAssembly = typeof(Scalar).Assembly;

    /// <summary>GridTime's assemblies: every path of training, evaluation and export runs in them.</summary>
    private static readonly Assembly[] GridTimeAssemblies =
    [
        typeof(ActorCritic).Assembly,
        typeof(GridTime.Environment.GridWorld).Assembly,
        typeof(GridTime.Cli.Program).Assembly,
        typeof(GridTime.Rendering.Plots.CurvePlot).Assembly,
    ];

    [Fact]
    public void NoGridTimeMethodLeavesAScalarToTheFinalizer()
    {
        HashSet<MethodBase> makers = ScalarMakers();
        var found = new List<string>();
        foreach (Assembly assembly in GridTimeAssemblies)
        {
            foreach (MethodBase method in MethodsOf(assembly))
            {
                foreach (MethodBase called in Calls(method).Where(makers.Contains).Distinct())
                {
                    found.Add($"{method.DeclaringType?.FullName}.{method.Name} calls {Describe(called)}");
                }

                // An explicit Scalar is owned only where its disposal is written next to it: in OwnedScalars.
                if (method.DeclaringType != typeof(OwnedScalars) && Calls(method).FirstOrDefault(c => c.DeclaringType == typeof(ScalarExtensionMethods) && c.Name.StartsWith("To", StringComparison.Ordinal) && c.Name.EndsWith("Scalar", StringComparison.Ordinal)) is { } explicitScalar)
                {
                    found.Add($"{method.DeclaringType?.FullName}.{method.Name} calls {Describe(explicitScalar)} outside OwnedScalars");
                }
            }
        }

        Assert.True(found.Count == 0,
            "A Scalar made from a number, or inside TorchSharp, that nothing disposes (use OwnedScalars or a Scalar in a using declaration):\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheCheckKnowsTheOperationsThatMakeAScalar()
    {
        // The check is only as good as its list: these are the shapes that crashed, each must be on it.
        HashSet<MethodBase> makers = ScalarMakers();
        Type tensor = typeof(torch.Tensor);
        Assert.Contains(typeof(Scalar).GetMethod("op_Implicit", [typeof(int)])!, makers);
        Assert.Contains(typeof(Scalar).GetMethod("op_Implicit", [typeof(double)])!, makers);
        Assert.Contains(tensor.GetMethod("op_Addition", [tensor, tensor])!, makers);
        Assert.Contains(tensor.GetMethod("op_Multiply", [typeof(double), tensor])!, makers);
        Assert.Contains(tensor.GetMethod("add_", [tensor])!, makers);
        Assert.Contains(typeof(TorchSharp.Modules.Adam).GetMethod("step", [typeof(Func<torch.Tensor>)])!, makers); // its Scalars are made in a lambda
        Assert.DoesNotContain(tensor.GetMethod("add", [tensor, typeof(Scalar)])!, makers);
        Assert.DoesNotContain(tensor.GetMethod("clamp_max", [typeof(Scalar)])!, makers);
    }

    [Fact]
    public void TheCheckFindsAnImplicitScalarInCompiledCode()
    {
        // Proof that the scan sees through C#'s implicit conversion: this test's own method makes one.
        MethodInfo sample = typeof(NoImplicitScalarTests).GetMethod(nameof(ImplicitScalarSample), BindingFlags.NonPublic | BindingFlags.Static)!;
        HashSet<MethodBase> makers = ScalarMakers();
        Assert.Contains(Calls(sample), makers.Contains);
        using var t = torch.ones(2);
        using torch.Tensor cut = ImplicitScalarSample(t);
        Assert.Equal(1f, cut.max().item<float>());
    }

    // The shape that crashed (TimerCore before OwnedScalars), kept here only for the test above.
    private static torch.Tensor ImplicitScalarSample(torch.Tensor t) => t.clamp_max(8) - t + t;

    /// <summary>
    /// The TorchSharp methods that make a Scalar and leave it to the finalizer: the implicit conversions, and
    /// every TorchSharp method whose IL calls one of them (to a fixed point). <c>ToScalar</c> is explicit: code that
    /// calls it owns the Scalar (OwnedScalars disposes it).
    /// </summary>
    private static HashSet<MethodBase> ScalarMakers()
    {
        var makers = new HashSet<MethodBase>(typeof(Scalar).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == "op_Implicit"));
        var callees = MethodsOf(TorchSharpAssembly).ToDictionary(m => m, m => Calls(m).Where(c => c.Module == TorchSharpAssembly.ManifestModule || makers.Contains(c)).ToList());
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach ((MethodBase method, List<MethodBase> calls) in callees)
            {
                if (!makers.Contains(method) && calls.Exists(c => makers.Contains(c) || (c.Name == "ToScalar" && c.DeclaringType == typeof(ScalarExtensionMethods))))
                {
                    makers.Add(method);
                    grew = true;
                }
            }
        }

        return makers;
    }

    private static IEnumerable<MethodBase> MethodsOf(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            types = e.Types; // TorchSharp names optional assemblies (Google.Protobuf, SkiaSharp) that its tensor code does not use
        }

        foreach (Type type in types.OfType<Type>())
        {
            foreach (MethodBase method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                yield return method;
            }
        }
    }

    /// <summary>The methods <paramref name="method"/>'s IL calls (call, callvirt, newobj), generic ones by their definition.</summary>
    private static IEnumerable<MethodBase> Calls(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or TypeLoadException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        Type[]? methodArguments = method is MethodInfo { IsGenericMethod: true } generic ? generic.GetGenericArguments() : null;
        for (int i = 0; i < il.Length; i += OperandSize(il, i) + (il[i] == 0xFE ? 2 : 1))
        {
            // call, callvirt, newobj; and ldftn, ldvirtftn: a delegate made of a method is a call put off (TorchSharp's
            // optimizers make their Scalars in a lambda that step() hands on).
            int token = il[i] is 0x28 or 0x6F or 0x73 && i + 4 < il.Length ? i + 1
                : il[i] == 0xFE && i + 5 < il.Length && il[i + 1] is 0x06 or 0x07 ? i + 2
                : -1;
            if (token >= 0)
            {
                MethodBase? called = null;
                try
                {
                    called = method.Module.ResolveMethod(BitConverter.ToInt32(il, token), typeArguments, methodArguments);
                }
                catch (Exception e) when (e is ArgumentException or FileNotFoundException or FileLoadException or TypeLoadException or BadImageFormatException)
                {
                    // A member of an assembly TorchSharp does not ship with: not a tensor operation.
                }

                if (called is not null)
                {
                    yield return called is MethodInfo { IsGenericMethod: true } m && !m.IsGenericMethodDefinition ? m.GetGenericMethodDefinition() : called;
                }
            }
        }
    }

    // Operand bytes of the IL instruction at i (ECMA-335 III), so that the scan steps from opcode to opcode.
    private static int OperandSize(byte[] il, int i)
    {
        if (il[i] == 0xFE)
        {
            byte second = il[i + 1];
            return second is 0x09 or 0x0A or 0x0B or 0x0C or 0x0D or 0x0E ? 2 : second is 0x12 or 0x19 ? 1 : second is 0x06 or 0x07 or 0x15 or 0x16 or 0x1C ? 4 : 0;
        }

        return il[i] switch
        {
            0x0E or 0x0F or 0x10 or 0x11 or 0x12 or 0x13 or 0x1F or (>= 0x2B and <= 0x37) or 0xDE => 1,
            0x20 or 0x22 or 0x28 or 0x29 or 0x6F or 0x70 or 0x71 or 0x72 or 0x73 or 0x74 or 0x75 or 0x79 or 0x7B or 0x7C or 0x7D or 0x7E or 0x7F or 0x80 or 0x81
                or 0x8C or 0x8D or 0x8F or 0xA3 or 0xA4 or 0xA5 or 0xC2 or 0xC6 or 0xD0 or 0x27 or (>= 0x38 and <= 0x44) or 0xDD or 0x21 or 0x23 => il[i] is 0x21 or 0x23 ? 8 : 4,
            0x45 => 4 + (4 * BitConverter.ToInt32(il, i + 1)),
            _ => 0,
        };
    }

    private static string Describe(MethodBase method) =>
        $"{method.DeclaringType?.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
}
