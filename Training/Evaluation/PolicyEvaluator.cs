using System.Runtime.InteropServices;
using GridTime.Agents;
using GridTime.Environment;
using GridTime.Environment.Episodes;
using TorchSharp;
using static TorchSharp.torch;

namespace GridTime.Training.Evaluation;

/// <summary>The result of one evaluation episode.</summary>
/// <param name="Instruction">T.</param>
/// <param name="Reward">The episode's return (the sum of its steps' rewards, as the world accumulated it).</param>
/// <param name="BestAchievableReward">What a perfect agent earns in the same episode.</param>
/// <param name="ArrivalTime">Step of arrival, or null for a timeout.</param>
/// <param name="Record">The whole episode, when recording was asked for.</param>
public sealed record EvaluationEpisode(int Instruction, float Reward, int BestAchievableReward, int? ArrivalTime, EpisodeRecord? Record)
{
    /// <summary>Arrived exactly at T.</summary>
    public bool Exact => ArrivalTime == Instruction;
}

/// <summary>
/// Receives the recurrent states of a batch of evaluation episodes after one step: <paramref name="step"/> is the step
/// count t after it (1 for the first action), <paramref name="states"/> the state the network produced at that step for
/// every episode, [episodes, StateSize] row-major, and <paramref name="took"/>[e] whether episode e took the step (was
/// not over before it).
/// </summary>
public delegate void StateObserver(int step, ReadOnlySpan<float> states, ReadOnlySpan<bool> took);

/// <summary>
/// Plays a network, without learning, on episodes with a fixed instruction T. Episode e starts from the
/// cells of <c>GridWorld.Reset(Derive(seed, e))</c>, which do not depend on T, so every T is judged on the
/// same start positions. All episodes run as one batch.
/// </summary>
public static class PolicyEvaluator
{
    // Most frames whose encoder features one evaluation keeps (64 MiB at the default width of 256).
    private const int CachedFrames = 65_536;

    /// <summary>Plays <paramref name="episodes"/> episodes with instruction <paramref name="instruction"/>.</summary>
    /// <param name="network">The agent.</param>
    /// <param name="rules">Grid size and m (the T range is ignored: T is fixed).</param>
    /// <param name="instruction">T for every episode.</param>
    /// <param name="episodes">Number of episodes.</param>
    /// <param name="seed">Seed of the start positions and of the action sampling.</param>
    /// <param name="greedy">Take the most probable action instead of sampling.</param>
    /// <param name="record">Keep each episode's steps (for logs and replays).</param>
    /// <param name="stop">Checked before every step of the batch (<see cref="OperationCanceledException"/>).</param>
    /// <param name="observe">When given, receives the recurrent state after every step (<see cref="StateObserver"/>).</param>
    /// <param name="stepped">When given, told the number of steps the batch has taken after each one (for progress within one T).</param>
    public static IReadOnlyList<EvaluationEpisode> Run(
        ActorCritic network, GridWorldOptions rules, int instruction, int episodes, ulong seed, bool greedy, bool record = false, CancellationToken stop = default, StateObserver? observe = null,
        Action<int>? stepped = null)
    {
        var options = rules with { MinInstruction = 1, MaxInstruction = Math.Max(1, instruction), Timeout = null };
        var worlds = new GridWorld[episodes];
        var recorders = new EpisodeRecordBuilder?[episodes];
        for (int e = 0; e < episodes; e++)
        {
            worlds[e] = new GridWorld(options);
            worlds[e].Reset(SeededRandom.Derive(seed, (ulong)e), instruction);
            recorders[e] = record ? new EpisodeRecordBuilder(e) : null;
        }

        FrameCache frames = FrameCache.ForSize(options.Size);
        var sampling = new Generator(SeededRandom.Derive(seed, 0x5EED_0000UL + (ulong)instruction));
        // The weights do not change during an evaluation and the encoder is a function of the frame alone, so each frame
        // (its key: the agent's and the target's cells) is encoded once, the first time an episode shows it, and its
        // features are kept (up to CachedFrames of them; past that the cache starts over).
        int frameKinds = options.Size * options.Size * options.Size * options.Size;
        int capacity = frameKinds <= CachedFrames ? frameKinds : Math.Max(CachedFrames, episodes);
        using Tensor cache = empty(capacity, network.Encoder.Features);
        var slotOfKey = new Dictionary<int, int>();
        var newKeys = new List<int>(episodes);
        var slots = new long[episodes];
        var pictures = new byte[episodes * FrameRenderer.FrameLength];
        var observed = new float[episodes];
        var took = new bool[episodes];
        int step = 0;
        using var noGrad = no_grad();
        Tensor state = network.InitialState(episodes);
        while (Array.Exists(worlds, w => !w.IsDone))
        {
            if (stop.IsCancellationRequested)
            {
                state.Dispose();
                stop.ThrowIfCancellationRequested();
            }

            using var scope = NewDisposeScope();
            if (slotOfKey.Count + episodes > capacity)
            {
                slotOfKey.Clear();
            }

            newKeys.Clear();
            for (int e = 0; e < episodes; e++)
            {
                int key = worlds[e].FrameKey;
                if (!slotOfKey.TryGetValue(key, out int slot))
                {
                    slot = slotOfKey.Count;
                    slotOfKey.Add(key, slot);
                    newKeys.Add(key);
                }

                slots[e] = slot;
                observed[e] = worlds[e].ObservedInstruction; // T, or 0 after t = 0 where the rules show it only at the start
            }

            if (newKeys.Count > 0)
            {
                Span<byte> fresh = pictures.AsSpan(0, newKeys.Count * FrameRenderer.FrameLength);
                frames.CopyPlaneBytes(CollectionsMarshal.AsSpan(newKeys), fresh);
                cache.narrow(0, slotOfKey.Count - newKeys.Count, newKeys.Count).copy_(network.Encode(ObservationTensors.Frames(fresh)));
            }

            AgentOutput output = network.StepFromFeatures(cache.index_select(0, tensor(slots)), ObservationTensors.Instructions(observed), state);
            Tensor probabilities = nn.functional.softmax(output.Logits, 1);
            Tensor chosen = greedy ? probabilities.argmax(1) : multinomial(probabilities, 1, generator: sampling).squeeze(1);
            ReadOnlySpan<long> actions = MemoryMarshal.Cast<byte, long>(chosen.contiguous().bytes);
            float[] p = record ? probabilities.contiguous().data<float>().ToArray() : [];
            float[] v = record ? output.Values.contiguous().data<float>().ToArray() : [];
            for (int e = 0; e < episodes; e++)
            {
                if (worlds[e].IsDone)
                {
                    continue;
                }

                StepResult result = worlds[e].Step((int)actions[e]);
                recorders[e]?.Add((int)actions[e], v[e], p[(e * ActorCritic.Actions)..((e + 1) * ActorCritic.Actions)], result.Reward, result.Info);
            }

            step++;
            stepped?.Invoke(step);
            if (observe is not null)
            {
                // Which episodes took this step: those done now either ended at it (their step count is this one) or before.
                for (int e = 0; e < episodes; e++)
                {
                    took[e] = worlds[e].Time == step;
                }

                observe(step, output.State.contiguous().data<float>().ToArray(), took);
            }

            Tensor next = output.State.MoveToOuterDisposeScope();
            state.Dispose();
            state = next;
        }

        state.Dispose();
        var results = new EvaluationEpisode[episodes];
        for (int e = 0; e < episodes; e++)
        {
            StepInfo final = worlds[e].Info;
            EpisodeRecord? episodeRecord = recorders[e]?.Finish(final, options, network.Options.Core.Name(), seed);
            results[e] = new EvaluationEpisode(instruction, final.EpisodeReturn, final.BestAchievableReward, final.ArrivalTime, episodeRecord);
        }

        return results;
    }
}
