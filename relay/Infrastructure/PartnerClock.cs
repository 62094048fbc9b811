namespace Relay;

/// <summary>
/// How a partner system (a shop platform or a target) stamps the times the relay compares, declared by
/// the platform or target itself. <see cref="Zone"/>: the IANA zone its zone-less timestamps are local
/// to (null when it writes only instants: offsets, "Z" or epoch numbers). <see cref="Uncertainty"/>: how
/// far one of its times may be from the true instant on the relay's clock: clock skew for systems that
/// write instants, hours for systems that write zone-less local times (a shop set to another zone, a
/// daylight-saving hour). <see cref="Sync.ConsentPolicy.OptInIsClearlyNewer"/> adds the shop's and the
/// target's to one ordering window.
/// </summary>
public sealed record PartnerClock(string? Zone, TimeSpan Uncertainty)
{
    /// <summary>A system that writes instants (offsets, "Z", epoch numbers): only its clock can be off.</summary>
    public static PartnerClock Instants(TimeSpan skew) => new(null, skew);

    /// <summary>A system that writes zone-less wall-clock times of <paramref name="zone"/>.</summary>
    public static PartnerClock LocalTime(string zone, TimeSpan uncertainty) => new(zone, uncertainty);

    /// <summary>Clock skew assumed for a partner that writes instants.</summary>
    public static readonly TimeSpan Skew = TimeSpan.FromMinutes(10);

    /// <summary>Assumed for zone-less local times: the largest European offset from UTC (2 h in summer) plus the skew, with room to spare.</summary>
    public static readonly TimeSpan ZonelessDoubt = TimeSpan.FromHours(3);
}
