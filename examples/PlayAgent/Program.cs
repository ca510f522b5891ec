// Plays episodes of the grid world with a trained agent and prints how each went.
// Usage: dotnet run -c Release --project examples/PlayAgent -- RUN_FOLDER [EPISODES]
using System.Globalization;
using GridTime.Agents;
using GridTime.Environment;
using GridTime.Training.Api;

if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: PlayAgent RUN_FOLDER [EPISODES]");
    return 2;
}

if (args.Length == 2 && !(int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) && count is >= 1 and <= 100_000))
{
    Console.Error.WriteLine($"PlayAgent: EPISODES must be a whole number 1..100000, got '{args[1]}'");
    return 2;
}

int episodes = args.Length == 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
TrainedAgent loaded;
try
{
    loaded = TrainedAgent.Load(args[0]);
}
catch (Exception e) when (e is GridTime.Training.UsageException or InvalidDataException or IOException)
{
    Console.Error.WriteLine($"PlayAgent: {e.Message}");
    return 2;
}

using TrainedAgent agent = loaded;
if (agent.Warning is not null)
{
    Console.Error.WriteLine($"PlayAgent: warning: {agent.Warning}");
}

Console.WriteLine($"agent {agent.Core.Name()} from {agent.Checkpoint} ({agent.Frames:N0} frames, sha256 {agent.Sha256[..12]})");

var world = new GridWorld(agent.World); // the rules it trained under: grid, T range, reward shape, when T is shown, the start cell
for (int episode = 0; episode < episodes; episode++)
{
    (Observation observation, StepInfo info) = world.Reset(seed: (ulong)episode + 1);
    agent.BeginEpisode();
    AgentDecision first = agent.Act(observation);
    AgentDecision decision = first;
    while (true)
    {
        StepResult step = world.Step(decision.Action);
        info = step.Info;
        if (step.Terminated || step.Truncated)
        {
            break;
        }

        decision = agent.Act(step.Observation);
    }

    string arrival = info.ArrivalTime is int t ? $"arrived at step {t}" : "never arrived";
    string probabilities = string.Join(" ", first.Probabilities.Select(p => p.ToString("0.00", CultureInfo.InvariantCulture)));
    Console.WriteLine($"episode {episode + 1}: T = {info.Instruction}, {arrival}, reward {info.EpisodeReturn} of {info.BestAchievableReward}; " +
        $"first step: pi = [{probabilities}], value {first.Value.ToString("0.00", CultureInfo.InvariantCulture)}");
}

return 0;
