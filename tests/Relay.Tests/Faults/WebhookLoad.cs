using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Simulators.Shopware;

namespace Relay.Tests.Faults;

/// <summary>
/// Signed Shopware webhooks with unique event ids, sent by a few concurrent senders to whichever relay
/// <see cref="PickTarget"/> names, remembering exactly which events a relay accepted (answered 2xx).
/// Those, and only those, are the events the relay has promised not to lose.
/// </summary>
public sealed class WebhookLoad(ShopwareShopSimulator shop, Func<int, string> pickTarget)
{
    private int _next = -1;
    private int _stop;

    public Func<int, string> PickTarget { get; set; } = pickTarget;
    public ConcurrentDictionary<string, string> Accepted { get; } = new();
    public ConcurrentDictionary<int, int> Statuses { get; } = new();
    public int Failures => _failures;
    /// <summary>503 answers that did not say when to come back.</summary>
    public int UnavailableWithoutRetryAfter => _unavailableWithoutRetryAfter;
    private int _failures;
    private int _unavailableWithoutRetryAfter;

    private int _count;
    public int Sent => Math.Clamp(Volatile.Read(ref _next) + 1, 0, _count);

    public void Stop() => Volatile.Write(ref _stop, 1);

    /// <summary>Sends until <paramref name="count"/> events went out or <see cref="Stop"/> is called.</summary>
    public Task RunAsync(int count, int concurrency, string runId)
    {
        _count = count;
        return Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while (Volatile.Read(ref _stop) == 0 && (i = Interlocked.Increment(ref _next)) < count)
            {
                var eventId = $"{runId}-{i:D6}";
                var target = PickTarget(i);
                try
                {
                    using var response = await shop.SendSignedAsync(target + "/shopware/webhook",
                        shop.WebhookBody("customer.written", Payload(i), eventId));
                    Statuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is null)
                        Interlocked.Increment(ref _unavailableWithoutRetryAfter);
                    if (response.IsSuccessStatusCode) Accepted[eventId] = target;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Killed or unreachable relay: no answer, so no promise either.
                    Interlocked.Increment(ref _failures);
                }
            }
        })));
    }

    private static JsonArray Payload(int i) =>
    [
        new JsonObject
        {
            ["entity"] = "customer",
            ["operation"] = "update",
            ["primaryKey"] = $"{i:x32}",
            ["updatedFields"] = new JsonArray("id", "firstName", "email", "newsletter"),
        },
    ];

    public string Describe() =>
        $"sent {Sent}, accepted {Accepted.Count}, no answer {Failures}, statuses {string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}";

    public static bool IsAccepted(HttpStatusCode status) => (int)status is >= 200 and < 300;
}
