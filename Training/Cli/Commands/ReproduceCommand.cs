using System.CommandLine;
using GridTime.Training;
using GridTime.Training.Sweeps;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime reproduce</c>: the paper's time-tracking comparison. Trains every listed agent with every
/// seed on the same budget, evaluates each, and writes comparison.csv, comparison.png,
/// comparison-reward.png, comparison-outcomes.png and summary.md. It is a local sweep with no swept settings (<see cref="SweepRunner"/>):
/// each (agent, seed) cell is its own run folder, AGENT-sSEED/, so an interrupted comparison resumes where it
/// stopped and finished cells are not trained again.
/// </summary>
public static class ReproduceCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("reproduce", "Train and evaluate several agents over several seeds and compare them (the paper's Figure 5).");
        var options = new SweepOptions(command, "reproduce");
        command.SetAction(parsed =>
        {
            SweepPlan plan = options.Plan(parsed, [], config => config);
            string folder = options.Folder(parsed);
            SweepRunner.Check(folder, plan);
            using (SweepRunner.Begin(folder, plan))
            {
                return Program.ExitCode(SweepRunner.RunLocal(folder, plan, 1, Program.Stop));
            }
        });
        return command;
    }
}
