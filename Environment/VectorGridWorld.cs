namespace GridTime.Environment;

/// <summary>How one episode of a <see cref="VectorGridWorld"/> ended.</summary>
/// <param name="EnvironmentIndex">Which of the B environments it ran in.</param>
/// <param name="Terminated">True if it ended by arrival, false if by timeout.</param>
/// <param name="Final">The state at its last step.</param>
public readonly record struct FinishedEpisode(int EnvironmentIndex, bool Terminated, StepInfo Final)
{
    /// <summary>The episode's return: the sum of all its steps' rewards, as the world accumulated it (<see cref="StepInfo.EpisodeReturn"/>).</summary>
    public float Reward => Final.EpisodeReturn;

    /// <summary>Reward as a fraction of the best achievable reward.</summary>
    public float FractionOfBest => Final.BestAchievableReward > 0 ? Reward / Final.BestAchievableReward : 0f;

    /// <summary>True when the agent first stood on the target at exactly t = T.</summary>
    public bool ArrivedExactly => Final.ArrivalTime == Final.Instruction;
}

/// <summary>
/// B grid worlds stepped together, for the trainer. Episodes reset automatically in the same step they end:
/// after <see cref="Step"/>, <see cref="Rewards"/>, <see cref="Terminated"/>, <see cref="Truncated"/> and
/// <see cref="Infos"/> describe the step just taken, <see cref="Finished"/> lists the episodes that ended in it (with their final state),
/// and the observations are already those of the next episode for those environments.
/// Environment i behaves exactly like a <see cref="GridWorld"/> reset with seed
/// <c>SeededRandom.Derive(seed, i)</c> and then reset without a seed after every episode.
/// </summary>
public sealed class VectorGridWorld
{
    private readonly GridWorld[] _worlds;
    private readonly List<FinishedEpisode> _finished = [];
    private readonly FrameCache _frames;

    /// <summary>B = <paramref name="count"/> worlds under <paramref name="options"/>.</summary>
    public VectorGridWorld(GridWorldOptions options, int count)
    {
        if (count < 1)
        {
            throw new ArgumentException($"a vectorized environment needs at least one world, got {count}", nameof(count));
        }

        _worlds = new GridWorld[count];
        for (int i = 0; i < count; i++)
        {
            _worlds[i] = new GridWorld(options);
        }

        Options = _worlds[0].Options;
        _frames = FrameCache.ForSize(Options.Size);
        Rewards = new float[count];
        Terminated = new bool[count];
        Truncated = new bool[count];
        Infos = new StepInfo[count];
    }

    /// <summary>The rules every world follows.</summary>
    public GridWorldOptions Options { get; }

    /// <summary>B, the number of worlds.</summary>
    public int Count => _worlds.Length;

    /// <summary>Reward of each world in the last step.</summary>
    public float[] Rewards { get; }

    /// <summary>Which worlds ended by arrival in the last step.</summary>
    public bool[] Terminated { get; }

    /// <summary>Which worlds ended by timeout in the last step.</summary>
    public bool[] Truncated { get; }

    /// <summary>
    /// The state each world reached in the last step, before any automatic reset (for a world whose episode ended,
    /// its final state, as in <see cref="Finished"/>; Gymnasium's final info).
    /// </summary>
    public StepInfo[] Infos { get; }

    /// <summary>The episodes that ended in the last step.</summary>
    public IReadOnlyList<FinishedEpisode> Finished => _finished;

    /// <summary>World <paramref name="index"/>, for reading its state (do not step it directly).</summary>
    public GridWorld this[int index] => _worlds[index];

    /// <summary>Starts every world: world i is reset with seed Derive(<paramref name="seed"/>, i).</summary>
    public void Reset(ulong seed)
    {
        for (int i = 0; i < _worlds.Length; i++)
        {
            _worlds[i].Reset(SeededRandom.Derive(seed, (ulong)i));
            Infos[i] = _worlds[i].Info;
        }

        Array.Clear(Rewards);
        Array.Clear(Terminated);
        Array.Clear(Truncated);
        _finished.Clear();
    }

    /// <summary>Steps world i with <paramref name="actions"/>[i] (0..4); ended worlds reset at once.</summary>
    public void Step(ReadOnlySpan<int> actions)
    {
        if (actions.Length != _worlds.Length)
        {
            throw new ArgumentException($"expected {_worlds.Length} actions, got {actions.Length}", nameof(actions));
        }

        _finished.Clear();
        for (int i = 0; i < _worlds.Length; i++)
        {
            GridWorld world = _worlds[i];
            (float reward, bool terminated, bool truncated) = world.Advance(GridActions.FromIndex(actions[i]));
            Rewards[i] = reward;
            Terminated[i] = terminated;
            Truncated[i] = truncated;
            Infos[i] = world.Info;
            if (terminated || truncated)
            {
                _finished.Add(new FinishedEpisode(i, terminated, Infos[i]));
                world.Reset();
            }
        }
    }

    /// <summary>Writes each world's frame key (see <see cref="FrameCache.KeyOf"/>) into <paramref name="keys"/> (B values).</summary>
    /// <exception cref="ArgumentException">The span does not hold B values.</exception>
    public void CopyFrameKeys(Span<int> keys)
    {
        CheckCount(keys.Length);
        for (int i = 0; i < _worlds.Length; i++)
        {
            keys[i] = _worlds[i].FrameKey;
        }
    }

    /// <summary>Writes the instruction each world's agent observes now (<see cref="GridWorld.ObservedInstruction"/>) into <paramref name="instructions"/> (B values).</summary>
    /// <exception cref="ArgumentException">The span does not hold B values.</exception>
    public void CopyInstructions(Span<float> instructions)
    {
        CheckCount(instructions.Length);
        for (int i = 0; i < _worlds.Length; i++)
        {
            instructions[i] = _worlds[i].ObservedInstruction;
        }
    }

    /// <summary>Writes each world's time left T − t (<see cref="GridWorld.TimeLeft"/>) into <paramref name="timeLeft"/> (B values).</summary>
    /// <exception cref="ArgumentException">The span does not hold B values.</exception>
    public void CopyTimeLeft(Span<float> timeLeft)
    {
        CheckCount(timeLeft.Length);
        for (int i = 0; i < _worlds.Length; i++)
        {
            timeLeft[i] = _worlds[i].TimeLeft;
        }
    }

    /// <summary>
    /// Writes the current observations into <paramref name="observations"/> (B × <see cref="FrameRenderer.FrameLength"/>
    /// bytes): frame after frame, each 3×56×56 bytes 0..255, channel-major (<see cref="Frame.PlaneBytes"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The span's length is not B frames.</exception>
    public void CopyObservations(Span<byte> observations)
    {
        Span<int> keys = _worlds.Length <= 1024 ? stackalloc int[_worlds.Length] : new int[_worlds.Length];
        CopyFrameKeys(keys);
        _frames.CopyPlaneBytes(keys, observations);
    }

    /// <summary>
    /// The observation that frame key <paramref name="frameKey"/> names (<see cref="CopyFrameKeys"/>): its
    /// <see cref="FrameRenderer.FrameLength"/> bytes as <see cref="CopyObservations(Span{byte})"/> writes each world's,
    /// read in place from the drawn frames (never changed), not copied. For a reader that needs only some observations'
    /// bytes: a rollout pass reads only the pictures new to its rollout.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The key is not one of this grid size's.</exception>
    public ReadOnlySpan<byte> PlaneBytesOf(int frameKey) => _frames.PlaneBytes(frameKey);

    /// <summary>
    /// Writes the current observations into <paramref name="observations"/> (B × <see cref="FrameRenderer.FrameLength"/>
    /// floats): frame after frame, each 3×56×56 values in [0, 1], channel-major (<see cref="Frame.Planes"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The span's length is not B frames.</exception>
    public void CopyObservationPlanes(Span<float> observations)
    {
        Span<int> keys = _worlds.Length <= 1024 ? stackalloc int[_worlds.Length] : new int[_worlds.Length];
        CopyFrameKeys(keys);
        _frames.CopyPlanes(keys, observations);
    }

    private void CheckCount(int length)
    {
        if (length != _worlds.Length)
        {
            throw new ArgumentException($"expected room for {_worlds.Length} values, one per world, got {length}");
        }
    }
}
