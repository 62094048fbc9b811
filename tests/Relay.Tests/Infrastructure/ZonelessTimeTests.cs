namespace Relay.Tests.Infrastructure;

/// <summary>Zone-less partner times are wall-clock times of the partner's zone (shoper.md §3, targets.md §1.3, §3, §4.1).</summary>
public sealed class ZonelessTimeTests
{
    private static readonly TimeZoneInfo Warsaw = ZonelessTime.Zone("Europe/Warsaw");

    [Theory]
    [InlineData("2026-07-15 12:34:56", "2026-07-15T10:34:56Z")] // CEST, UTC+2
    [InlineData("2026-01-15 12:34:56", "2026-01-15T11:34:56Z")] // CET, UTC+1
    public void A_Shoper_dateadd_is_Polish_wall_clock_time(string dateadd, string utc) =>
        Assert.Equal(DateTimeOffset.Parse(utc), ZonelessTime.Read(dateadd, Warsaw));

    [Fact]
    public void A_time_with_its_own_offset_is_taken_as_it_says()
    {
        Assert.Equal(DateTimeOffset.Parse("2026-07-15T12:34:56Z"), ZonelessTime.Read("2026-07-15T12:34:56+00:00", Warsaw));
        Assert.Equal(DateTimeOffset.Parse("2026-07-15T12:34:56Z"), ZonelessTime.Read("2026-07-15T12:34:56Z", Warsaw));
    }

    [Fact]
    public void The_hour_the_clocks_go_back_reads_as_the_earlier_instant_and_the_skipped_hour_with_the_old_offset()
    {
        // 2026-10-25 02:30 happens twice in Warsaw (CEST, then CET); 2026-03-29 02:30 never happens.
        Assert.Equal(DateTimeOffset.Parse("2026-10-25T00:30:00Z"), ZonelessTime.Read("2026-10-25 02:30:00", Warsaw));
        Assert.Equal(DateTimeOffset.Parse("2026-03-29T01:30:00Z"), ZonelessTime.Read("2026-03-29 02:30:00", Warsaw));
    }

    [Fact]
    public void Budapest_and_Amsterdam_are_known_and_a_time_is_written_back_as_their_wall_clock()
    {
        Assert.Equal("2026-07-15T14:00:00", ZonelessTime.Write(DateTimeOffset.Parse("2026-07-15T12:00:00Z"), ZonelessTime.Zone("Europe/Amsterdam")));
        Assert.Equal(DateTimeOffset.Parse("2026-01-15T11:00:00Z"), ZonelessTime.Read("2026-01-15 12:00:00", ZonelessTime.Zone("Europe/Budapest")));
    }

    [Fact]
    public void Text_that_is_no_time_reads_as_none_and_an_unknown_zone_is_named()
    {
        Assert.Null(ZonelessTime.Read("soon", Warsaw));
        Assert.Null(ZonelessTime.Read(null, Warsaw));
        Assert.False(ZonelessTime.IsKnown("Europe/Atlantis"));
        Assert.Contains("Europe/Atlantis", Assert.Throws<TimeZoneNotFoundException>(() => ZonelessTime.Zone("Europe/Atlantis")).Message);
    }
}
