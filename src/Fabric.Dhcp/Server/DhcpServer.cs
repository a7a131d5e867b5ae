using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using Fabric.Core;
using Fabric.Dhcp.Handlers;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;
using Fabric.Dhcp.Server.Io;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fabric.Dhcp.Server;

/// <summary>The UDP side: one socket per configured interface (SO_BINDTODEVICE, 0.0.0.0:67, broadcast
/// on), receive a batch, parse, run the handler chain, commit the lease, send the batch's replies. No business rules
/// live here.</summary>
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
    private readonly List<Listener> _listeners = [];
    private readonly AckWaiterPool _waiters = new();
    private readonly Func<Socket, IDatagramChannel> _channels;
    private Listener[] _ackTargets = [];

    /// <summary>Datagrams per receive and per send batch.</summary>
    internal const int BatchSize = 64;

    /// <param name="channels">Makes the channel for each bound socket; by default recvmmsg/sendmmsg on Linux
    /// (ReceiveFrom/SendTo elsewhere, or when <see cref="DhcpServerOptions.BatchedIo"/> is off).</param>
    public DhcpServer(DhcpServerOptions options, DhcpPipeline pipeline, LeaseEngine engine, ILeaseStore store, DhcpMetrics metrics, ILogger<DhcpServer> logger,
        Func<Socket, IDatagramChannel>? channels = null)
    {
        _options = options;
        _pipeline = pipeline;
        _engine = engine;
        _store = store;
        _metrics = metrics;
        _logger = logger;
        _channels = channels ?? (socket => DatagramChannel.Create(socket, portable: !options.BatchedIo));
        _store.OnGroupDurable(FlushAcks);
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
                var listener = AddListener(_channels(Bind(name, port)), iface);
                Log.Listening(_logger, name, iface.Address.ToString(), port, listener.Channel.Kind);
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

    // One dedicated thread per socket: it receives a batch (every datagram already queued, one system call on
    // Linux), runs each through the chain and sends the OFFERs and NAKs of the batch together. A REQUEST's ACK is
    // written into the socket's ACK batch by the lease store's writer thread right after the group commit holding
    // its lease, and the batch leaves when the group's callbacks are done (or when it is full).
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_listeners.Select(l =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    ReceiveLoop(l, stoppingToken);
                }
                finally
                {
                    done.TrySetResult();
                }
            })
            {
                IsBackground = true,
                Name = $"dhcp {l.Interface.Name}:{l.Interface.LocalPort}",
            };
            thread.Start();
            return done.Task;
        }));

    /// <summary>Serves datagrams from <paramref name="channel"/> as arriving on <paramref name="iface"/> (the
    /// server binds its own sockets in <see cref="StartAsync"/>; tests hand in a channel of their own).</summary>
    internal Listener AddListener(IDatagramChannel channel, DhcpInterface iface)
    {
        var listener = new Listener(channel, iface);
        _listeners.Add(listener);
        _ackTargets = [.. _listeners];
        return listener;
    }

    private void ReceiveLoop(Listener l, CancellationToken ct)
    {
        using var stop = ct.Register(l.Channel.Dispose);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                int received;
                try
                {
                    received = l.Channel.Receive(l.Received);
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
                    Log.ReceiveFailed(_logger, l.Interface.Name, ex.SocketErrorCode.ToString());
                    continue;
                }

                if (received > 0 && !ct.IsCancellationRequested)
                {
                    _metrics.ReceiveBatch(received);
                    HandleBatch(l, ct);
                }
            }
        }
        finally
        {
            l.DisposeReceiveSide();
        }
    }

    /// <summary>Answers every datagram of <see cref="Listener.Received"/>, then sends the replies that need no
    /// commit as one batch. A datagram that fails (a bug) is counted and the others are still answered.</summary>
    internal void HandleBatch(Listener l, CancellationToken ct)
    {
        var batch = l.Received;
        for (int i = 0; i < batch.Count; i++)
        {
            try
            {
                HandleDatagram(l, i, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bug, not a bad packet: log it loudly and keep serving.
                _metrics.Dropped("internal error");
                Log.HandlerFailed(_logger, ex, l.Interface.Name);
            }
        }

        Flush(l, l.Replies, l.ReplyNotes);
    }

    private void HandleDatagram(Listener l, int index, CancellationToken ct)
    {
        var iface = l.Interface;
        var batch = l.Received;
        var datagram = batch.Datagram(index);
        uint sourceAddress = batch.Address(index);
        int sourcePort = batch.Port(index);
        _metrics.Received(iface.Name);
        DhcpPacket? request = null;
        var error = DhcpParseError.Truncated;
        if (batch.Truncated(index) || !DhcpPacket.TryParse(datagram, out request, out error))
        {
            _metrics.Dropped(error.ToString());
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.Malformed(_logger, iface.Name, new ReplyDestination(sourceAddress, sourcePort).ToString(), error.ToString());
            }

            return;
        }

        var run = _pipeline.RunAsync(request, iface, l.SourceAddress(sourceAddress), ct);
        var context = run.IsCompletedSuccessfully ? run.Result : run.AsTask().GetAwaiter().GetResult();
        var anomalies = context.Anomalies;
        for (int a = 0; a < anomalies.Count; a++)
        {
            var anomaly = anomalies[a];
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

        var destination = ReplyRouting.Choose(context.Request, reply.MessageType, sourceAddress, sourcePort, iface.LocalPort, _options.ProxyPort);
        int max = DhcpPipeline.MaxReplySize(context.Request);
        if (context.Commit is { } lease)
        {
            // The lease is on disk before the ACK leaves: the store tells the waiter once the transaction holding
            // it (grouped with other clients' leases) is committed, and the ACK joins the socket's ACK batch there.
            // A lone datagram (the usual case at low rates) commits on this thread when the store is idle: no
            // hand-off to the writer thread and back, the ACK leaves from here right after the commit.
            var ack = _waiters.Rent(this);
            ack.Prepare(l, context, reply, destination, reply.TryWrite(ack.Buffer, out int n, max) ? n : -1);
            if (batch.Count == 1 && _options.CommitOnReceiveThread && _store.TryCommitNow(lease, ack))
            {
                _metrics.CommittedOnReceiveThread();
            }
            else
            {
                _store.Commit(lease, ack);
            }

            return;
        }

        if (l.Replies.IsFull)
        {
            Flush(l, l.Replies, l.ReplyNotes);
        }

        if (!reply.TryWrite(l.Replies.Next(), out int written, max))
        {
            _metrics.Dropped("reply too large");
            return;
        }

        l.ReplyNotes[l.Replies.Count] = new ReplyNote(context, reply);
        l.Replies.Commit(written, destination.Address, destination.Port);
    }

    /// <summary>On the writer thread: a lease is durable (or failed); its ACK joins the listener's ACK batch.</summary>
    private void AckDurable(AckWaiter ack, Exception? failure)
    {
        var l = ack.Listener!;
        var context = ack.Context!;
        if (failure is not null)
        {
            _metrics.Dropped("lease commit failed");
            Log.CommitFailed(_logger, failure, context.Mac.ToString(), context.Request.TransactionId);
            return;
        }

        _metrics.CommitLatency(Stopwatch.GetElapsedTime(ack.Started));
        if (ack.Length < 0)
        {
            _metrics.Dropped("reply too large");
            return;
        }

        lock (l.AckGate)
        {
            if (l.AcksClosed)
            {
                return;
            }

            if (l.Acks.IsFull)
            {
                Flush(l, l.Acks, l.AckNotes);
            }

            ack.Buffer.AsSpan(0, ack.Length).CopyTo(l.Acks.Next());
            l.AckNotes[l.Acks.Count] = new ReplyNote(context, ack.Reply!);
            l.Acks.Commit(ack.Length, ack.Destination.Address, ack.Destination.Port);
        }
    }

    /// <summary>On the writer thread, after each group commit: the group's ACKs leave, one batch per socket.</summary>
    private void FlushAcks()
    {
        foreach (var l in Volatile.Read(ref _ackTargets))
        {
            lock (l.AckGate)
            {
                if (!l.AcksClosed)
                {
                    Flush(l, l.Acks, l.AckNotes);
                }
            }
        }
    }

    private void Flush(Listener l, DatagramBatch batch, ReplyNote[] notes)
    {
        if (batch.Count == 0)
        {
            return;
        }

        _metrics.SendBatch(batch.Count);
        try
        {
            l.Channel.Send(batch);
        }
        catch (ObjectDisposedException)
        {
            batch.Clear();
            Array.Clear(notes);
            return;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            var (context, reply) = notes[i];
            notes[i] = default;
            var destination = new ReplyDestination(batch.Address(i), batch.Port(i));
            if (batch.Error(i) != 0)
            {
                Log.SendFailed(_logger, destination.ToString(), l.Interface.Name, ErrorName(batch.Error(i)));
                continue;
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
                Log.Replied(_logger, context.Request.MessageType.ToString(), context.Mac.ToString(), context.Request.TransactionId, l.Interface.Name,
                    reply.MessageType.ToString(), DhcpPacket.ToAddress(reply.YourAddress).ToString(), destination.ToString(), context.Node?.Name);
            }
        }

        batch.Clear();
    }

    private static string ErrorName(int error) =>
        Enum.IsDefined((SocketError)error) ? ((SocketError)error).ToString() : $"errno {error}";

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var l in _listeners)
        {
            l.Channel.Dispose();
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        foreach (var l in _listeners)
        {
            l.Channel.Dispose();
            l.CloseAcks();
        }

        base.Dispose();
    }

    /// <summary>What a sent reply is counted and logged as once its batch has left.</summary>
    internal readonly record struct ReplyNote(DhcpContext Context, DhcpPacket Reply);

    /// <summary>One socket (interface and port) and its batches: <see cref="Received"/> and <see cref="Replies"/>
    /// belong to its receive thread, <see cref="Acks"/> to the lease store's writer thread (under
    /// <see cref="AckGate"/>, so closing cannot free it under a writer).</summary>
    internal sealed class Listener
    {
        private const int ReceiveSlotSize = 4096;
        private const int SendSlotSize = 1500;

        private uint _lastSourceValue;
        private IPAddress _lastSource = IPAddress.Any;

        public Listener(IDatagramChannel channel, DhcpInterface iface)
        {
            Channel = channel;
            Interface = iface;
            Received = new DatagramBatch(BatchSize, ReceiveSlotSize);
            Replies = new DatagramBatch(BatchSize, SendSlotSize);
            Acks = new DatagramBatch(BatchSize, SendSlotSize);
        }

        public IDatagramChannel Channel { get; }

        public DhcpInterface Interface { get; }

        public DatagramBatch Received { get; }

        public DatagramBatch Replies { get; }

        public ReplyNote[] ReplyNotes { get; } = new ReplyNote[BatchSize];

        public DatagramBatch Acks { get; }

        public ReplyNote[] AckNotes { get; } = new ReplyNote[BatchSize];

        public object AckGate { get; } = new();

        public bool AcksClosed { get; private set; }

        /// <summary>The source as an <see cref="IPAddress"/> for the chain, reused while it repeats (a relay).</summary>
        public IPAddress SourceAddress(uint value)
        {
            if (value != _lastSourceValue || (value == 0 && !ReferenceEquals(_lastSource, IPAddress.Any)))
            {
                _lastSource = value == 0 ? IPAddress.Any : Ipv4.FromUInt32(value);
                _lastSourceValue = value;
            }

            return _lastSource;
        }

        public void DisposeReceiveSide()
        {
            Received.Dispose();
            Replies.Dispose();
        }

        public void CloseAcks()
        {
            lock (AckGate)
            {
                if (!AcksClosed)
                {
                    AcksClosed = true;
                    Acks.Dispose();
                }
            }
        }
    }

    /// <summary>An ACK waiting for its lease to be durable, reused from a small pool (no closure per REQUEST).
    /// The reply is written on the receive thread, so the writer thread only copies it into the batch.</summary>
    internal sealed class AckWaiter : ILeaseCommitWaiter
    {
        private DhcpServer? _server;

        public byte[] Buffer { get; } = new byte[1500];

        public int Length { get; private set; }

        public Listener? Listener { get; private set; }

        public DhcpContext? Context { get; private set; }

        public DhcpPacket? Reply { get; private set; }

        public ReplyDestination Destination { get; private set; }

        public long Started { get; private set; }

        public void Prepare(Listener listener, DhcpContext context, DhcpPacket reply, ReplyDestination destination, int length)
        {
            Listener = listener;
            Context = context;
            Reply = reply;
            Destination = destination;
            Length = length;
            Started = Stopwatch.GetTimestamp();
        }

        internal void Attach(DhcpServer server) => _server = server;

        public void OnDurable(Exception? error)
        {
            var server = _server!;
            try
            {
                server.AckDurable(this, error);
            }
            finally
            {
                Listener = null;
                Context = null;
                Reply = null;
                server._waiters.Return(this);
            }
        }
    }

    /// <summary>A bounded stack of <see cref="AckWaiter"/>s: rented on a receive thread, returned on the writer thread.</summary>
    private sealed class AckWaiterPool
    {
        private const int Keep = 4096;
        private readonly Stack<AckWaiter> _free = new();

        public AckWaiter Rent(DhcpServer server)
        {
            lock (_free)
            {
                if (_free.TryPop(out var waiter))
                {
                    return waiter;
                }
            }

            var created = new AckWaiter();
            created.Attach(server);
            return created;
        }

        public void Return(AckWaiter waiter)
        {
            lock (_free)
            {
                if (_free.Count < Keep)
                {
                    _free.Push(waiter);
                }
            }
        }
    }
}
