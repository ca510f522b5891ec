namespace GridTime.Tests.Training;

/// <summary>Tests that redirect the process-wide console, or that time a training run, do not run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
