namespace GridTime.Training.Config;

/// <summary>
/// Names the flag of a setting whose property name, in kebab-case, is not the name the command line uses
/// (<c>EvalSettings.From</c> is <c>--t-from</c>), and the placeholder <c>--help</c> shows for its value. A settings
/// record's JSON keys stay its property names in camelCase.
/// </summary>
/// <param name="name">The flag without its dashes, or null for the property name in kebab-case.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class FlagAttribute(string? name = null) : Attribute
{
    /// <summary>The flag without its dashes ("t-from"), or null for the property name in kebab-case.</summary>
    public string? Name { get; } = name;

    /// <summary>The placeholder <c>--help</c> shows for the value ("K", "T,T,..."), or null for the one its type gives.</summary>
    public string? HelpName { get; init; }
}
