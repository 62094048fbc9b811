using Relay.Storage;
namespace Relay.Pipeline;

/// <summary>Does the work for one kind of queued event. Throw to retry later; throw
/// <see cref="PermanentFailureException"/> when retrying cannot help.</summary>
public interface IQueueHandler
{
    bool Handles(string kind);
    Task HandleAsync(QueueItem item, CancellationToken ct);
}

/// <summary>A failure that no retry can fix (bad credentials, invalid email): straight to dead letters.</summary>
public sealed class PermanentFailureException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The event cannot be handled yet, and no retry schedule should run out over it (a feature of its shop
/// is paused): it waits in the delayed-retry set, looked at again every <see cref="PipelineOptions.WaitingRecheck"/>,
/// with the attempts it had.
/// </summary>
public class WaitingException(string reason) : Exception(reason);
