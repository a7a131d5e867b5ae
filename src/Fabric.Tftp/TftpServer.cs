using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Fabric.Core;
using Fabric.Tftp.Channel;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Files;
using Fabric.Tftp.Transfer;
using Microsoft.Extensions.Logging;

namespace Fabric.Tftp;

/// <summary>
/// The read-only TFTP server: one listening socket takes requests, each accepted read request runs on its
/// own ephemeral socket bound to the address the request arrived on. Writes are refused with error 2.
/// Transfers are limited in number; when the limit is reached a new request evicts the oldest transfer
/// whose client never acknowledged anything (a spoofed or silent request), or else is answered "server busy".
/// A client that repeats its request (its timer ran out before our answer reached it) while the transfer that
/// request started has not heard from it yet gets no second transfer: the first one answers it.
/// One client address holds at most <see cref="TftpServerOptions.MaxTransfersPerClient"/> transfers; a request
/// beyond that is answered with an ERROR packet (and counted), so one host cannot take every slot. A transfer
/// whose client acknowledges nothing new for <see cref="TftpServerOptions.MaxIdleSeconds"/> is dropped.
/// </summary>
public sealed partial class TftpServer : IAsyncDisposable
{
    private const int RequestBufferSize = 2048;

    // SOL_SOCKET and SO_REUSEPORT from <asm-generic/socket.h>.
    private const int SocketLevel = 1;
    private const int ReusePort = 15;

    private readonly TftpServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly TftpFileProvider _files;
    private readonly TftpMetrics _metrics;
    private readonly TftpNegotiationLimits _limits;
    private readonly ConcurrentDictionary<TransferSession, Task> _sessions = new();
    private readonly ConcurrentDictionary<IPEndPoint, ClientRequest> _requests = new();
    private readonly ClientSlots _clientSlots;
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _socket;
    private Task? _listener;
    private int _reserved;

    public TftpServer(
        TftpServerOptions options,
        ILogger<TftpServer> logger,
        ITftpVirtualFiles? virtualFiles = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid TFTP options: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _logger = logger;
        _clock = timeProvider ?? TimeProvider.System;
        _files = new TftpFileProvider(options.Root, new TftpFileCache(options.CacheMaxFileBytes, options.CacheMaxTotalBytes), virtualFiles, options.MaxNetasciiBytes);
        _clientSlots = new ClientSlots(options.MaxTransfersPerClient);
        _metrics = new TftpMetrics(meterFactory, () => ActiveTransfers);
        _limits = new TftpNegotiationLimits(options.MaxBlockSize, options.MaxWindowSize);
    }

    /// <summary>The bound listening endpoint (with the real port when the options said 0).</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>Transfers admitted and not yet finished.</summary>
    public int ActiveTransfers => Volatile.Read(ref _reserved);

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        var endpoint = _options.Endpoint!;
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = endpoint.Address.Equals(IPAddress.IPv6Any);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            }

            // A burst of requests (a rack powering on) must not overflow the request queue while transfers start.
            socket.ReceiveBufferSize = 4 << 20;
            socket.Bind(endpoint);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _socket = socket;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Log.Listening(_logger, LocalEndPoint, _files.Root);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var token = _stopping.Token;
        var thread = new Thread(() =>
        {
            try
            {
                Listen(token);
            }
            finally
            {
                listening.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "tftp requests",
        };
        thread.Start();
        _listener = listening.Task;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_listener is not null)
        {
            await _listener.ConfigureAwait(false);
        }

        foreach (var session in _sessions.Keys)
        {
            session.Abort(TransferFailure.Stopped);
        }

        await Task.WhenAll(_sessions.Values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _metrics.Dispose();
        _stopping.Dispose();
    }

    // Requests are read on a dedicated thread (blocking receive), not the thread pool: under a burst of transfers
    // starting at once a pool thread can wait seconds to be scheduled, and every client waits behind it.
    private void Listen(CancellationToken cancellationToken)
    {
        var socket = _socket!;
        var buffer = GC.AllocateArray<byte>(RequestBufferSize, pinned: true);
        while (!cancellationToken.IsCancellationRequested)
        {
            EndPoint from = socket.AddressFamily == AddressFamily.InterNetworkV6
                ? new IPEndPoint(IPAddress.IPv6Any, 0)
                : new IPEndPoint(IPAddress.Any, 0);
            var flags = SocketFlags.None;
            int received;
            IPPacketInformation packetInformation;
            try
            {
                received = socket.ReceiveMessageFrom(buffer, 0, buffer.Length, ref flags, ref from, out packetInformation);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                switch (SocketErrors.Classify(ex.SocketErrorCode))
                {
                    case SocketErrorKind.Transient:
                        Log.TransientSocketError(_logger, ex.SocketErrorCode, LocalEndPoint);
                        continue;
                    case SocketErrorKind.BackOff:
                        Log.TransientSocketError(_logger, ex.SocketErrorCode, LocalEndPoint);
                        cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                        continue;
                    default:
                        Log.FatalSocketError(_logger, ex, LocalEndPoint);
                        cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                        continue;
                }
            }

            var client = (IPEndPoint)from;
            var local = LocalEndPoint!.Address.Equals(IPAddress.Any) || LocalEndPoint.Address.Equals(IPAddress.IPv6Any)
                ? packetInformation.Address
                : LocalEndPoint.Address;
            HandleRequest(buffer.AsSpan(0, received), client, local, cancellationToken);
        }
    }

    private void HandleRequest(ReadOnlySpan<byte> datagram, IPEndPoint client, IPAddress local, CancellationToken cancellationToken)
    {
        if (datagram.Length < 2)
        {
            _metrics.Malformed();
            return;
        }

        var opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(datagram);
        if (opcode == TftpOpcode.WriteRequest)
        {
            // Read-only: nothing is ever written (RFC 1350 error 2).
            Reply(client, TftpErrorCode.AccessViolation, "read-only server");
            Log.Refused(_logger, client, "(write request)", (int)TftpErrorCode.AccessViolation, "read-only server");
            return;
        }

        if (opcode != TftpOpcode.ReadRequest)
        {
            // DATA, ACK, ERROR or OACK on the request port, or garbage: dropped, never answered (no loops).
            _metrics.Malformed();
            return;
        }

        if (!TftpRequest.TryParse(datagram, out var request, out var error))
        {
            _metrics.Malformed();
            Log.MalformedRequest(_logger, client, error.Message);
            Reply(client, error.Code, error.Message);
            return;
        }

        if (_requests.TryGetValue(client, out var earlier) && earlier.IsRepeatedBy(datagram))
        {
            // The client's retransmission of a request whose transfer is already answering it. Starting a second
            // transfer would send a second OACK or DATA 1 from another port, which some clients (atftp) abort on.
            _metrics.DuplicateRequest();
            Log.DuplicateRequest(_logger, client, LogText.Escape(request!.Filename));
            return;
        }

        if (!_clientSlots.TryAcquire(client.Address))
        {
            _metrics.ClientLimited();
            Log.ClientLimited(_logger, client, LogText.Escape(request!.Filename), _options.MaxTransfersPerClient);
            Reply(client, TftpErrorCode.NotDefined, "too many transfers from this address");
            return;
        }

        if (!TryReserve(client))
        {
            _clientSlots.Release(client.Address);
            Log.Busy(_logger, client, LogText.Escape(request!.Filename), ActiveTransfers);
            Reply(client, TftpErrorCode.NotDefined, "server busy");
            return;
        }

        var entry = new ClientRequest(datagram.ToArray());
        _requests[client] = entry;
        _ = StartTransferAsync(request!, client, local, entry, cancellationToken);
    }

    /// <summary>The last request seen from a client endpoint and the transfer it started.</summary>
    private sealed class ClientRequest(byte[] datagram)
    {
        public TransferSession? Session { get; set; }

        /// <summary>True when <paramref name="repeat"/> is the same request again and its transfer has not
        /// heard from the client yet (or is still being set up).</summary>
        public bool IsRepeatedBy(ReadOnlySpan<byte> repeat) =>
            repeat.SequenceEqual(datagram)
            && (Session is not { } session || (session.Transfer.State == TransferState.Running && !session.Confirmed));
    }

    private bool TryReserve(IPEndPoint client)
    {
        while (true)
        {
            int current = Volatile.Read(ref _reserved);
            if (current < _options.MaxTransfers)
            {
                if (Interlocked.CompareExchange(ref _reserved, current + 1, current) == current)
                {
                    return true;
                }

                continue;
            }

            // Full: evict the oldest transfer whose client never acknowledged anything.
            TransferSession? victim = null;
            foreach (var session in _sessions.Keys)
            {
                if (!session.Confirmed && session.Transfer.State == TransferState.Running
                    && (victim is null || session.StartTimestamp < victim.StartTimestamp))
                {
                    victim = session;
                }
            }

            if (victim is null)
            {
                return false;
            }

            if (victim.TryTransferSlot())
            {
                // The victim's slot passes to the new request; its own cleanup will not release it again.
                victim.Abort(TransferFailure.Evicted);
                Log.Evicted(_logger, client);
                return true;
            }
        }
    }

    private async Task StartTransferAsync(TftpRequest request, IPEndPoint client, IPAddress local, ClientRequest entry, CancellationToken cancellationToken)
    {
        try
        {
            await StartTransferCoreAsync(request, client, local, entry, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _requests.TryRemove(KeyValuePair.Create(client, entry));
            _clientSlots.Release(client.Address);
        }
    }

    private async Task StartTransferCoreAsync(TftpRequest request, IPEndPoint client, IPAddress local, ClientRequest entry, CancellationToken cancellationToken)
    {
        TransferSession? session = null;
        try
        {
            // A netascii conversion is awaited off this thread (the request thread when the file is on disk).
            var opened = await _files.OpenAsync(request.Filename, client, request.Mode, cancellationToken).ConfigureAwait(false);
            if (opened.Content is null)
            {
                Reply(client, opened.Code, opened.Message);
                Log.Refused(_logger, client, LogText.Escape(request.Filename), (int)opened.Code, LogText.Escape(opened.Message));
                Release();
                return;
            }

            var content = opened.Content;

            var negotiated = TftpOptionNegotiator.Negotiate(request.Options, content.Length, _limits);
            Socket socket, strangers;
            try
            {
                (socket, strangers) = OpenTransferSockets(local, client, Math.Max(256 * 1024, negotiated.WindowSize * (negotiated.BlockSize + 64)));
            }
            catch
            {
                content.Dispose();
                throw;
            }

            session = new TransferSession(
                socket,
                strangers,
                client,
                _clock,
                LogText.Escape(request.Filename),
                channel => new ReadTransfer(content, negotiated, channel, _clock, _options.RetransmitTimeout, _options.MaxRetries, TimeSpan.FromSeconds(_options.MaxIdleSeconds)));
            session.UnknownTransferId += (s, stranger) => Log.UnknownTransferId(_logger, s.Client, stranger.ToString());
            entry.Session = session;
            _metrics.Started();
            Log.TransferStarted(_logger, client, session.File, content.Length, negotiated.BlockSize, negotiated.WindowSize);
            // The first packet leaves now; the transfer's thread is started off this path, because starting a
            // thread waits for the scheduler and on a loaded machine that would hold up every request behind it.
            session.Begin();
            var token = _stopping.Token;
            var run = Task.Run(() => session.RunAsync(token), CancellationToken.None);
            _sessions[session] = run;
            await run.ConfigureAwait(false);
            Finish(session);
        }
        catch (Exception ex)
        {
            Log.FatalSocketError(_logger, ex, new IPEndPoint(local, 0));
            if (session is null)
            {
                Reply(client, TftpErrorCode.NotDefined, "internal error");
                Release();
            }
            else
            {
                Finish(session);
            }
        }
    }

    /// <summary>
    /// A new ephemeral port for a transfer: one socket connected to the client and one unconnected on the same
    /// port (both SO_REUSEPORT), which the kernel hands every datagram that is not from the client.
    /// </summary>
    private (Socket Transfer, Socket Strangers) OpenTransferSockets(IPAddress local, IPEndPoint client, int sendBuffer)
    {
        bool dualMode = client.AddressFamily == AddressFamily.InterNetworkV6
            && LocalEndPoint!.AddressFamily == AddressFamily.InterNetworkV6 && _socket!.DualMode;
        Socket Open()
        {
            var socket = new Socket(client.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (client.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = dualMode;
            }

            socket.SetRawSocketOption(SocketLevel, ReusePort, BitConverter.GetBytes(1));
            return socket;
        }

        Socket? transfer = null, strangers = null;
        try
        {
            transfer = Open();
            transfer.SendBufferSize = sendBuffer;
            transfer.Bind(new IPEndPoint(local, 0));
            strangers = Open();
            strangers.Bind(transfer.LocalEndPoint!);
            transfer.Connect(client);
            return (transfer, strangers);
        }
        catch
        {
            transfer?.Dispose();
            strangers?.Dispose();
            throw;
        }
    }

    private void Finish(TransferSession session)
    {
        var transfer = session.Transfer;
        long elapsedMs = (long)_clock.GetElapsedTime(session.StartTimestamp).TotalMilliseconds;
        _metrics.Sent(session.SegmentedRuns, session.SendErrors);
        if (transfer.State == TransferState.Completed)
        {
            _metrics.Completed(transfer.BytesSent, transfer.Retransmits);
            Log.TransferCompleted(_logger, session.Client, session.File, transfer.BytesSent, elapsedMs, transfer.Retransmits);
        }
        else
        {
            string reason = transfer.Failure.ToString().ToLowerInvariant();
            _metrics.Failed(reason, transfer.BytesSent, transfer.Retransmits);
            Log.TransferFailed(_logger, session.Client, session.File, reason, transfer.BytesSent, transfer.BlockSize, transfer.WindowSize);
        }

        _sessions.TryRemove(session, out _);
        session.Dispose();
        if (session.TryReleaseSlot())
        {
            Release();
        }
    }

    private void Release() => Interlocked.Decrement(ref _reserved);

    private void Reply(IPEndPoint client, TftpErrorCode code, string message)
    {
        _metrics.Error(code);
        Span<byte> packet = stackalloc byte[300];
        if (!new TftpError(code, message).TryWrite(packet, out int written))
        {
            return;
        }

        try
        {
            _socket?.SendTo(packet[..written], SocketFlags.None, client);
        }
        catch (SocketException ex)
        {
            Log.TransientSocketError(_logger, ex.SocketErrorCode, client);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
