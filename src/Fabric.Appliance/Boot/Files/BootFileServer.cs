using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Fabric.Appliance.Hosting;
using Fabric.Core;
using Microsoft.AspNetCore.StaticFiles;

namespace Fabric.Appliance.Boot.Files;

/// <summary>
/// The boot file server: an HTTP/1.1 listener for <c>/boot/files/</c> alone (GET and HEAD, one range, keep-alive), which
/// hands each file to the kernel with sendfile(2) (<see cref="Socket.SendPacketsAsync"/> with a file element), so the
/// bytes of a kernel or initrd never pass through the process; Kestrel's file results read every byte into the process
/// and copy it again into the socket. Requests are parsed and answered by <see cref="HttpFileRequest"/>,
/// <see cref="ByteRange"/> and <see cref="HttpFileResponse"/>; files are found by the rule every boot server shares
/// (<see cref="SafePath"/>). This class only moves bytes.
/// </summary>
internal sealed partial class BootFileServer(BootFilesSettings settings, FabricOptions options, ILogger<BootFileServer> logger, TimeProvider clock)
    : IHostedService, IAsyncDisposable
{
    private const int TcpLevel = 6; // IPPROTO_TCP
    private const int TcpCork = 3; // TCP_CORK: the head and the file's first bytes leave in full segments

    private static readonly string FilesPrefix = BootUrls.Prefix + BootUrls.FilesRoute + "/";
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private static readonly byte[] On = BitConverter.GetBytes(1);
    private static readonly byte[] Off = BitConverter.GetBytes(0);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;

    /// <summary>Where the server listens once started (the real port when the setting said 0), else null.</summary>
    public IPEndPoint? LocalEndpoint { get; private set; }

    /// <summary>The endpoint the settings name.</summary>
    public IPEndPoint? ConfiguredEndpoint => settings.ParsedEndpoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = settings.ParsedEndpoint ?? throw new StartupProblemException([$"{BootFilesSettings.Section}:Endpoint: '{settings.Endpoint}' is not an address:port"]);
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(endpoint);
            listener.Listen(4096);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new StartupProblemException([$"{BootFilesSettings.Section}:Endpoint: '{settings.Endpoint}' cannot be listened on: {e.Message}"]);
        }

        _listener = listener;
        LocalEndpoint = (IPEndPoint)listener.LocalEndPoint!;
        Log.Listening(logger, LocalEndpoint.ToString());
        _accepting = AcceptAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }

        await _accepting.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener!.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors or buffers: the pending connections wait in the backlog while this one backs off.
                Log.AcceptFailed(logger, e.SocketErrorCode.ToString());
                await Task.Delay(TimeSpan.FromMilliseconds(50), clock, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            _ = ServeAsync(client);
        }
    }

    /// <summary>One connection: requests one after another (pipelined ones too) until the client closes, asks to
    /// close, stays idle past <see cref="BootFilesSettings.IdleTimeoutSeconds"/> or a response cannot be sent.</summary>
    private async Task ServeAsync(Socket socket)
    {
        _connections[socket] = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(HttpFileRequest.MaxHeadBytes);
        var headBuffer = ArrayPool<byte>.Shared.Rent(HttpFileResponse.MaxHeadBytes);
        using var deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        using var closeOnDeadline = deadline.Token.Register(static s => ((Socket)s!).Dispose(), socket);
        using var sender = new FileSender();
        bool linger = false;
        int filled = 0;
        try
        {
            socket.NoDelay = true;
            while (true)
            {
                var status = HttpFileRequest.TryParse(buffer.AsSpan(0, filled), out var request, out int consumed, out var problem);
                if (status == HttpParseStatus.Incomplete)
                {
                    deadline.CancelAfter(TimeSpan.FromSeconds(settings.IdleTimeoutSeconds));
                    int received = await socket.ReceiveAsync(buffer.AsMemory(filled, HttpFileRequest.MaxHeadBytes - filled), SocketFlags.None, _stopping.Token).ConfigureAwait(false);
                    deadline.CancelAfter(Timeout.InfiniteTimeSpan);
                    if (received == 0)
                    {
                        return;
                    }

                    filled += received;
                    continue;
                }

                if (status != HttpParseStatus.Complete)
                {
                    var error = status == HttpParseStatus.TooLarge
                        ? HttpFileResponse.Error(431, "headers", $"the request head is longer than {HttpFileRequest.MaxHeadBytes} bytes", Now(), keepAlive: false)
                        : HttpFileResponse.Error(400, "request", problem ?? "not an HTTP request", Now(), keepAlive: false);
                    await SendAsync(socket, error).ConfigureAwait(false);
                    linger = true;
                    return;
                }

                if (!request!.IsGetOrHead)
                {
                    var reason = $"'{request.Method}' is not served here; boot files take GET and HEAD";
                    await SendAsync(socket, HttpFileResponse.Error(405, "method", reason, Now(), keepAlive: false)).ConfigureAwait(false);
                    linger = true;
                    return;
                }

                bool keepAlive = request.KeepAlive && !request.HasBody && !_stopping.IsCancellationRequested;
                if (!await RespondAsync(socket, request, keepAlive, headBuffer, sender, deadline).ConfigureAwait(false))
                {
                    return;
                }

                if (!keepAlive)
                {
                    linger = true;
                    return;
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client left, the deadline closed the socket, or the server is stopping.
        }
        catch (Exception e)
        {
            Log.ConnectionFailed(logger, e);
        }
        finally
        {
            if (linger)
            {
                await LingerAsync(socket).ConfigureAwait(false);
            }

            _connections.TryRemove(socket, out _);
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(headBuffer);
        }
    }

    /// <summary>Answers a GET or HEAD; false when the connection cannot go on.</summary>
    private async ValueTask<bool> RespondAsync(Socket socket, HttpFileRequest request, bool keepAlive, byte[] headBuffer, FileSender sender, CancellationTokenSource deadline)
    {
        var relative = request.Path.StartsWith(FilesPrefix, StringComparison.Ordinal) ? request.Path[FilesPrefix.Length..] : null;
        string? fullPath = null;
        var file = relative is null ? null : Open(relative, out fullPath);
        if (file is null)
        {
            await SendAsync(socket, HttpFileResponse.Error(404, "path", $"no boot file '{relative ?? request.Path}'", Now(), keepAlive, request.IsHead)).ConfigureAwait(false);
            return true;
        }

        using (file)
        {
            long length = file.Length;
            var lastModified = HttpFileResponse.HttpDate(File.GetLastWriteTimeUtc(file.SafeFileHandle));
            var kind = ByteRange.Evaluate(request.Range, request.IfRange, length, lastModified, out var range);
            if (kind == RangeKind.Unsatisfiable)
            {
                var reason = $"'{request.Range}' starts past the end of the file ({length} bytes)";
                await SendAsync(socket, HttpFileResponse.Error(416, "range", reason, Now(), keepAlive, request.IsHead, length)).ConfigureAwait(false);
                return true;
            }

            if (kind == RangeKind.Whole)
            {
                range = new ByteRange(0, length);
            }

            var type = ContentTypes.TryGetContentType(fullPath!, out var known) ? known : "application/octet-stream";
            var head = new FileResponseHead(kind == RangeKind.Partial ? 206 : 200, type, length, range, lastModified, Now(), keepAlive);
            if (!HttpFileResponse.TryWriteFileHead(headBuffer, head, out int headLength))
            {
                throw new InvalidOperationException("the response head does not fit its buffer");
            }

            if (request.IsHead || range.Length == 0)
            {
                await SendAsync(socket, headBuffer.AsMemory(0, headLength)).ConfigureAwait(false);
                return true;
            }

            // A client that stops reading loses its connection once the file should have arrived at the slowest rate.
            deadline.CancelAfter(settings.MinBytesPerSecond == 0 ? Timeout.InfiniteTimeSpan
                : TimeSpan.FromSeconds(settings.IdleTimeoutSeconds + ((double)range.Length / settings.MinBytesPerSecond)));
            socket.SetRawSocketOption(TcpLevel, TcpCork, On);
            var error = await sender.SendAsync(socket, headBuffer, headLength, file, range).ConfigureAwait(false);
            if (error != SocketError.Success)
            {
                return false;
            }

            socket.SetRawSocketOption(TcpLevel, TcpCork, Off);
            deadline.CancelAfter(Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>The file under the boot folder, open for reading, or null when missing, a folder, or outside.</summary>
    private FileStream? Open(string relative, out string? fullPath)
    {
        fullPath = null;
        if (!SafePath.TryResolve(options.BootDir, relative, out var full))
        {
            return null;
        }

        try
        {
            fullPath = full;
            // SendPacketsElement takes only a file opened for asynchronous I/O; sendfile reads it by offset either way.
            return new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private string Now() => HttpFileResponse.HttpDate(clock.GetUtcNow());

    private static async ValueTask SendAsync(Socket socket, ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Closes the sending side and reads what the client still sends for a moment, so closing the socket with
    /// unread bytes in it does not reset the connection before the client has read the last response.</summary>
    private async Task LingerAsync(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), clock);
            var scratch = new byte[1024];
            while (await socket.ReceiveAsync(scratch, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    /// <summary>sendfile(2) through the runtime's socket engine: the head from memory, then the range straight from the
    /// page cache (one element per 2 GiB, the most one element takes).</summary>
    private sealed class FileSender : SocketAsyncEventArgs
    {
        private TaskCompletionSource<SocketError>? _done;

        public Task<SocketError> SendAsync(Socket socket, byte[] head, int headLength, FileStream file, ByteRange range)
        {
            var elements = new List<SendPacketsElement> { new(head, 0, headLength) };
            for (long offset = range.Start, left = range.Length; left > 0;)
            {
                int count = (int)Math.Min(left, int.MaxValue);
                elements.Add(new SendPacketsElement(file, offset, count));
                offset += count;
                left -= count;
            }

            var done = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
            _done = done;
            SendPacketsElements = [.. elements];
            if (!socket.SendPacketsAsync(this))
            {
                done.TrySetResult(SocketError);
            }

            return done.Task;
        }

        protected override void OnCompleted(SocketAsyncEventArgs e) => _done?.TrySetResult(e.SocketError);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "Boot file server listening on {Endpoint} (sendfile)")]
        public static partial void Listening(ILogger logger, string endpoint);

        [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "Boot file server: accept failed ({Error}); retrying")]
        public static partial void AcceptFailed(ILogger logger, string error);

        [LoggerMessage(EventId = 3303, Level = LogLevel.Error, Message = "Boot file server: a connection failed")]
        public static partial void ConnectionFailed(ILogger logger, Exception exception);
    }
}
