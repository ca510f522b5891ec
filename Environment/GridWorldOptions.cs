namespace GridTime.Environment;

/// <summary>The rules of one grid world. Validate with <see cref="Validate"/> (the environments do).</summary>
public sealed record GridWorldOptions
{
    /// <summary>
    /// Largest instruction T and largest reward m any world accepts: L = T + m and every step count stay far
    /// inside a 32-bit integer, and an episode of that length is still played in well under a second.
    /// </summary>
    public const int MaximumInstruction = 1_000_000;

    /// <summary>Largest arrival reward m any world accepts (see <see cref="MaximumInstruction"/>).</summary>
    public const int MaximumReward = 1_000_000;

    /// <summary>The defaults (the paper's task: 5x5 grid, T ~ U{5..12}, m = 10, L = T + m); the training settings start from them.</summary>
    public static GridWorldOptions Default { get; } = new();

    /// <summary>Side of the square grid N (N x N cells), 2 to 56 (each cell must get at least one pixel).</summary>
    public int Size { get; init; } = 5;

    /// <summary>Smallest instruction T drawn at reset (T ~ U{MinInstruction..MaxInstruction}); at least 1.</summary>
    public int MinInstruction { get; init; } = 5;

    /// <summary>Largest instruction T drawn at reset; at least <see cref="MinInstruction"/>.</summary>
    public int MaxInstruction { get; init; } = 12;

    /// <summary>The reward m for arriving exactly at T; arriving k steps off earns max(0, m - k) under the paper's rule (<see cref="Rules"/>).</summary>
    public int MaxReward { get; init; } = 10;

    /// <summary>
    /// A fixed timeout L for every episode. Null (the default) means the rules' timeout
    /// (<see cref="EpisodeRules.Timeout"/>: L = T + m for the paper's rule). A fixed L must exceed every T the
    /// episode can be given.
    /// </summary>
    public int? Timeout { get; init; }

    /// <summary>
    /// The reward of each step, the best achievable reward and the timeout formula
    /// (<see cref="EpisodeRules.Paper"/>, the rule of Trask et al. 2018, by default).
    /// </summary>
    public EpisodeRules Rules { get; init; } = EpisodeRules.Paper;

    /// <summary>When the agent is shown T: in every observation (the default) or only at t = 0.</summary>
    public InstructionShown InstructionShown { get; init; } = InstructionShown.EveryStep;

    /// <summary>Where the agent starts: a random cell (the default) or the centre cell; the target is drawn among the other cells.</summary>
    public StartCell AgentStart { get; init; } = StartCell.Random;

    /// <summary>The centre cell of the grid (row and column ⌊N/2⌋), where <see cref="StartCell.Centre"/> starts the agent.</summary>
    public Cell CentreCell => new(Size / 2, Size / 2);

    /// <summary>The instruction the agent observes at step count <paramref name="time"/> of an episode with instruction <paramref name="instruction"/>: T, or 0 after t = 0 when <see cref="InstructionShown"/> is <see cref="InstructionShown.FirstStep"/>.</summary>
    public int ObservedInstruction(int instruction, int time) => InstructionShown == InstructionShown.FirstStep && time > 0 ? 0 : instruction;

    /// <summary>The timeout L, in steps, for an episode with instruction <paramref name="instruction"/>: <see cref="Timeout"/> or the rules' L.</summary>
    public int TimeoutFor(int instruction) => Timeout ?? Rules.Timeout(instruction, MaxReward);

    /// <summary>The best achievable reward of an episode whose agent starts <paramref name="distance"/> steps from the target with instruction <paramref name="instruction"/> (the rules' formula).</summary>
    public int BestAchievableFor(int distance, int instruction) => Rules.BestAchievable(MaxReward, distance, instruction);

    /// <summary>The farthest the target can be from the agent, in steps: 2(N − 1) (opposite corners; 8 on the 5x5 grid).</summary>
    public int MaxDistance => 2 * (Size - 1);

    /// <summary>Number of cells, N².</summary>
    public int CellCount => Size * Size;

    /// <summary>
    /// Every field out of range, in field order, each as (the property's name, a message naming the field in
    /// words): Size 2..56, T range within 1..<see cref="MaximumInstruction"/> and not empty, m
    /// 1..<see cref="MaximumReward"/>, a fixed L above every T and at most <see cref="MaximumInstruction"/> +
    /// <see cref="MaximumReward"/>. Empty when the options are valid. The one place these bounds are checked:
    /// <see cref="Validate"/> throws the first, the training settings name their flags before them.
    /// </summary>
    public IReadOnlyList<(string Property, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        void Check(bool ok, string property, string message)
        {
            if (!ok)
            {
                problems.Add((property, message));
            }
        }

        Check(Size is >= 2 and <= FrameRenderer.ImageSize, nameof(Size), $"the grid size must be 2..{FrameRenderer.ImageSize}, got {Size}");
        Check(MinInstruction is >= 1 and <= MaximumInstruction, nameof(MinInstruction), $"the smallest instruction T must be 1..{MaximumInstruction}, got {MinInstruction}");
        Check(MaxInstruction is >= 1 and <= MaximumInstruction, nameof(MaxInstruction), $"the largest instruction T must be 1..{MaximumInstruction}, got {MaxInstruction}");
        Check(MaxInstruction >= MinInstruction, nameof(MaxInstruction), $"the T range {MinInstruction}..{MaxInstruction} is empty");
        Check(MaxReward is >= 1 and <= MaximumReward, nameof(MaxReward), $"the arrival reward m must be 1..{MaximumReward}, got {MaxReward}");
        Check(Enum.IsDefined(InstructionShown), nameof(InstructionShown), $"unknown instruction visibility {(int)InstructionShown}");
        Check(Enum.IsDefined(AgentStart), nameof(AgentStart), $"unknown agent start {(int)AgentStart}");
        Check(Timeout is null || (Timeout > MaxInstruction && Timeout <= MaximumInstruction + MaximumReward), nameof(Timeout), $"the timeout L must exceed every T (largest T is {MaxInstruction}) and be at most {MaximumInstruction + MaximumReward}, got L = {Timeout}");
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with the first of <see cref="Problems"/>, if any. Returns this.</summary>
    public GridWorldOptions Validate()
    {
        IReadOnlyList<(string Property, string Message)> problems = Problems();
        return problems.Count == 0 ? this : throw new ArgumentException(problems[0].Message);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when <paramref name="instruction"/> cannot be given to an episode under
    /// these rules: T outside 1..<see cref="MaximumInstruction"/>, or T not below the timeout L.
    /// </summary>
    public void ValidateInstruction(int instruction)
    {
        Require(instruction is >= 1 and <= MaximumInstruction, $"the instruction T must be 1..{MaximumInstruction}, got {instruction}");
        Require(TimeoutFor(instruction) > instruction, $"the timeout L = {TimeoutFor(instruction)} must exceed T = {instruction}");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
