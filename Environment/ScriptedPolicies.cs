namespace GridTime.Environment;

/// <summary>Hand-written policies: references for what learned agents should achieve, and helpers for tests.</summary>
public static class ScriptedPolicies
{
    /// <summary>
    /// The perfect agent: it knows t, waits while the target is farther away in time than in space, then
    /// walks a shortest path (rows first). It earns exactly the best achievable reward of every episode.
    /// </summary>
    public static GridAction PerfectlyTimed(GridWorld world)
    {
        int distance = world.Agent.ManhattanDistance(world.Target);
        if (world.Instruction - world.Time > distance)
        {
            return GridAction.Stay;
        }

        return world.Target.Row < world.Agent.Row ? GridAction.Up
            : world.Target.Row > world.Agent.Row ? GridAction.Down
            : world.Target.Column < world.Agent.Column ? GridAction.Left
            : GridAction.Right;
    }
}
