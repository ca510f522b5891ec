namespace GridTime.Environment;

/// <summary>
/// One grid world (Trask et al. 2018, "learning to track time in a grid-world"), with a Gymnasium-style
/// surface: <see cref="Reset"/> gives (observation, info), <see cref="Step(GridAction)"/> gives
/// (observation, reward, terminated, truncated, info).
/// <para>
/// Rules: at reset the agent and the target take two distinct cells drawn uniformly (or, with
/// <see cref="StartCell.Centre"/>, the agent the centre cell and the target one of the others), T is drawn from
/// U{MinInstruction..MaxInstruction} unless fixed by the caller, and t = 0. Each step increases t by one, then
/// moves the agent (a move into a wall stays). Standing on the target ends the episode (terminated);
/// otherwise reaching t = L ends it (truncated). What each step pays, the best achievable reward and L are the
/// formulas of <see cref="GridWorldOptions.Rules"/> (by default the paper's: reward max(0, m − |t − T|) on
/// arrival, 0 otherwise; L = T + m). The world sums every step's reward into the episode's return. The observation
/// carries T at every step, or only at t = 0 (<see cref="GridWorldOptions.InstructionShown"/>).
/// </para>
/// Drawing lives in <see cref="FrameRenderer"/>; this class holds only the rules.
/// </summary>
public sealed class GridWorld
{
    private readonly FrameCache _frames;
    private SeededRandom _random = new(0);
    private bool _started;

    /// <summary>A world under <paramref name="options"/>; throws <see cref="ArgumentException"/> for bad options.</summary>
    public GridWorld(GridWorldOptions? options = null)
    {
        Options = (options ?? new GridWorldOptions()).Validate();
        _frames = FrameCache.ForSize(Options.Size);
    }

    /// <summary>The rules of this world.</summary>
    public GridWorldOptions Options { get; }

    /// <summary>The agent's cell.</summary>
    public Cell Agent { get; private set; }

    /// <summary>The target's cell.</summary>
    public Cell Target { get; private set; }

    /// <summary>The agent's cell at t = 0.</summary>
    public Cell AgentStart { get; private set; }

    /// <summary>Step count t.</summary>
    public int Time { get; private set; }

    /// <summary>The instruction T of this episode.</summary>
    public int Instruction { get; private set; }

    /// <summary>The timeout L of this episode.</summary>
    public int Timeout { get; private set; }

    /// <summary>
    /// The return of a perfect agent in this episode, by the rules' formula (<see cref="EpisodeRules.BestAchievable"/>;
    /// the paper's: max(0, m − max(0, d − T)), d the Manhattan distance from the agent's start to the target).
    /// </summary>
    public int BestAchievableReward { get; private set; }

    /// <summary>The sum of the rewards of this episode's steps so far (0 after reset).</summary>
    public float EpisodeReturn { get; private set; }

    /// <summary>The step at which the agent reached the target, if it has.</summary>
    public int? ArrivalTime { get; private set; }

    /// <summary>True once the episode has terminated or been truncated; call <see cref="Reset"/> again.</summary>
    public bool IsDone { get; private set; }

    /// <summary>The frame key of the current (agent, target) pair in <see cref="FrameCache"/>.</summary>
    public int FrameKey => _frames.KeyOf(Agent.ToIndex(Options.Size), Target.ToIndex(Options.Size));

    /// <summary>T − t: the steps left until the agent should stand on the target (negative once T has passed).</summary>
    public int TimeLeft => Instruction - Time;

    /// <summary>The instruction the agent observes now: T, or 0 after t = 0 when T is shown only at the start (<see cref="GridWorldOptions.ObservedInstruction"/>).</summary>
    public int ObservedInstruction => Options.ObservedInstruction(Instruction, Time);

    /// <summary>What the agent sees now.</summary>
    public Observation Observation => new(_frames.Get(FrameKey), ObservedInstruction);

    /// <summary>The step information for the current state.</summary>
    public StepInfo Info => new(Time, Instruction, Timeout, Agent, Target, AgentStart, BestAchievableReward, ArrivalTime, EpisodeReturn);

    /// <summary>
    /// Starts an episode. With a <paramref name="seed"/>, the generator restarts from it (same seed, same
    /// episodes); without one it continues its stream. The start cells are drawn before T and do not depend
    /// on it, so the same seed with different fixed <paramref name="instruction"/>s gives the same start cells.
    /// </summary>
    public (Observation Observation, StepInfo Info) Reset(ulong? seed = null, int? instruction = null)
    {
        if (instruction is int fixedT)
        {
            Options.ValidateInstruction(fixedT);
        }

        if (seed is ulong s)
        {
            _random = new SeededRandom(s);
        }

        int cells = Options.CellCount;
        int agent = Options.AgentStart == StartCell.Centre ? Options.CentreCell.ToIndex(Options.Size) : _random.NextInt(cells);
        int target = _random.NextInt(cells - 1);
        if (target >= agent)
        {
            target++;
        }

        int t = instruction ?? _random.NextInt(Options.MinInstruction, Options.MaxInstruction);
        Start(Cell.FromIndex(agent, Options.Size), Cell.FromIndex(target, Options.Size), t);
        return (Observation, Info);
    }

    /// <summary>Starts an episode from given cells and instruction (for tests, replays and hand-made cases).</summary>
    public (Observation Observation, StepInfo Info) ResetTo(Cell agent, Cell target, int instruction)
    {
        Options.ValidateInstruction(instruction);
        if (!InGrid(agent) || !InGrid(target) || agent == target)
        {
            throw new ArgumentException($"agent {agent} and target {target} must be distinct cells of the {Options.Size}x{Options.Size} grid");
        }

        Start(agent, target, instruction);
        return (Observation, Info);
    }

    /// <summary>Takes action number <paramref name="action"/> (0 stay, 1 up, 2 down, 3 left, 4 right).</summary>
    public StepResult Step(int action) => Step(GridActions.FromIndex(action));

    /// <summary>Advances one step; see the class comment for the rules.</summary>
    public StepResult Step(GridAction action)
    {
        (float reward, bool terminated, bool truncated) = Advance(action);
        return new StepResult(Observation, reward, terminated, truncated, Info);
    }

    /// <summary>The rules of one step, without building an observation (the vectorized form uses this).</summary>
    internal (float Reward, bool Terminated, bool Truncated) Advance(GridAction action)
    {
        if (!_started || IsDone)
        {
            throw new InvalidOperationException("the episode has ended (or never started): call Reset first");
        }

        if ((uint)action >= GridActions.Count)
        {
            throw new ArgumentException($"action must be 0..{GridActions.Count - 1}, got {(int)action}", nameof(action));
        }

        Time++;
        Cell from = Agent;
        Agent = Agent.Move(action, Options.Size);
        bool arrived = Agent == Target;
        bool timedOut = !arrived && Time >= Timeout;
        if (arrived)
        {
            ArrivalTime = Time;
        }

        IsDone = arrived || timedOut;
        float reward = Options.Rules.Reward(new StepEvent(action, from, Agent, Time, Instruction, Options.MaxReward, arrived, timedOut));
        EpisodeReturn += reward;
        return (reward, arrived, timedOut);
    }

    private void Start(Cell agent, Cell target, int instruction)
    {
        Agent = agent;
        AgentStart = agent;
        Target = target;
        Instruction = instruction;
        Timeout = Options.TimeoutFor(instruction);
        Time = 0;
        ArrivalTime = null;
        EpisodeReturn = 0f;
        IsDone = false;
        _started = true;
        BestAchievableReward = Options.BestAchievableFor(agent.ManhattanDistance(target), instruction);
    }

    private bool InGrid(Cell cell) => cell.Row >= 0 && cell.Row < Options.Size && cell.Column >= 0 && cell.Column < Options.Size;
}
