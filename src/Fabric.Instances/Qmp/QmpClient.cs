using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Fabric.Instances.Qmp;

/// <summary>A command's outcome: its return value, or qemu's error as a value.</summary>
public readonly record struct QmpResult(JsonElement Value, QmpError? Error)
{
    public bool Succeeded => Error is null;

    /// <summary>The return value; a QMP error becomes <see cref="QmpCommandException"/>.</summary>
    public JsonElement EnsureSuccess(string command) =>
        Error is null ? Value : throw new QmpCommandException(command, Error);
}

/// <summary>qemu refused a command.</summary>
public sealed class QmpCommandException(string command, QmpError error)
    : Exception($"qemu refused {command}: {error.Class}: {error.Description}")
{
    public QmpError Error { get; } = error;
}

/// <summary>The QMP connection ended (qemu exited, the SSH channel closed) or qemu sent something that is not QMP.</summary>
public sealed class QmpConnectionException(string message) : Exception(message);

/// <summary>A QMP client over any byte stream pair: on a hypervisor, the stdin and stdout of
/// <c>socat - UNIX-CONNECT:/run/fabric/instances/NAME/qmp.sock</c> run over SSH. Reads the greeting, leaves
/// negotiation mode (<c>qmp_capabilities</c>), then matches returns to commands by id and hands events to
/// <see cref="Events"/>. The wire format is <see cref="QmpCodec"/>'s.</summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly PipeReader _reader;
    private readonly Stream _toQemu;
    private readonly IAsyncDisposable? _owner;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<QmpResult>> _pending = new(StringComparer.Ordinal);
    private readonly Channel<QmpEvent> _events = Channel.CreateBounded<QmpEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<QmpGreeting> _greeting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private long _malformed;
    private volatile string? _closed;

    private QmpClient(Stream fromQemu, Stream toQemu, IAsyncDisposable? owner)
    {
        _owner = owner;
        _reader = PipeReader.Create(fromQemu, new StreamPipeReaderOptions(leaveOpen: true));
        _toQemu = toQemu;
    }

    /// <summary>qemu's greeting.</summary>
    public QmpGreeting Greeting { get; private set; } = new(0, 0, 0, []);

    /// <summary>Asynchronous events (<c>MIGRATION</c>, <c>STOP</c>, <c>RESUME</c>, <c>SHUTDOWN</c>...). The oldest are
    /// dropped when nobody reads them.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    /// <summary>Lines that were not QMP, dropped and counted.</summary>
    public long MalformedLines => Interlocked.Read(ref _malformed);

    /// <summary>Reads the greeting and negotiates capabilities. Throws <see cref="QmpConnectionException"/> when the
    /// peer closes first or does not speak QMP.</summary>
    public static Task<QmpClient> ConnectAsync(Stream fromQemu, Stream toQemu, CancellationToken cancellationToken = default) =>
        ConnectAsync(fromQemu, toQemu, null, cancellationToken);

    /// <summary>As <see cref="ConnectAsync(Stream, Stream, CancellationToken)"/>, and the client owns
    /// <paramref name="owner"/> (the SSH channel the streams belong to): it is disposed with the client, or at once when
    /// the connection fails.</summary>
    public static async Task<QmpClient> ConnectAsync(Stream fromQemu, Stream toQemu, IAsyncDisposable? owner, CancellationToken cancellationToken = default)
    {
        var client = new QmpClient(fromQemu, toQemu, owner);
        client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
        try
        {
            client.Greeting = await client._greeting.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            (await client.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false)).EnsureSuccess("qmp_capabilities");
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs one command. A QMP error is a value (<see cref="QmpResult.Error"/>); a closed connection is
    /// <see cref="QmpConnectionException"/>.</summary>
    public async Task<QmpResult> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        string id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var pending = new TaskCompletionSource<QmpResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = pending;
        try
        {
            if (_closed is { } reason)
            {
                throw new QmpConnectionException(reason);
            }

            var bytes = QmpCodec.Command(command, id, arguments);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _toQemu.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                await _toQemu.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new QmpConnectionException($"the QMP connection closed while sending {command}: {e.Message}");
            }
            finally
            {
                _writeLock.Release();
            }

            return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task ReadLoopAsync()
    {
        string reason = "the QMP connection closed";
        try
        {
            while (true)
            {
                var read = await _reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (QmpCodec.TryReadLine(ref buffer, out var line, out _))
                {
                    if (line.Length > 0)
                    {
                        Dispatch(line);
                    }
                }

                if (!QmpCodec.TryReadLine(ref buffer, out _, out var tooLong) && tooLong)
                {
                    reason = $"qemu sent a line longer than {QmpCodec.MaxLineBytes} bytes";
                    return;
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            reason = "the QMP client was closed";
        }
        catch (IOException e)
        {
            reason = $"the QMP connection failed: {e.Message}";
        }
        finally
        {
            Close(reason);
        }
    }

    private void Dispatch(ReadOnlySequence<byte> line)
    {
        if (!QmpCodec.TryParse(line, out var message, out _))
        {
            Interlocked.Increment(ref _malformed);
            return;
        }

        switch (message)
        {
            case QmpGreeting greeting:
                _greeting.TrySetResult(greeting);
                break;
            case QmpReturn ret when ret.Id is not null && _pending.TryGetValue(ret.Id, out var waiting):
                waiting.TrySetResult(new QmpResult(ret.Value, null));
                break;
            case QmpError error when error.Id is not null && _pending.TryGetValue(error.Id, out var waiting):
                waiting.TrySetResult(new QmpResult(default, error));
                break;
            case QmpEvent e:
                _events.Writer.TryWrite(e);
                break;
            default:
                // A return for a command nobody waits for any more (cancelled): nothing to do.
                break;
        }
    }

    private void Close(string reason)
    {
        _closed ??= reason;
        _greeting.TrySetException(new QmpConnectionException($"{reason} before qemu's greeting"));
        foreach (var waiting in _pending.Values)
        {
            waiting.TrySetException(new QmpConnectionException(reason));
        }

        _events.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _reader.CompleteAsync().ConfigureAwait(false);
        if (_owner is not null)
        {
            await _owner.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
        _writeLock.Dispose();
    }
}
