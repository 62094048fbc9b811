using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace Relay.Storage.Redis;

/// <summary>Redis could not be reached or is not ready (restarting, loading its AOF): nothing of the call is known to be stored.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One plain RESP connection that runs the inbox's accept script and nothing else. StackExchange.Redis
/// 1.2.6 (the newest that restores here) hands every command to its own writer thread and every answer
/// to a completion thread: at webhook rates those wake-ups cost the relay more CPU than the rest of the
/// accept. This connection writes from the caller's thread and completes answers on its read loop.
/// Answers come back in the order commands were written (RESP pipelining), so the pending queue is
/// matched first in, first out. A broken connection fails everything pending and the next call
/// reconnects; the multiplexer keeps serving everything else.
/// </summary>
internal sealed class RedisScriptConnection : IDisposable
{
    /// <summary>
    /// After a failed connect, calls fail at once for this long instead of each waiting for its own
    /// connect attempt in line: a Redis outage answers 503 quickly rather than holding every request.
    /// </summary>
    private static readonly TimeSpan ReconnectPause = TimeSpan.FromMilliseconds(200);

    /// <summary>Longer than any accept takes; Shopware gives up on a delivery after 5 s anyway.</summary>
    private static readonly TimeSpan DefaultAnswerTimeout = TimeSpan.FromSeconds(5);

    private readonly ConfigurationOptions _options;
    private readonly byte[] _script;
    private readonly TimeSpan _answerTimeout;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Connection? _current;
    private (long At, StoreUnavailableException Error)? _lastConnectFailure;
    private bool _disposed;

    public RedisScriptConnection(ConfigurationOptions options, string script, TimeSpan? answerTimeout = null)
    {
        _answerTimeout = answerTimeout ?? DefaultAnswerTimeout;
        if (options.EndPoints.Count == 0) throw new ArgumentException("No Redis endpoint configured.", nameof(options));
        _options = options;
        _script = Encoding.UTF8.GetBytes(script);
    }

    /// <summary>
    /// Runs the script (EVALSHA) with <paramref name="keys"/> and the arguments <paramref name="writeArgs"/>
    /// writes, and returns its integer array. Throws <see cref="StoreUnavailableException"/> when Redis
    /// cannot be reached or answers late.
    /// </summary>
    public async Task<long[]> EvaluateAsync(IReadOnlyList<string> keys, int argCount, Action<CommandWriter> writeArgs)
    {
        using var command = new CommandWriter();
        Connection? connection = null;
        try
        {
            Task<object> answer;
            await _gate.WaitAsync();
            try
            {
                connection = _current is { Broken: false } live ? live : _current = await ReconnectAsync();
                command.Array(3 + keys.Count + argCount);
                command.Bulk("EVALSHA"u8);
                command.Bulk(connection.ScriptSha);
                command.Bulk(keys.Count);
                foreach (var key in keys) command.Bulk(key);
                writeArgs(command);
                answer = connection.Enqueue();
                await connection.WriteAsync(command.Written);
            }
            finally
            {
                _gate.Release();
            }
            return await answer.WaitAsync(_answerTimeout) switch
            {
                object[] items => items.Select(i => i is long n ? n : throw new InvalidDataException("The accept script answered a non-integer.")).ToArray(),
                // The script cache went (SCRIPT FLUSH) or Redis restarted and is loading: a new connection loads it again.
                RedisError { Message: var m } when m.StartsWith("NOSCRIPT", StringComparison.Ordinal) || m.StartsWith("LOADING", StringComparison.Ordinal) =>
                    throw connection.Break(new StoreUnavailableException("Redis: " + m)),
                RedisError error => throw new InvalidOperationException("Redis: " + error.Message),
                _ => throw new InvalidDataException("The accept script answered something other than an array."),
            };
        }
        catch (TimeoutException e)
        {
            // An answer that never came leaves every later one unmatched: start over on a new socket.
            connection?.Break(e);
            throw new StoreUnavailableException("Redis did not answer the accept script in time.", e);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            connection?.Break(e);
            throw new StoreUnavailableException("Redis is not reachable: " + e.Message, e);
        }
    }

    /// <summary>The caller holds the write gate.</summary>
    private async Task<Connection> ReconnectAsync()
    {
        if (_lastConnectFailure is var (at, error) && Stopwatch.GetElapsedTime(at) < ReconnectPause)
            throw new StoreUnavailableException(error.Message, error);
        try
        {
            var connection = await ConnectAsync();
            _lastConnectFailure = null;
            return connection;
        }
        catch (StoreUnavailableException e)
        {
            _lastConnectFailure = (Stopwatch.GetTimestamp(), e);
            throw;
        }
    }

    private async Task<Connection> ConnectAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var endpoint = _options.EndPoints[0];
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            using var timeout = new CancellationTokenSource(_options.ConnectTimeout > 0 ? _options.ConnectTimeout : 5000);
            await socket.ConnectAsync(endpoint, timeout.Token);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                var host = _options.SslHost ?? endpoint switch { DnsEndPoint d => d.Host, IPEndPoint ip => ip.Address.ToString(), _ => "" };
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, timeout.Token);
                stream = ssl;
            }
        }
        catch (Exception e)
        {
            socket.Dispose();
            throw new StoreUnavailableException($"Redis at {endpoint} is not reachable: {e.Message}", e);
        }

        var connection = new Connection(stream);
        try
        {
            var handshake = new List<Task<object>>();
            using var command = new CommandWriter();
            async Task SendAsync(Action<CommandWriter> write)
            {
                command.Reset();
                write(command);
                handshake.Add(connection.Enqueue());
                await connection.WriteAsync(command.Written);
            }
            if (!string.IsNullOrEmpty(_options.Password))
                await SendAsync(c => { c.Array(2); c.Bulk("AUTH"u8); c.Bulk(_options.Password); });
            if (_options.DefaultDatabase is > 0 and var db)
                await SendAsync(c => { c.Array(2); c.Bulk("SELECT"u8); c.Bulk(db); });
            await SendAsync(c => { c.Array(3); c.Bulk("SCRIPT"u8); c.Bulk("LOAD"u8); c.Bulk(_script); });

            var answers = await Task.WhenAll(handshake).WaitAsync(_answerTimeout);
            if (answers.OfType<RedisError>().FirstOrDefault() is { } error)
                throw new StoreUnavailableException("Redis refused the connection: " + error.Message);
            connection.ScriptSha = Encoding.ASCII.GetBytes((string)answers[^1]);
            return connection;
        }
        catch (Exception e)
        {
            connection.Break(e);
            throw e as StoreUnavailableException ?? new StoreUnavailableException("Redis did not complete the connection: " + e.Message, e);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _current?.Break(new ObjectDisposedException(nameof(RedisScriptConnection)));
    }

    private sealed record RedisError(string Message);

    /// <summary>One socket: writes go out in order, answers come back in the same order.</summary>
    private sealed class Connection
    {
        private readonly Stream _stream;
        private readonly ConcurrentQueue<TaskCompletionSource<object>> _pending = new();
        private Exception? _broken;

        public Connection(Stream stream)
        {
            _stream = stream;
            _ = ReadLoopAsync();
        }

        public byte[] ScriptSha { get; set; } = [];
        public bool Broken => _broken is not null;

        /// <summary>
        /// A place in line for the next answer. The caller holds the write gate from here until its
        /// <see cref="WriteAsync"/> is done, so the queue's order is the socket's order.
        /// </summary>
        public Task<object> Enqueue()
        {
            if (_broken is { } reason) throw new StoreUnavailableException("Redis connection lost: " + reason.Message, reason);
            // Completed on the read loop: the accept batches hand each event's answer to the thread pool themselves.
            var answer = new TaskCompletionSource<object>();
            _pending.Enqueue(answer);
            return answer.Task;
        }

        public async Task WriteAsync(ReadOnlyMemory<byte> command)
        {
            try
            {
                await _stream.WriteAsync(command);
            }
            catch (Exception e)
            {
                throw Break(e);
            }
        }

        public Exception Break(Exception reason)
        {
            if (Interlocked.CompareExchange(ref _broken, reason, null) is null)
            {
                try { _stream.Dispose(); } catch (IOException) { }
                var failure = new StoreUnavailableException("Redis connection lost: " + reason.Message, reason);
                while (_pending.TryDequeue(out var answer)) answer.TrySetException(failure);
            }
            return reason;
        }

        private async Task ReadLoopAsync()
        {
            await Task.Yield();
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            var (start, end) = (0, 0);
            try
            {
                while (true)
                {
                    if (end == buffer.Length)
                    {
                        if (start > 0) { Buffer.BlockCopy(buffer, start, buffer, 0, end - start); (start, end) = (0, end - start); }
                        else
                        {
                            var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                            Buffer.BlockCopy(buffer, 0, larger, 0, end);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }
                    }
                    var read = await _stream.ReadAsync(buffer.AsMemory(end));
                    if (read == 0) throw new IOException("Redis closed the connection.");
                    end += read;
                    while (start < end && Resp.TryRead(buffer.AsSpan(start, end - start), out var answer, out var used))
                    {
                        start += used;
                        if (!_pending.TryDequeue(out var waiting)) throw new InvalidDataException("Redis answered a command that was not sent.");
                        waiting.TrySetResult(answer);
                    }
                    if (start == end) (start, end) = (0, 0);
                }
            }
            catch (Exception e)
            {
                Break(e);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Reads one RESP2 answer: simple string, error, integer, bulk string (as a string) or array.</summary>
    private static class Resp
    {
        public static bool TryRead(ReadOnlySpan<byte> data, out object answer, out int used)
        {
            answer = null!;
            used = 0;
            var line = data.IndexOf("\r\n"u8);
            if (line < 0) return false;
            var header = data[1..line];
            used = line + 2;
            switch (data[0])
            {
                case (byte)'+':
                    answer = Encoding.UTF8.GetString(header);
                    return true;
                case (byte)'-':
                    answer = new RedisError(Encoding.UTF8.GetString(header));
                    return true;
                case (byte)':':
                    answer = Number(header);
                    return true;
                case (byte)'$':
                    var length = Number(header);
                    if (length < 0) { answer = null!; return true; }
                    if (data.Length < used + length + 2) return false;
                    answer = Encoding.UTF8.GetString(data.Slice(used, (int)length));
                    used += (int)length + 2;
                    return true;
                case (byte)'*':
                    var count = Number(header);
                    var items = new object[Math.Max(0, count)];
                    for (var i = 0; i < items.Length; i++)
                    {
                        if (!TryRead(data[used..], out items[i], out var itemUsed)) return false;
                        used += itemUsed;
                    }
                    answer = items;
                    return true;
                default:
                    throw new InvalidDataException($"Unexpected RESP type byte {data[0]}.");
            }
        }

        private static long Number(ReadOnlySpan<byte> digits) =>
            Utf8Parser.TryParse(digits, out long value, out var consumed) && consumed == digits.Length
                ? value
                : throw new InvalidDataException("Malformed RESP number.");
    }

    /// <summary>A RESP command built in a pooled buffer: an array header, then bulk strings.</summary>
    public sealed class CommandWriter : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(8 * 1024);
        private int _length;

        public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);

        public void Reset() => _length = 0;

        public void Array(int count) => Header((byte)'*', count);

        public void Bulk(ReadOnlySpan<byte> value)
        {
            Header((byte)'$', value.Length);
            Ensure(value.Length + 2);
            value.CopyTo(_buffer.AsSpan(_length));
            _length += value.Length;
            Crlf();
        }

        public void Bulk(string value)
        {
            var length = Encoding.UTF8.GetByteCount(value);
            Header((byte)'$', length);
            Ensure(length + 2);
            _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
            Crlf();
        }

        public void Bulk(long value)
        {
            Span<byte> digits = stackalloc byte[20];
            Utf8Formatter.TryFormat(value, digits, out var written);
            Bulk(digits[..written]);
        }

        private void Header(byte type, long number)
        {
            Ensure(24);
            _buffer[_length++] = type;
            Utf8Formatter.TryFormat(number, _buffer.AsSpan(_length), out var written);
            _length += written;
            Crlf();
        }

        private void Crlf()
        {
            Ensure(2);
            _buffer[_length++] = (byte)'\r';
            _buffer[_length++] = (byte)'\n';
        }

        private void Ensure(int more)
        {
            if (_length + more <= _buffer.Length) return;
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
