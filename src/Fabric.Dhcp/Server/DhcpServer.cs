using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Fabric.Dhcp.Handlers;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fabric.Dhcp.Server;

/// <summary>The UDP side: one socket per configured interface (SO_BINDTODEVICE, 0.0.0.0:67, broadcast
/// on), receive, parse, run the handler chain, commit the lease, send. No business rules live here.</summary>
internal sealed partial class DhcpServer : BackgroundService
{
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    private readonly DhcpServerOptions _options;
    private readonly DhcpPipeline _pipeline;
    private readonly LeaseEngine _engine;
    private readonly ILeaseStore _store;
    private readonly DhcpMetrics _metrics;
    private readonly ILogger<DhcpServer> _logger;
    private readonly List<(Socket Socket, DhcpInterface Interface)> _sockets = [];

    public DhcpServer(DhcpServerOptions options, DhcpPipeline pipeline, LeaseEngine engine, ILeaseStore store, DhcpMetrics metrics, ILogger<DhcpServer> logger)
    {
        _options = options;
        _pipeline = pipeline;
        _engine = engine;
        _store = store;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Resolves the IPv4 address of a named interface, or explains why it cannot.</summary>
    public static DhcpInterface ResolveInterface(string name, int port)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new InvalidOperationException(
                $"Fabric:Dhcp:Interfaces names '{name}', which does not exist here (have: {string.Join(", ", NetworkInterface.GetAllNetworkInterfaces().Select(n => n.Name))}).");
        var address = nic.GetIPProperties().UnicastAddresses
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException($"DHCP interface '{name}' has no IPv4 address.");
        return new DhcpInterface(name, address, port);
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Interfaces.Count == 0)
        {
            Log.Off(_logger);
            return;
        }

        var errors = _options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid DHCP configuration: " + string.Join(" ", errors));
        }

        var leases = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        _engine.Restore(leases);
        Log.Loaded(_logger, leases.Count, Path.Combine(_options.DataDir, "leases.db"));

        var ports = _options.Proxy ? new[] { _options.Port, _options.ProxyPort } : [_options.Port];
        foreach (var name in _options.Interfaces)
        {
            foreach (var port in ports)
            {
                var iface = ResolveInterface(name, port);
                _sockets.Add((Bind(name, port), iface));
                Log.Listening(_logger, name, iface.Address.ToString(), port);
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Socket Bind(string interfaceName, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.EnableBroadcast = true;
            var name = Encoding.ASCII.GetBytes(interfaceName + "\0");
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, name);
            socket.ReceiveBufferSize = 4 << 20;
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // One dedicated thread per socket, blocking receive, handling and sending on that thread: a packet is not
    // handed between threads (each hand-off is a wake-up, which on a small machine costs more than the work).
    // A REQUEST's ACK is sent by the lease store's writer thread right after the group commit holding its lease.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_sockets.Select(s =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    ReceiveLoop(s.Socket, s.Interface, stoppingToken);
                }
                finally
                {
                    done.TrySetResult();
                }
            })
            {
                IsBackground = true,
                Name = $"dhcp {s.Interface.Name}:{s.Interface.LocalPort}",
            };
            thread.Start();
            return done.Task;
        }));

    private void ReceiveLoop(Socket socket, DhcpInterface iface, CancellationToken ct)
    {
        using var stop = ct.Register(socket.Dispose);
        var buffer = GC.AllocateUninitializedArray<byte>(4096, pinned: true);
        while (!ct.IsCancellationRequested)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int received;
            try
            {
                received = socket.ReceiveFrom(buffer, SocketFlags.None, ref from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient (e.g. ICMP port unreachable reported on the socket): keep serving.
                Log.ReceiveFailed(_logger, iface.Name, ex.SocketErrorCode.ToString());
                continue;
            }

            try
            {
                HandleDatagram(socket, iface, buffer.AsSpan(0, received), (IPEndPoint)from, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bug, not a bad packet: log it loudly and keep serving.
                _metrics.Dropped("internal error");
                Log.HandlerFailed(_logger, ex, iface.Name);
            }
        }
    }

    private void HandleDatagram(Socket socket, DhcpInterface iface, ReadOnlySpan<byte> datagram, IPEndPoint source, CancellationToken ct)
    {
        _metrics.Received(iface.Name);
        if (!DhcpPacket.TryParse(datagram, out var request, out var error))
        {
            _metrics.Dropped(error.ToString());
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.Malformed(_logger, iface.Name, source.ToString(), error.ToString());
            }

            return;
        }

        var run = _pipeline.RunAsync(request, iface, source.Address, ct);
        var context = run.IsCompletedSuccessfully ? run.Result : run.AsTask().GetAwaiter().GetResult();
        foreach (var anomaly in context.Anomalies)
        {
            _metrics.Anomaly(anomaly);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.Anomaly(_logger, context.Mac.ToString(), request.TransactionId, iface.Name, anomaly);
            }
        }

        if (context.DropReason is { } reason)
        {
            _metrics.Dropped(reason);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.Dropped(_logger, request.MessageType.ToString(), context.Mac.ToString(), request.TransactionId, iface.Name, reason);
            }

            return;
        }

        if (context.Persist is { } change)
        {
            _store.Commit(change, failure =>
            {
                if (failure is not null)
                {
                    Log.CommitFailed(_logger, failure, context.Mac.ToString(), context.Request.TransactionId);
                }
            });
        }

        if (DhcpPipeline.BuildReply(context) is not { } reply)
        {
            return;
        }

        if (context.Commit is { } lease)
        {
            // The lease is on disk before the ACK leaves: the store calls back once the transaction holding it
            // (grouped with other clients' leases) is committed, and the ACK is sent from there.
            var started = Stopwatch.GetTimestamp();
            _store.Commit(lease, failure =>
            {
                if (failure is not null)
                {
                    _metrics.Dropped("lease commit failed");
                    Log.CommitFailed(_logger, failure, context.Mac.ToString(), context.Request.TransactionId);
                    return;
                }

                _metrics.CommitLatency(Stopwatch.GetElapsedTime(started));
                Send(socket, iface, context, reply, source);
            });
            return;
        }

        Send(socket, iface, context, reply, source);
    }

    private void Send(Socket socket, DhcpInterface iface, DhcpContext context, DhcpPacket reply, IPEndPoint source)
    {
        Span<byte> buffer = stackalloc byte[1500];
        var destination = ReplyRouting.Choose(context.Request, reply.MessageType, source, iface.LocalPort, _options.ProxyPort);
        try
        {
            int max = DhcpPipeline.MaxReplySize(context.Request);
            if (!reply.TryWrite(buffer, out int n, max))
            {
                _metrics.Dropped("reply too large");
                return;
            }

            socket.SendTo(buffer[..n], SocketFlags.None, destination);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        catch (SocketException ex)
        {
            Log.SendFailed(_logger, destination.ToString(), iface.Name, ex.SocketErrorCode.ToString());
            return;
        }

        switch (reply.MessageType)
        {
            case DhcpMessageType.Offer:
                _metrics.Offer();
                break;
            case DhcpMessageType.Ack:
                _metrics.Ack();
                break;
            case DhcpMessageType.Nak:
                _metrics.Nak();
                break;
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.Replied(_logger, context.Request.MessageType.ToString(), context.Mac.ToString(), context.Request.TransactionId, iface.Name,
                reply.MessageType.ToString(), DhcpPacket.ToAddress(reply.YourAddress).ToString(), destination.ToString(), context.Node?.Name);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var (socket, _) in _sockets)
        {
            socket.Dispose();
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        foreach (var (socket, _) in _sockets)
        {
            socket.Dispose();
        }

        base.Dispose();
    }
}
