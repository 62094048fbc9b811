namespace Relay.Mapping;

public enum BounceKind { Hard, Soft }

public sealed record Bounce
{
    /// <summary>The unique key when the target knows it (its external id); null otherwise.</summary>
    public string? Key { get; init; }
    public required string Email { get; init; }
    public required BounceKind Kind { get; init; }
    public required DateTimeOffset At { get; init; }
}
