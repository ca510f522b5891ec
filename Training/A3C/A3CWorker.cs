using System.Diagnostics;
using GridTime.Agents;
using GridTime.Agents.Kernels;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTime.Training.A3C;

/// <summary>
/// One A3C worker (Mnih et al. 2016), run on its own thread. It owns a local copy of the network and B
/// environments, and repeats, until the frame budget is spent or it is told to stop:
/// <list type="number">
/// <item>copy the shared weights into the local network;</item>
/// <item>act for n steps in all B environments with one batched forward pass per step, recorded for learning
///   by a <see cref="RolloutPass"/> (the same forward pass serves acting and learning; nothing is computed twice);</item>
/// <item>bootstrap from the value of the state after the rollout (0 where an episode ended);</item>
/// <item>compute generalised advantage estimates and the loss from the rollout's logits and values:
///   policy gradient − entropy bonus + value loss, summed over the rollout, averaged over environments; for a core
///   with its own time-left estimate s, also the auxiliary loss ½(s − (T − t))² (<see cref="Config.TrainConfig.TimeLeftLoss"/>);</item>
/// <item>backpropagate: the rollout pass takes the loss's gradient with respect to the logits and values (formed
///   with the loss, <see cref="A3CLoss"/>) back through the network; add the NAU sparsity regulariser's gradient
///   (<see cref="Config.TrainConfig.NauSparsity"/>); clip the gradient norm, and apply the gradients to the shared
///   network through the shared Adam (which clamps NAU weights into [−1, 1]), unless the loss or the gradient is NaN
///   or infinite (then the update is skipped and counted).</item>
/// </list>
/// The LSTM state carries from one rollout to the next (gradients stop at the rollout boundary) and is
/// zeroed for an environment whose episode ended.
/// </summary>
public sealed class A3CWorker(SharedTraining shared, int index, ulong environmentSeed, EpisodeLogWriter? episodeLog)
{
    private readonly Config.TrainConfig _config = shared.Config;
    private long _episodesStarted;

    /// <summary>Which worker this is (0-based).</summary>
    public int Index { get; } = index;

    /// <summary>
    /// The rules of this worker's environments: the run's (<see cref="Config.TrainConfig.World"/>, the paper's rule)
    /// unless set. Not a setting of a run (neither a flag nor in config.json): it lets a test train under another
    /// rule, such as a dense reward.
    /// </summary>
    public GridWorldOptions World { get; init; } = shared.Config.World;

    /// <summary>When set, the time of each phase of every update is added to it (a profile; costs nothing measurable).</summary>
    public PhaseTimes? Timing { get; init; }

    /// <summary>
    /// Whether the fast rollout pass does the whole network's work on every frame, without its savings
    /// (<see cref="RolloutPass.For"/>). Not a setting of a run: <c>gridtime bench --full-work</c> measures the kernels
    /// alone with it.
    /// </summary>
    public bool FullWork { get; init; }

    /// <summary>Whether <see cref="Run"/> flushed denormal floats to zero on its thread while it trained (<see cref="Denormals"/>; false where the platform cannot).</summary>
    public bool FlushedDenormals { get; private set; }

    /// <summary>Trains until the budget is spent or <paramref name="stop"/> is cancelled.</summary>
    public void Run(CancellationToken stop)
    {
        set_num_threads(1);
        using Denormals.Scope flushing = Denormals.FlushOnThisThread(); // Denormals says why; config.json's versions block whether it could
        FlushedDenormals = Denormals.FlushedOnThisThread;
        int batch = _config.EnvsPerWorker, steps = _config.Steps, actionCount = ActorCritic.Actions;
        var environments = new VectorGridWorld(World, batch);
        environments.Reset(environmentSeed);
        var sampler = new ActionSampler(SeededRandom.Derive(environmentSeed, 0xACE));
        // The shared network's own options, not the settings': a checkpoint's network is what it was built as, even where
        // a later GridTime reads a setting differently (time-left-cap 0 meant max-t for a while).
        using var local = new ActorCritic(shared.Network.Options);
        using RolloutPass rollout = RolloutPass.For(local, batch, steps, FullWork);
        int outputs = rollout.OutputSize;
        int? timeLeftColumn = _config.TimeLeftLoss > 0 ? local.Core.TimeLeftOutput : null;
        Parameter[] localParameters = [.. local.parameters()];
        Parameter[] sharedParameters = [.. shared.Network.parameters()];
        var recorders = new EpisodeRecordBuilder?[batch];
        for (int b = 0; b < batch; b++)
        {
            recorders[b] = StartRecorder();
        }

        var frameKeys = new int[batch]; // each observation by its picture's key: the pass reads the pictures it needs (those new to its rollout)
        FrameBytes picture = environments.PlaneBytesOf;
        var instructions = new float[batch];
        var actions = new int[batch];
        var probabilities = new float[batch * actionCount];
        var taken = new int[steps * batch];
        var keep = new float[batch];
        var logits = new float[steps * batch * actionCount];
        var values = new float[steps * batch];
        var bootstrap = new float[batch];
        var rewards = new float[steps * batch];
        var notDone = new float[steps * batch];
        var returns = new float[steps * batch];
        var advantages = new float[steps * batch];
        var logitGradients = new float[steps * batch * actionCount];
        var valueGradients = new float[steps * batch];
        float[] coreOutputs = timeLeftColumn is null ? [] : new float[steps * batch * outputs];
        float[] timeLeft = timeLeftColumn is null ? [] : new float[steps * batch];
        float[] outputGradients = timeLeftColumn is null ? [] : new float[steps * batch * outputs];

        while (!stop.IsCancellationRequested && shared.Frames < _config.Frames && shared.WaitToContinue(stop))
        {
            using var scope = NewDisposeScope();
            FaultInjection.NativeErrorIfAsked(shared.Frames);
            long mark = Stopwatch.GetTimestamp();
            long environmentTicks = 0;

            // 1. Start from the current shared weights.
            using (no_grad())
            {
                lock (shared.Optimizer.Lock)
                {
                    for (int p = 0; p < localParameters.Length; p++)
                    {
                        localParameters[p].copy_(sharedParameters[p]);
                    }
                }
            }

            mark = Timing?.Add(PhaseTimes.Phase.Sync, mark) ?? mark;

            // 2. Act for n steps, recording the forward passes for learning.
            for (int i = 0; i < steps; i++)
            {
                Span<float> stepLogits = logits.AsSpan(i * batch * actionCount, batch * actionCount), stepValues = values.AsSpan(i * batch, batch);
                Span<float> stepOutputs = timeLeftColumn is null ? default : coreOutputs.AsSpan(i * batch * outputs, batch * outputs);
                if (timeLeftColumn is not null)
                {
                    environments.CopyTimeLeft(timeLeft.AsSpan(i * batch, batch)); // the auxiliary target: T − t before this step's action
                    FaultInjection.GarbleTimeLeftIfAsked(timeLeft.AsSpan(i * batch, batch));
                }

                environments.CopyFrameKeys(frameKeys);
                environments.CopyInstructions(instructions);
                rollout.Step(frameKeys, picture, instructions, stepLogits, stepValues, stepOutputs);
                sampler.Sample(stepLogits, actions, probabilities);

                long environmentStart = Stopwatch.GetTimestamp();
                for (int b = 0; b < batch; b++)
                {
                    taken[(i * batch) + b] = actions[b];
                }

                environments.Step(actions);
                Record(recorders, environments, actions, probabilities, stepValues);
                for (int b = 0; b < batch; b++)
                {
                    keep[b] = environments.Terminated[b] || environments.Truncated[b] ? 0f : 1f;
                }

                environments.Rewards.CopyTo(rewards, i * batch);
                keep.CopyTo(notDone, i * batch);
                rollout.EndEpisodes(keep);
                FinishEpisodes(recorders, environments);
                environmentTicks += Stopwatch.GetTimestamp() - environmentStart;
            }

            // 3. Bootstrap: the value of where the rollout stopped (ended episodes already count as 0 via notDone).
            environments.CopyFrameKeys(frameKeys);
            environments.CopyInstructions(instructions);
            rollout.Values(frameKeys, picture, instructions, bootstrap);
            if (Timing is not null)
            {
                // The environment's share was measured inside the acting loop as it ran.
                long now = Stopwatch.GetTimestamp();
                Timing.AddTicks(PhaseTimes.Phase.Environment, environmentTicks);
                Timing.AddTicks(PhaseTimes.Phase.Act, now - mark - environmentTicks);
                mark = now;
            }

            // 4. Returns and advantages (constants of the loss), then the loss over the whole rollout at once:
            //    policy gradient − entropy bonus + value loss, summed over steps, averaged over environments, and its
            //    gradient with respect to the logits and values (A3CLoss gives the formulas).
            ReturnsAndAdvantages.Compute(rewards, notDone, values, bootstrap, _config.Gamma, _config.GaeLambda, returns, advantages);
            A3CLoss.Figures loss = A3CLoss.Compute(
                logits, values, taken, advantages, returns, batch, entropyCoef: _config.EntropyCoef, valueCoef: _config.ValueCoef, logitGradients, valueGradients);
            double? timeLeftLoss = timeLeftColumn is int column
                ? TimeLeftLoss.Gradients(coreOutputs, timeLeft, outputs, column, batch, _config.TimeLeftLoss, outputGradients)
                : null;

            mark = Timing?.Add(PhaseTimes.Phase.Loss, mark) ?? mark;

            // 5. Backpropagate (the rollout pass through the network, from the loss's gradients), clip, and apply to
            //    the shared network.
            local.zero_grad();
            rollout.Backward(logitGradients, valueGradients, outputGradients);
            double? nauSparsity = Agents.Layers.Nau.AddSparsityGradients(local.Core.AdditionUnits, _config.NauSparsityAt(shared.Frames));
            double gradientNorm = GradientClipping.ClipByTotalNorm(localParameters, _config.GradClip); // torch.nn.utils.clip_grad_norm_
            Tensor[] gradients = [.. localParameters.Select(p => p.grad ?? zeros_like(p))];
            mark = Timing?.Add(PhaseTimes.Phase.Backward, mark) ?? mark;
            var figures = new UpdateFigures(loss.PolicyLoss / steps, loss.ValueLoss / steps, loss.Entropy / steps, timeLeftLoss / steps, nauSparsity);
            bool applied = shared.TryApply(gradients, loss.Loss + (timeLeftLoss ?? 0), gradientNorm, (long)batch * steps, figures);
            Timing?.Add(PhaseTimes.Phase.Apply, mark);
            Timing?.EndUpdate(rollout);
            if (!applied)
            {
                // A NaN or infinity is never applied. The recurrent state may hold it: start it over (the
                // environments go on where they are; their agents lose their memory of this episode).
                rollout.Restart();
            }
        }

        episodeLog?.Flush();
    }

    private EpisodeRecordBuilder? StartRecorder()
    {
        long episode = _episodesStarted++;
        return episodeLog is not null && _config.EpisodeLogEvery > 0 && episode % _config.EpisodeLogEvery == 0
            ? new EpisodeRecordBuilder(episode)
            : null;
    }

    // After the step: each logged episode takes the step's reward and info as the environments returned them.
    private static void Record(EpisodeRecordBuilder?[] recorders, VectorGridWorld environments, int[] actions, float[] probabilities, ReadOnlySpan<float> valueData)
    {
        if (Array.TrueForAll(recorders, r => r is null))
        {
            return;
        }

        for (int b = 0; b < recorders.Length; b++)
        {
            recorders[b]?.Add(actions[b], valueData[b], probabilities.AsSpan(b * ActorCritic.Actions, ActorCritic.Actions).ToArray(), environments.Rewards[b], environments.Infos[b]);
        }
    }

    private void FinishEpisodes(EpisodeRecordBuilder?[] recorders, VectorGridWorld environments)
    {
        foreach (FinishedEpisode episode in environments.Finished)
        {
            shared.Statistics.AddEpisode(episode.Reward, episode.Final.BestAchievableReward, episode.ArrivedExactly, episode.Final.Time);
            int b = episode.EnvironmentIndex;
            if (recorders[b] is EpisodeRecordBuilder recorder)
            {
                episodeLog!.Append(recorder.Finish(episode.Final, environments.Options, _config.Agent.Name(), _config.Seed) with
                {
                    Run = shared.RunName,
                    RunId = shared.RunId ?? "",
                    Worker = Index,
                    Frames = shared.Frames,
                });
            }

            recorders[b] = StartRecorder();
        }
    }
}
