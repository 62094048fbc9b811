using System.Net;
using System.Net.Sockets;

namespace Relay.Infrastructure;

/// <summary>Outbound:AllowPrivateNetworks — whether shops and partners may live on loopback or private addresses.</summary>
public sealed class OutboundAddressOptions
{
    public const string Section = "Outbound";

    /// <summary>
    /// False (production): the relay connects only to public addresses. True where shops or tills really are on
    /// the relay's own network (a self-hosted relay next to its till, development, the simulators).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }
}

/// <summary>The relay refused to connect: the partner's host resolves only to addresses it does not call.</summary>
public sealed class OutboundAddressRefusedException(string host)
    : HttpRequestException($"{host} resolves only to loopback, private or link-local addresses, which the relay does not call (Outbound:AllowPrivateNetworks).");

/// <summary>
/// Shop and partner addresses come from outside: a shop's registration names its own URL, a merchant types a
/// marketing system's or a till's address into the page. Without a check, either could make the relay call its
/// own network (cloud metadata, Redis, the operator API) and read what comes back in an error message. The
/// check is at connect time, on the addresses the name resolves to, so a name that resolves inward (or starts
/// doing so later) is refused as well as a literal one, on every redirect too.
/// </summary>
public static class OutboundAddressGuard
{
    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/3"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    public static bool IsPublic(IPAddress address)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return !NotPublic.Any(n => n.BaseAddress.AddressFamily == a.AddressFamily && n.Contains(a));
    }

    /// <summary>The chain's connection handler: any address when private networks are allowed, else public ones only.</summary>
    public static SocketsHttpHandler Handler(OutboundAddressOptions options, bool allowAutoRedirect = true) => new()
    {
        AllowAutoRedirect = allowAutoRedirect,
        ConnectCallback = options.AllowPrivateNetworks ? null : ConnectPubliclyAsync,
    };

    private static async ValueTask<Stream> ConnectPubliclyAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(IsPublic).ToArray();
        if (allowed.Length == 0) throw new OutboundAddressRefusedException(host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
