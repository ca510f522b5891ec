using System.Globalization;

namespace GridTime.Training.Benchmark;

/// <summary>
/// One reading of Linux's CPU-time counters, in clock ticks (USER_HZ) since boot: the machine's time summed over
/// all its CPUs (the <c>cpu</c> line of <c>/proc/stat</c>) and this process's own, all its threads included
/// (<c>utime + stime</c>, fields 14 and 15 of <c>/proc/self/stat</c>). Two readings around a measurement tell how
/// much of the machine other processes used meanwhile (<see cref="OthersShare"/>), which a speed measured on a
/// shared machine needs beside it. Field layouts: proc(5).
/// </summary>
/// <param name="BusyTicks">user + nice + system + irq + softirq + steal of all CPUs (guest time is already inside user and nice).</param>
/// <param name="TotalTicks">Busy time plus idle and iowait: the elapsed time x the CPUs /proc/stat lists, in ticks.</param>
/// <param name="OwnTicks">This process's user + system time.</param>
public readonly record struct CpuTimes(long BusyTicks, long TotalTicks, long OwnTicks)
{
    /// <summary>Reads <c>/proc/stat</c> and <c>/proc/self/stat</c>; null where they cannot be read (not Linux).</summary>
    public static CpuTimes? Read()
    {
        try
        {
            (long busy, long total) = ParseStat(File.ReadAllText("/proc/stat"));
            return new CpuTimes(busy, total, ParseOwnTicks(File.ReadAllText("/proc/self/stat")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The machine's busy and total ticks from the text of <c>/proc/stat</c>, whose line
    /// <c>cpu user nice system idle iowait irq softirq steal guest guest_nice</c> sums all CPUs.
    /// </summary>
    /// <exception cref="FormatException">No <c>cpu</c> line, or fewer than eight counters on it.</exception>
    public static (long Busy, long Total) ParseStat(string procStat)
    {
        string line = procStat.Split('\n').FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal))
            ?? throw new FormatException("/proc/stat has no \"cpu\" line");
        long[] ticks = [.. line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(Ticks)];
        if (ticks.Length < 8)
        {
            throw new FormatException($"/proc/stat's \"cpu\" line has {ticks.Length} counters, not the eight user..steal");
        }

        long busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
        return (busy, busy + ticks[3] + ticks[4]);
    }

    /// <summary>
    /// This process's utime + stime from the text of <c>/proc/self/stat</c>. The command name (field 2, in
    /// parentheses) may itself hold spaces and parentheses, so the fields are counted from after the last ')':
    /// state is field 3 there, utime and stime fields 14 and 15.
    /// </summary>
    /// <exception cref="FormatException">No ')' or fewer than 15 fields.</exception>
    public static long ParseOwnTicks(string procSelfStat)
    {
        int end = procSelfStat.LastIndexOf(')');
        if (end < 0)
        {
            throw new FormatException("/proc/self/stat has no ')' closing the command name");
        }

        string[] fields = procSelfStat[(end + 1)..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        const int utime = 14 - 3, stime = 15 - 3;
        if (fields.Length <= stime)
        {
            throw new FormatException($"/proc/self/stat has {fields.Length + 2} fields, not the 15 up to stime");
        }

        return Ticks(fields[utime]) + Ticks(fields[stime]);
    }

    /// <summary>
    /// The share (0..1) of the machine's CPU time between <paramref name="start"/> and <paramref name="end"/>
    /// that other processes used: (busy − own) / (elapsed x CPUs), all in ticks, the elapsed CPU time being
    /// /proc/stat's own total (so no tick rate is assumed). Null where no tick passed. Clamped to 0..1: the
    /// machine's counters are sampled on ticks while a process's time is measured exactly, so over a short
    /// interval the difference can fall a tick or two outside.
    /// </summary>
    public static double? OthersShare(CpuTimes start, CpuTimes end)
    {
        long total = end.TotalTicks - start.TotalTicks;
        if (total <= 0)
        {
            return null;
        }

        long others = end.BusyTicks - start.BusyTicks - (end.OwnTicks - start.OwnTicks);
        return Math.Clamp((double)others / total, 0, 1);
    }

    private static long Ticks(string field) => long.Parse(field, NumberStyles.None, CultureInfo.InvariantCulture);
}
