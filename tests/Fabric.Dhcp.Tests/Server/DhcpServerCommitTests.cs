using Fabric.Core;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;
using Fabric.Dhcp.Server;
using Fabric.Dhcp.Server.Io;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Dhcp.Tests.Server;

/// <summary>Which thread commits a REQUEST's lease, and that its ACK leaves only once the store says the lease is
/// on disk, whichever path it takes: a store that records what happens, in order, and a channel that adds its sends
/// to the same record.</summary>
public sealed class DhcpServerCommitTests : IDisposable
{
    private static readonly uint ClientSource = Ipv4.ToUInt32(ChainHarness.ClientSource);

    private readonly ChainHarness _chain = new();
    private readonly List<string> _events = [];
    private readonly RecordingStore _store;
    private readonly DhcpMetrics _metrics = new();
    private readonly List<DhcpServer> _servers = [];

    public DhcpServerCommitTests() => _store = new RecordingStore(_events);

    private (DhcpServer Server, DhcpServer.Listener Listener) Serve(bool commitOnReceiveThread = true)
    {
        var server = new DhcpServer(_chain.Options with { CommitOnReceiveThread = commitOnReceiveThread }, _chain.Pipeline, _chain.Engine, _store, _metrics,
            NullLogger<DhcpServer>.Instance);
        var listener = server.AddListener(new RecordingChannel(_events), ChainHarness.Iface);
        _servers.Add(server);
        return (server, listener);
    }

    private static byte[] Mac(int i) => [0x52, 0x54, 0x00, 0x66, (byte)(i >> 8), (byte)i];

    private static byte[] Discover(int i) => new Wire(Mac(i), xid: (uint)(0x1000 + i)).Type(1).Bytes();

    private static byte[] Request(int i, uint offered) =>
        new Wire(Mac(i), xid: (uint)(0x2000 + i)).Type(3)
            .Opt(DhcpOptionCode.RequestedIpAddress, Ipv4.FromUInt32(offered).GetAddressBytes())
            .Opt(DhcpOptionCode.ServerIdentifier, 10, 9, 0, 1)
            .Bytes();

    private static void Receive(DhcpServer server, DhcpServer.Listener listener, params byte[][] datagrams)
    {
        var batch = listener.Received;
        batch.Clear();
        foreach (var d in datagrams)
        {
            d.CopyTo(batch.Next());
            batch.Received(d.Length, ClientSource, 68);
        }

        server.HandleBatch(listener, CancellationToken.None);
    }

    /// <summary>DISCOVERs for clients 1..n; returns each client's offered address.</summary>
    private uint[] Offers(DhcpServer server, DhcpServer.Listener listener, int n)
    {
        for (int from = 1; from <= n; from += 50)
        {
            Receive(server, listener, [.. Enumerable.Range(from, Math.Min(50, n - from + 1)).Select(Discover)]);
        }

        var offers = _events.Where(e => e.StartsWith("send Offer ", StringComparison.Ordinal)).Select(e => uint.Parse(e.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(n, offers.Length);
        _events.Clear();
        return offers;
    }

    [Fact]
    public void HandleBatch_LoneRequestStoreIdle_CommittedOnTheReceiveThreadAndAckSentAfterItIsDurable()
    {
        var (server, listener) = Serve();
        var offered = Offers(server, listener, 1)[0];
        int receiveThread = Environment.CurrentManagedThreadId;

        Receive(server, listener, Request(1, offered));

        // All of it happened inside HandleBatch, on this thread, in this order.
        Assert.Equal(new[] { $"commit-now {offered}", $"durable {offered}", $"send Ack {offered}" }, _events);
        Assert.Equal(new[] { receiveThread }, _store.CommitThreads);
        Assert.Empty(_store.Queued);
    }

    [Fact]
    public void HandleBatch_LoneRequestStoreBusy_QueuedAndAckSentOnlyOnceTheGroupIsDurable()
    {
        var (server, listener) = Serve();
        var offered = Offers(server, listener, 1)[0];
        _store.Busy = true;

        Receive(server, listener, Request(1, offered));

        Assert.Equal(new[] { $"commit-now refused {offered}", $"queued {offered}" }, _events);
        _store.CompleteQueued();
        Assert.Equal(new[] { $"commit-now refused {offered}", $"queued {offered}", $"durable {offered}", $"send Ack {offered}" }, _events);
    }

    [Fact]
    public void HandleBatch_SeveralRequestsInOneBatch_QueuedForOneGroupCommit()
    {
        var (server, listener) = Serve();
        var offered = Offers(server, listener, 3);

        Receive(server, listener, [.. offered.Select((a, i) => Request(i + 1, a))]);

        Assert.Equal(offered.Select(a => $"queued {a}"), _events);
        _store.CompleteQueued();
        var sends = _events.Where(e => e.StartsWith("send", StringComparison.Ordinal)).ToList();
        Assert.Equal(offered.Select(a => $"send Ack {a}"), sends);
        foreach (var a in offered)
        {
            Assert.True(_events.IndexOf($"durable {a}") < _events.IndexOf($"send Ack {a}"), string.Join(", ", _events));
        }
    }

    [Fact]
    public void HandleBatch_CommitOnReceiveThreadOff_LoneRequestQueued()
    {
        var (server, listener) = Serve(commitOnReceiveThread: false);
        var offered = Offers(server, listener, 1)[0];

        Receive(server, listener, Request(1, offered));

        Assert.Equal(new[] { $"queued {offered}" }, _events);
        _store.CompleteQueued();
        Assert.Equal(new[] { $"queued {offered}", $"durable {offered}", $"send Ack {offered}" }, _events);
    }

    [Fact]
    public void HandleBatch_DiscoverThenRequestWarm_AllocatesWithinBudgetPerExchange()
    {
        const int warm = 20;
        const int measured = 60; // the harness pool has 100 addresses
        var (server, listener) = Serve();
        var offers = Offers(server, listener, warm + measured);
        var counting = new CountingChannel();
        var quiet = server.AddListener(counting, ChainHarness.Iface);
        _store.Quiet = true;
        for (int i = 1; i <= warm; i++)
        {
            Receive(server, quiet, Discover(i));
            Receive(server, quiet, Request(i, offers[i - 1]));
        }

        // The datagrams are made before counting: only the server's allocations are measured.
        var discovers = Enumerable.Range(warm + 1, measured).Select(i => new[] { Discover(i) }).ToArray();
        var requests = Enumerable.Range(warm + 1, measured).Select(i => new[] { Request(i, offers[i - 1]) }).ToArray();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < measured; i++)
        {
            Receive(server, quiet, discovers[i]);
            Receive(server, quiet, requests[i]);
        }

        long perExchange = (GC.GetAllocatedBytesForCurrentThread() - before) / measured;

        // Every exchange answered, and what it allocated on the receive thread (chain, engine, server; this store
        // writes nothing) stays within the budget: parsing two requests, two contexts and replies, the lease record.
        Assert.Equal(2 * (warm + measured), counting.Sent);
        Assert.True(perExchange <= Budget, $"{perExchange} bytes allocated per DISCOVER/OFFER/REQUEST/ACK exchange (budget {Budget})");
    }

    // 2,408 B when written (the chain, the engine, the reply, the lease record); a third more before it fails.
    private const long Budget = 3200;

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        _metrics.Dispose();
    }

    /// <summary>A lease store that writes nothing: it logs each call, commits at once when asked to (unless
    /// <see cref="Busy"/>) and completes its queue when the test says so, telling waiters and then the group callback,
    /// as the real store does after its commit.</summary>
    private sealed class RecordingStore(List<string> events) : ILeaseStore
    {
        private Action? _afterGroup;

        public bool Busy { get; set; }

        /// <summary>Records nothing (so that only the server's own allocations are counted).</summary>
        public bool Quiet { get; set; }

        public List<(LeaseRecord Record, ILeaseCommitWaiter Waiter)> Queued { get; } = [];

        public List<int> CommitThreads { get; } = [];

        public bool TryCommitNow(LeaseRecord record, ILeaseCommitWaiter waiter)
        {
            if (Busy)
            {
                events.Add($"commit-now refused {record.Address}");
                return false;
            }

            if (!Quiet)
            {
                events.Add($"commit-now {record.Address}");
                CommitThreads.Add(Environment.CurrentManagedThreadId);
                events.Add($"durable {record.Address}");
            }

            waiter.OnDurable(null);
            _afterGroup?.Invoke();
            return true;
        }

        public void Commit(LeaseRecord record, ILeaseCommitWaiter waiter)
        {
            events.Add($"queued {record.Address}");
            Queued.Add((record, waiter));
        }

        public void CompleteQueued()
        {
            foreach (var (record, waiter) in Queued)
            {
                events.Add($"durable {record.Address}");
                waiter.OnDurable(null);
            }

            Queued.Clear();
            _afterGroup?.Invoke();
        }

        public void Commit(LeaseRecord record, Action<Exception?> onDurable) => throw new NotSupportedException("Only RELEASE and DECLINE use it.");

        public ValueTask CommitAsync(LeaseRecord record, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public void OnGroupDurable(Action afterGroup) => _afterGroup += afterGroup;

        public ValueTask<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<LeaseRecord>>([]);
    }

    /// <summary>Counts the datagrams sent, and does nothing else.</summary>
    private sealed class CountingChannel : IDatagramChannel
    {
        public int Sent { get; private set; }

        public string Kind => "test";

        public int Receive(DatagramBatch batch) => throw new NotSupportedException("The tests fill the receive batch themselves.");

        public int Send(DatagramBatch batch)
        {
            Sent += batch.Count;
            return batch.Count;
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Adds "send TYPE yiaddr" to the record for every datagram of a send batch.</summary>
    private sealed class RecordingChannel(List<string> events) : IDatagramChannel
    {
        public string Kind => "test";

        public int Receive(DatagramBatch batch) => throw new NotSupportedException("The tests fill the receive batch themselves.");

        public int Send(DatagramBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Assert.True(DhcpPacket.TryParse(batch.Datagram(i), out var p, out var e), e.ToString());
                events.Add($"send {p.MessageType} {p.YourAddress}");
            }

            return batch.Count;
        }

        public void Dispose()
        {
        }
    }
}
