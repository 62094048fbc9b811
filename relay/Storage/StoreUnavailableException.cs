namespace Relay.Storage;

/// <summary>
/// The store could not be reached or cannot serve the call right now (restarting, loading its AOF, a
/// cluster node down or a slot on the move): nothing of the call is known to be stored, and trying again
/// later may succeed. The HTTP layer answers it with 503 and Retry-After.
/// </summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
