using GridTime.Training.Benchmark;

namespace GridTime.Tests.Benchmark;

public sealed class CpuTimesTests
{
    [Fact]
    public void StatSumsBusyCountersOfTheCpuLineOnly()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user and nice.
        const string stat = "cpu  100 20 30 400 50 6 7 8 90 10\n"
            + "cpu0 60 10 20 200 25 3 4 4 45 5\n"
            + "cpu1 40 10 10 200 25 3 3 4 45 5\n"
            + "intr 12345 0 0\nctxt 999\nbtime 1700000000\n";
        (long busy, long total) = CpuTimes.ParseStat(stat);
        Assert.Equal(100 + 20 + 30 + 6 + 7 + 8, busy);
        Assert.Equal(171 + 400 + 50, total);
    }

    [Fact]
    public void StatOfThisMachineAsPrinted()
    {
        (long busy, long total) = CpuTimes.ParseStat("cpu  4463990 108013 231531 1075628 12923 0 1388 3544 0 0\ncpu0 2250045 56443 107563 528560 4024 0 167 1761 0 0\n");
        Assert.Equal(4808466, busy);
        Assert.Equal(5897017, total);
    }

    [Theory]
    [InlineData("cpu0 1 2 3 4 5 6 7 8 0 0\n")]
    [InlineData("cpu  1 2 3 4 5 6 7\n")]
    [InlineData("cpu  1 2 x 4 5 6 7 8 0 0\n")]
    [InlineData("cpu  1 2 -3 4 5 6 7 8 0 0\n")]
    public void StatWithoutEightCountersIsRefused(string stat) => Assert.Throws<FormatException>(() => CpuTimes.ParseStat(stat));

    [Fact]
    public void OwnTicksAreUtimePlusStime()
    {
        // Fields: pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        const string self = "1234 (gridtime) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 37 11 12 20 0 3 0 100 3133440 388\n";
        Assert.Equal(250 + 37, CpuTimes.ParseOwnTicks(self));
    }

    [Fact]
    public void OwnTicksAreCountedAfterTheLastParenthesis()
    {
        // A command name may hold spaces and parentheses; counted from the first ')', utime and stime would fall inside the name.
        const string self = "42 (a) 7 7 7 7 7 7 7 7 7 7 (b) R 1 42 42 0 -1 4194560 500 0 0 0 1000 234 0 0 20 0 1 0 100 3133440 388\n";
        Assert.Equal(1234, CpuTimes.ParseOwnTicks(self));
    }

    [Theory]
    [InlineData("1234 gridtime S 1 1234 1234 0 -1 4194560 500 0 0 0 250 37")]
    [InlineData("1234 (gridtime) S 1 1234 1234 0 -1 4194560 500 0 0 0 250")]
    public void OwnTicksWithoutTheFieldsAreRefused(string self) => Assert.Throws<FormatException>(() => CpuTimes.ParseOwnTicks(self));

    [Fact]
    public void OthersShareIsBusyLessOwnOverTotal()
    {
        var start = new CpuTimes(BusyTicks: 1000, TotalTicks: 2000, OwnTicks: 300);
        var end = new CpuTimes(BusyTicks: 1150, TotalTicks: 2200, OwnTicks: 400);
        // (150 busy - 100 own) / 200 ticks of the machine.
        Assert.Equal(0.25, CpuTimes.OthersShare(start, end));
    }

    [Fact]
    public void OthersShareStaysWithinZeroAndOneAndNeedsATick()
    {
        var start = new CpuTimes(1000, 2000, 300);
        // The machine's tick sampling counted less than the process's exact time: no negative share.
        Assert.Equal(0.0, CpuTimes.OthersShare(start, new CpuTimes(1090, 2100, 400)));
        Assert.Null(CpuTimes.OthersShare(start, start));
    }

    [Fact]
    public void ReadingThisMachineGivesOrderedCounters()
    {
        CpuTimes? first = CpuTimes.Read();
        if (!File.Exists("/proc/stat"))
        {
            Assert.Null(first);
            return;
        }

        Assert.NotNull(first);
        CpuTimes second = CpuTimes.Read()!.Value;
        Assert.InRange(first.Value.BusyTicks, 0, first.Value.TotalTicks);
        Assert.True(second.TotalTicks >= first.Value.TotalTicks && second.BusyTicks >= first.Value.BusyTicks && second.OwnTicks >= first.Value.OwnTicks);
        // The test host has compiled and run code for far longer than one 10 ms tick by now.
        Assert.True(second.OwnTicks > 0);
    }
}
