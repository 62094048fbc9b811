using System.Globalization;

namespace Relay;

/// <summary>
/// Timestamps that partners write without a zone ("2024-01-15 12:34:56") are wall-clock times of the
/// zone the partner lives in. Read as UTC they are off by that zone's offset (Warsaw: one or two
/// hours), enough to put a subscription after an unsubscribe that really came later. Zones are IANA
/// ids, resolved from the operating system's tz database (/usr/share/zoneinfo); with
/// InvariantGlobalization that still works, as long as the image has tzdata.
/// </summary>
public static class ZonelessTime
{
    /// <summary>The zone for an IANA id; throws, naming the id, when this machine does not know it.</summary>
    public static TimeZoneInfo Zone(string ianaId)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(ianaId);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            throw new TimeZoneNotFoundException($"Time zone '{ianaId}' is not known on this machine (an IANA id such as Europe/Warsaw is expected; is tzdata installed?).", e);
        }
    }

    public static bool IsKnown(string? ianaId)
    {
        if (string.IsNullOrWhiteSpace(ianaId)) return false;
        try
        {
            Zone(ianaId);
            return true;
        }
        catch (TimeZoneNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// The instant a partner's timestamp means. A text that carries its own offset or "Z" is taken as
    /// it says; a zone-less one is wall-clock time in <paramref name="zone"/>. Wall-clock times that
    /// happen twice (the hour clocks go back) are read as the earlier instant, times that never happen
    /// (the hour clocks skip) with the offset from before the change: an hour either way, which the
    /// ordering window of a zone-less partner (<see cref="PartnerClock.Uncertainty"/>) covers. Null when
    /// the text is no time.
    /// </summary>
    public static DateTimeOffset? Read(string? text, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed)) return null;
        if (parsed.Kind != DateTimeKind.Unspecified)
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var zoned) ? zoned : null;
        return new DateTimeOffset(parsed, OffsetAt(zone, parsed));
    }

    /// <summary>An instant as the wall-clock time of <paramref name="zone"/>, without zone: what such a partner expects to be sent.</summary>
    public static string Write(DateTimeOffset instant, TimeZoneInfo zone, string format = "yyyy-MM-dd'T'HH:mm:ss") =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString(format, CultureInfo.InvariantCulture);

    private static TimeSpan OffsetAt(TimeZoneInfo zone, DateTime local)
    {
        if (zone.IsAmbiguousTime(local)) return zone.GetAmbiguousTimeOffsets(local).Max();
        if (zone.IsInvalidTime(local)) return zone.GetUtcOffset(local.AddHours(-3));
        return zone.GetUtcOffset(local);
    }
}
