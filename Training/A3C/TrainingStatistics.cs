namespace GridTime.Training.A3C;

/// <summary>Totals over one logging interval, gathered from all workers.</summary>
public sealed record IntervalTotals
{
    /// <summary>Episodes that ended.</summary>
    public long Episodes { get; init; }

    /// <summary>Sum of their rewards.</summary>
    public double Reward { get; init; }

    /// <summary>Sum of their best achievable rewards.</summary>
    public double BestReward { get; init; }

    /// <summary>Sum of their lengths in steps.</summary>
    public long Steps { get; init; }

    /// <summary>Episodes that arrived exactly at T.</summary>
    public long ExactArrivals { get; init; }

    /// <summary>Updates applied.</summary>
    public long Updates { get; init; }

    /// <summary>Updates skipped because their loss or gradient was not finite.</summary>
    public long SkippedUpdates { get; init; }

    /// <summary>Sum of the updates' policy losses.</summary>
    public double PolicyLoss { get; init; }

    /// <summary>Sum of the updates' value losses.</summary>
    public double ValueLoss { get; init; }

    /// <summary>Sum of the updates' mean policy entropies.</summary>
    public double Entropy { get; init; }

    /// <summary>Sum over updates of the auxiliary time-left loss (per step), for agents that train one.</summary>
    public double TimeLeftLoss { get; init; }

    /// <summary>Updates that trained a time-left estimate.</summary>
    public long TimeLeftUpdates { get; init; }

    /// <summary>Sum over updates of the NAU sparsity regulariser mean(min(|W|, 1 − |W|)), for agents with NAUs.</summary>
    public double NauSparsity { get; init; }

    /// <summary>Updates of an agent with NAUs.</summary>
    public long NauUpdates { get; init; }

    /// <summary>Sum of the updates' gradient norms before clipping.</summary>
    public double GradientNorm { get; init; }

    /// <summary>Mean reward per episode.</summary>
    public double MeanReward => Episodes > 0 ? Reward / Episodes : double.NaN;

    /// <summary>Total reward as a fraction of the total best achievable reward.</summary>
    public double FractionOfBest => BestReward > 0 ? Reward / BestReward : double.NaN;

    /// <summary>Mean length of an episode in steps.</summary>
    public double MeanLength => Episodes > 0 ? (double)Steps / Episodes : double.NaN;

    /// <summary>Share of episodes that arrived exactly at T.</summary>
    public double ExactArrivalRate => Episodes > 0 ? (double)ExactArrivals / Episodes : double.NaN;

    /// <summary>Mean over updates of a per-update sum.</summary>
    public double PerUpdate(double sum) => Updates > 0 ? sum / Updates : double.NaN;

    /// <summary>The mean time-left loss per update, NaN for an agent without a time-left estimate.</summary>
    public double MeanTimeLeftLoss => TimeLeftUpdates > 0 ? TimeLeftLoss / TimeLeftUpdates : double.NaN;

    /// <summary>The mean NAU sparsity regulariser per update, NaN for an agent without NAUs.</summary>
    public double MeanNauSparsity => NauUpdates > 0 ? NauSparsity / NauUpdates : double.NaN;
}

/// <summary>The figures of one update, per step of its rollout, for a metrics row's losses/… columns.</summary>
/// <param name="PolicyLoss">The policy-gradient loss.</param>
/// <param name="ValueLoss">The value loss.</param>
/// <param name="Entropy">The mean policy entropy.</param>
/// <param name="TimeLeftLoss">The auxiliary time-left loss, for agents that train one.</param>
/// <param name="NauSparsity">The NAU sparsity regulariser, for agents with NAUs.</param>
public sealed record UpdateFigures(double PolicyLoss, double ValueLoss, double Entropy, double? TimeLeftLoss = null, double? NauSparsity = null);

/// <summary>Thread-safe accumulator the workers add to and the main thread drains once per interval.</summary>
public sealed class TrainingStatistics
{
    private readonly Lock _lock = new();
    private IntervalTotals _totals = new();

    /// <summary>Adds a finished episode of <paramref name="steps"/> steps.</summary>
    public void AddEpisode(float reward, int bestReward, bool exact, int steps)
    {
        lock (_lock)
        {
            _totals = _totals with
            {
                Episodes = _totals.Episodes + 1,
                Reward = _totals.Reward + reward,
                BestReward = _totals.BestReward + bestReward,
                Steps = _totals.Steps + steps,
                ExactArrivals = _totals.ExactArrivals + (exact ? 1 : 0),
            };
        }
    }

    /// <summary>Adds an applied update with the norm of its gradient before clipping.</summary>
    public void AddUpdate(UpdateFigures figures, double gradientNorm)
    {
        lock (_lock)
        {
            _totals = _totals with
            {
                TimeLeftLoss = _totals.TimeLeftLoss + (figures.TimeLeftLoss ?? 0),
                TimeLeftUpdates = _totals.TimeLeftUpdates + (figures.TimeLeftLoss is null ? 0 : 1),
                NauSparsity = _totals.NauSparsity + (figures.NauSparsity ?? 0),
                NauUpdates = _totals.NauUpdates + (figures.NauSparsity is null ? 0 : 1),
                Updates = _totals.Updates + 1,
                PolicyLoss = _totals.PolicyLoss + figures.PolicyLoss,
                ValueLoss = _totals.ValueLoss + figures.ValueLoss,
                Entropy = _totals.Entropy + figures.Entropy,
                GradientNorm = _totals.GradientNorm + gradientNorm,
            };
        }
    }

    /// <summary>Counts an update that was skipped (non-finite loss or gradient).</summary>
    public void AddSkippedUpdate()
    {
        lock (_lock)
        {
            _totals = _totals with { SkippedUpdates = _totals.SkippedUpdates + 1 };
        }
    }

    /// <summary>Returns the totals since the last call and starts a new interval.</summary>
    public IntervalTotals Drain()
    {
        lock (_lock)
        {
            IntervalTotals totals = _totals;
            _totals = new IntervalTotals();
            return totals;
        }
    }
}
