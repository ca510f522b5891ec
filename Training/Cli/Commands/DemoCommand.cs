using System.CommandLine;
using GridTime.Environment;
using GridTime.Training;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime demo</c>: plays the grid world with two scripted agents, a random one and one that knows
/// the time (waits T − d steps, then walks the shortest path), and prints what each earns. It shows the
/// rules and the reward scale without any learning.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var binding = new ConfigBinding<DemoSettings>();
        var command = new Command("demo", "Play the grid world with a random and a perfectly timed scripted agent (no learning).");
        binding.AddTo(command);

        command.SetAction(parsed =>
        {
            DemoSettings settings = binding.ApplyFlags(new DemoSettings(), parsed);
            settings.Validate();
            Run(settings.Episodes, settings.Seed, settings.Show);
            return 0;
        });
        return command;
    }

    private static void Run(int episodes, ulong seed, bool show)
    {
        var options = new GridWorldOptions();
        Console.WriteLine($"grid {options.Size}x{options.Size}, T ~ U{{{options.MinInstruction}..{options.MaxInstruction}}}, m = {options.MaxReward}, L = T + m, {episodes} episodes per agent, seed {seed}");
        if (show)
        {
            Console.WriteLine(Legend);
        }

        var random = new SeededRandom(SeededRandom.Derive(seed, 99));
        foreach ((string name, Func<GridWorld, GridAction> policy) in new (string, Func<GridWorld, GridAction>)[]
        {
            ("random", _ => (GridAction)random.NextInt(GridActions.Count)),
            ("timed", ScriptedPolicies.PerfectlyTimed),
        })
        {
            var world = new GridWorld(options);
            double reward = 0, best = 0;
            int exact = 0;
            for (int e = 0; e < episodes; e++)
            {
                Program.Stop.ThrowIfCancellationRequested();
                world.Reset(SeededRandom.Derive(seed, (ulong)e));
                StepResult step;
                do
                {
                    step = world.Step(policy(world));
                    if (show && name == "timed" && e == 0)
                    {
                        Console.WriteLine($"t={step.Info.Time} T={step.Info.Instruction}\n{Picture(world)}");
                    }
                }
                while (!step.Terminated && !step.Truncated);
                reward += step.Reward;
                best += step.Info.BestAchievableReward;
                exact += step.Info.ArrivalTime == step.Info.Instruction ? 1 : 0;
            }

            Console.WriteLine($"{name,-7} mean reward {reward / episodes,5:F2}   fraction of best {reward / best,5:F3}   exact arrivals {(double)exact / episodes,5:P0}");
        }
    }

    /// <summary>The key to <c>--show</c>'s pictures, printed once before them.</summary>
    public const string Legend = "pictures of the timing agent's first episode, one per step, row 0 at the top: A agent, X target, @ agent on the target, . empty cell; t = steps taken, T = the step to arrive at";

    private static string Picture(GridWorld world)
    {
        var rows = new List<string>();
        for (int r = 0; r < world.Options.Size; r++)
        {
            rows.Add(string.Concat(Enumerable.Range(0, world.Options.Size).Select(c =>
                new Cell(r, c) == world.Agent ? (world.Agent == world.Target ? '@' : 'A') : new Cell(r, c) == world.Target ? 'X' : '.')));
        }

        return string.Join('\n', rows);
    }
}
