namespace GridTime.Training.Config;

/// <summary>
/// Marks a setting that shapes the network or the task: a resumed run must keep it (<c>train --resume</c> refuses
/// the flag, and a config.json edited to change it). <c>ResumePlan.FixedSettings</c> (Runs/) lists the
/// properties that carry it, and <c>--help</c> says "(fixed when resuming)" for their flags.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class FixedOnResumeAttribute : Attribute
{
    /// <summary>The words <c>--help</c> adds to the flag of a setting marked with this attribute.</summary>
    public const string HelpNote = "(fixed when resuming)";

    /// <summary>The names of <paramref name="type"/>'s public instance properties marked with this attribute, in declaration order.</summary>
    public static IReadOnlyList<string> PropertiesOf(Type type) =>
        [.. type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.IsDefined(typeof(FixedOnResumeAttribute), inherit: true))
            .OrderBy(p => p.MetadataToken)
            .Select(p => p.Name)];
}
