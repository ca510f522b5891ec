using System.CommandLine;
using System.Globalization;
using GridTime.Agents;
using GridTime.Training;
using GridTime.Training.Evaluation;
using GridTime.Training.Files;
using GridTime.Training.Runs;

namespace GridTime.Cli.Commands;

/// <summary>
/// <c>gridtime probe</c>: linear read-outs of the elapsed time and the time left from a trained agent's recurrent
/// state (<see cref="TimeProbe"/>), fitted on the training range and measured per T inside and beyond it. Writes
/// probe.csv into the run folder (each row with the provenance columns of eval.csv, <see cref="EvalProvenance"/>)
/// and prints a table.
/// </summary>
public static class ProbeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "Run folder to probe; probe.csv is written into it.", HelpName = "folder" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file to probe instead of the run's latest (it must belong to the --run).", HelpName = "file" };
        var binding = new ConfigBinding<ProbeSettings>();
        var command = new Command("probe", "Linear read-outs of elapsed time and time left from the agent's recurrent state, fitted on the training range and measured per T beyond it: probe.csv.")
        {
            run, checkpoint,
        };
        binding.AddTo(command);

        command.SetAction(parsed =>
        {
            string? file = parsed.GetValue(checkpoint);
            string folder = parsed.GetValue(run) ?? (file is null ? throw new UsageException("give the run to probe with --run FOLDER (or a checkpoint with --checkpoint FILE)") : RunLoading.RunOf(file));
            EvalOptions.RefuseListWithRange(binding.GivenFlags(parsed));
            ProbeSettings probe = binding.ApplyFlags(new ProbeSettings(), parsed);
            probe.Validate();
            EvalSettings settings = probe.Evaluation;
            double lambda = probe.Ridge;

            RunLoading.RequireRunFolder(folder);
            var runFolder = new RunFolder(folder);
            string output = Path.Combine(runFolder.Path, RunFolder.ProbeCsvName);
            OutputFile.Check(output, "probe output", OutputFormat.Csv, file ?? runFolder.LatestCheckpoint);
            if (RunMembership.ReadConfig(runFolder) is { } config)
            {
                settings.CheckSteps(config.Config.World);
            }

            CheckpointFile probed = RunEvaluation.Choose(runFolder.Path, file, settings, Program.Stop);
            GridTime.Environment.GridWorldOptions rules = probed.Header.Config.World;
            settings.CheckSteps(rules);
            EvalProvenance provenance = RunEvaluation.Provenance(runFolder, probed, settings);
            IReadOnlyList<ProbeRow> rows;
            bool estimatesTimeLeft;
            using (ActorCritic network = RunLoading.Network(probed))
            {
                rows = TimeProbe.Run(network, rules, settings.Instructions, settings.Episodes, settings.Seed, lambda, Program.Stop);
                estimatesTimeLeft = network.Core.TimeLeftOutput is not null;
            }

            string csv = string.Join(',', [.. TimeProbe.Columns, .. EvalProvenance.Columns]) + "\n"
                + string.Concat(TimeProbe.CsvRows(rows, lambda, provenance.CsvValues).Select(line => line + "\n"));
            using (var outputs = new OutputSet())
            {
                outputs.AddText(output, csv);
                outputs.Commit(Program.Stop);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{runFolder.Name} ({probed.Header.Config.Agent.Name()}, {probed.Header.Frames:N0} frames): read-outs of t and T - t from the {probed.Header.Config.Agent.Name()} core's state, "
                + $"fitted on T {rules.MinInstruction}..{rules.MaxInstruction} (ridge {lambda}), {settings.Episodes} greedy episodes per T"));
            Console.Write(TimeProbe.ToText(rows));
            Console.Write(TimeProbe.Summary(rows));
            if (estimatesTimeLeft)
            {
                // Not a fault of the agent: its time left is computed at each step from T in the observation and its count.
                Console.WriteLine($"note: the {probed.Header.Config.Agent.Name()} core forms its time-left estimate in its output, from T in each observation; its state need not hold T - t "
                    + "(the timer's is its step count alone), so a poor time-left read-out of the state says nothing against it: judge the elapsed-time read-out");
            }

            Console.WriteLine($"provenance: {provenance}");
            Console.WriteLine($"wrote {output}");
            return 0;
        });
        return command;
    }
}
