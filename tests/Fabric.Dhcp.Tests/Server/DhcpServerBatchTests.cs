using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Fabric.Core;
using Fabric.Dhcp.Leases;
using Fabric.Dhcp.Protocol;
using Fabric.Dhcp.Server;
using Fabric.Dhcp.Server.Io;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Dhcp.Tests.Server;

/// <summary>The server's batch path with an in-memory channel: the real chain, the real SQLite lease store, no
/// sockets. What a batch of received datagrams turns into, and when the ACKs of a group commit leave.</summary>
public sealed class DhcpServerBatchTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly uint ClientSource = Ipv4.ToUInt32(ChainHarness.ClientSource);

    private readonly ChainHarness _chain = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-dhcp-batch-").FullName;
    private readonly SqliteLeaseStore _store;
    private readonly DhcpMetrics _metrics = new();
    private readonly MeterListener _meters = new();
    private readonly Dictionary<string, long> _counts = [];
    private readonly DhcpServer _server;
    private readonly FakeChannel _channel;
    private readonly DhcpServer.Listener _listener;

    public DhcpServerBatchTests()
    {
        _store = new SqliteLeaseStore(Path.Combine(_dir, "leases.db"));
        _meters.InstrumentPublished = (instrument, l) =>
        {
            // This test's server only: other tests' servers (run in parallel) publish on meters of the same name.
            if (ReferenceEquals(instrument.Meter, _metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (var t in tags)
            {
                key += "/" + t.Value;
            }

            lock (_counts)
            {
                _counts[key] = _counts.GetValueOrDefault(key) + value;
            }
        });
        _meters.Start();
        _server = new DhcpServer(_chain.Options, _chain.Pipeline, _chain.Engine, _store, _metrics, NullLogger<DhcpServer>.Instance);
        _channel = new FakeChannel(Path.Combine(_dir, "leases.db"));
        _listener = _server.AddListener(_channel, ChainHarness.Iface);
    }

    private long Count(string key)
    {
        lock (_counts)
        {
            return _counts.GetValueOrDefault(key);
        }
    }

    private static byte[] Mac(int i) => [0x52, 0x54, 0x00, 0x77, (byte)(i >> 8), (byte)i];

    private static byte[] Discover(int i) => new Wire(Mac(i), xid: (uint)(0x1000 + i)).Type(1).Bytes();

    private static byte[] Request(int i, uint offered) =>
        new Wire(Mac(i), xid: (uint)(0x2000 + i)).Type(3)
            .Opt(DhcpOptionCode.RequestedIpAddress, Ipv4.FromUInt32(offered).GetAddressBytes())
            .Opt(DhcpOptionCode.ServerIdentifier, 10, 9, 0, 1)
            .Bytes();

    private void Receive(params byte[][] datagrams)
    {
        var batch = _listener.Received;
        batch.Clear();
        foreach (var d in datagrams)
        {
            d.CopyTo(batch.Next());
            batch.Received(d.Length, ClientSource, 68);
        }

        _server.HandleBatch(_listener, CancellationToken.None);
    }

    [Fact]
    public void HandleBatch_MalformedAmongGood_DroppedCountedAndTheOthersAnswered()
    {
        var badCookie = Discover(3);
        badCookie[236] = 0;

        Receive(Discover(1), Discover(2)[..120], Discover(4), badCookie, Discover(5));

        var sends = _channel.Sends;
        var sent = Assert.Single(sends);
        Assert.Equal(3, sent.Count);
        Assert.All(sent, d => Assert.Equal(new ReplyDestination(0xFFFFFFFF, 68), d.To));
        var replies = sent.Select(d => Parse(d.Bytes)).ToList();
        Assert.All(replies, r => Assert.Equal(DhcpMessageType.Offer, r.MessageType));
        Assert.Equal(new uint[] { 0x1001, 0x1004, 0x1005 }, replies.Select(r => r.TransactionId));
        Assert.Equal(1, Count("fabric.dhcp.dropped/Truncated"));
        Assert.Equal(1, Count("fabric.dhcp.dropped/BadMagicCookie"));
        Assert.Equal(3, Count("fabric.dhcp.offers"));
        Assert.Equal(5, Count("fabric.dhcp.received/veth0"));
    }

    [Fact]
    public void HandleBatch_TruncatedByTheSocket_DroppedAsTruncated()
    {
        var batch = _listener.Received;
        batch.Clear();
        var d = Discover(1);
        d.CopyTo(batch.Next());
        batch.Received(d.Length, ClientSource, 68, truncated: true);
        Discover(2).CopyTo(batch.Next());
        batch.Received(d.Length, ClientSource, 68);

        _server.HandleBatch(_listener, CancellationToken.None);

        Assert.Equal(0x1002u, Parse(Assert.Single(Assert.Single(_channel.Sends)).Bytes).TransactionId);
        Assert.Equal(1, Count("fabric.dhcp.dropped/Truncated"));
    }

    [Fact]
    public async Task HandleBatch_ManyRequests_EveryAckLeavesAfterItsLeaseIsOnDiskInBatchesOfAtMostBatchSize()
    {
        const int clients = 100;
        // DISCOVERs in two receive batches (a receive batch holds at most BatchSize datagrams).
        Receive([.. Enumerable.Range(0, 50).Select(Discover)]);
        Receive([.. Enumerable.Range(50, 50).Select(Discover)]);
        var offers = _channel.Sends.SelectMany(b => b).Select(d => Parse(d.Bytes)).ToDictionary(p => p.TransactionId - 0x1000, p => p.YourAddress);
        Assert.Equal(clients, offers.Count);
        Assert.Equal(clients, offers.Values.Distinct().Count());
        _channel.Reset();

        Receive([.. Enumerable.Range(0, 50).Select(i => Request(i, offers[(uint)i]))]);
        Receive([.. Enumerable.Range(50, 50).Select(i => Request(i, offers[(uint)i]))]);

        Assert.True(await WaitAsync(() => _channel.Sends.Sum(b => b.Count) >= clients), $"{_channel.Sends.Sum(b => b.Count)} ACKs of {clients}");
        var acks = _channel.Sends.SelectMany(b => b).ToList();
        Assert.Equal(clients, acks.Count);
        Assert.All(_channel.Sends, b => Assert.InRange(b.Count, 1, DhcpServer.BatchSize));
        Assert.All(acks, a => Assert.Equal(DhcpMessageType.Ack, Parse(a.Bytes).MessageType));
        Assert.All(acks, a => Assert.True(a.OnDiskWhenSent, $"ACK for {Ipv4.FromUInt32(Parse(a.Bytes).YourAddress)} left before its lease was on disk"));
        Assert.Equal(offers.Values.Order(), acks.Select(a => Parse(a.Bytes).YourAddress).Order());
        Assert.Equal(clients, Count("fabric.dhcp.acks"));
    }

    [Fact]
    public void HandleBatch_LoneRequestStoreIdle_AckSentOnTheReceiveThreadWithItsLeaseOnDisk()
    {
        Receive(Discover(1));
        var offered = Parse(Assert.Single(Assert.Single(_channel.Sends)).Bytes).YourAddress;
        _channel.Reset();

        Receive(Request(1, offered));

        // No waiting: the ACK left before HandleBatch returned, committed by this thread through the real store.
        var ack = Assert.Single(Assert.Single(_channel.Sends));
        Assert.Equal(DhcpMessageType.Ack, Parse(ack.Bytes).MessageType);
        Assert.True(ack.OnDiskWhenSent, "the ACK left before its lease was on disk");
        Assert.Equal(1, Count("fabric.dhcp.lease_commit_on_receive_thread"));
    }

    [Fact]
    public void Create_PortableForced_ReceiveFromSendToChannel()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var portable = DatagramChannel.Create(socket, portable: true);
        Assert.IsType<SocketDatagramChannel>(portable);

        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var batched = DatagramChannel.Create(other);
        Assert.Equal(OperatingSystem.IsLinux() ? typeof(LinuxDatagramChannel) : typeof(SocketDatagramChannel), batched.GetType());
    }

    private static DhcpPacket Parse(byte[] bytes)
    {
        Assert.True(DhcpPacket.TryParse(bytes, out var p, out var e), e.ToString());
        return p;
    }

    private static async Task<bool> WaitAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < until && !condition())
        {
            await Task.Delay(20);
        }

        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        _meters.Dispose();
        await _store.DisposeAsync();
        _server.Dispose();
        _metrics.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed record Sent(byte[] Bytes, ReplyDestination To, bool OnDiskWhenSent);

    /// <summary>Records every send batch; for an ACK, also whether its yiaddr's lease row was committed at that
    /// moment (read through a connection of its own, as another process would see it).</summary>
    private sealed class FakeChannel(string leasesDb) : IDatagramChannel
    {
        private readonly List<List<Sent>> _sends = [];

        public string Kind => "test";

        public List<List<Sent>> Sends
        {
            get
            {
                lock (_sends)
                {
                    return [.. _sends.Select(b => b.ToList())];
                }
            }
        }

        public void Reset()
        {
            lock (_sends)
            {
                _sends.Clear();
            }
        }

        public int Receive(DatagramBatch batch) => throw new NotSupportedException("The tests fill the receive batch themselves.");

        public int Send(DatagramBatch batch)
        {
            var sent = new List<Sent>();
            for (int i = 0; i < batch.Count; i++)
            {
                var bytes = batch.Datagram(i).ToArray();
                Assert.True(DhcpPacket.TryParse(bytes, out var p, out _));
                bool onDisk = p.MessageType == DhcpMessageType.Ack && LeaseRowExists(p.YourAddress);
                sent.Add(new Sent(bytes, new ReplyDestination(batch.Address(i), batch.Port(i)), onDisk));
            }

            lock (_sends)
            {
                _sends.Add(sent);
            }

            return batch.Count;
        }

        private bool LeaseRowExists(uint address)
        {
            using var c = new SqliteConnection($"Data Source={leasesDb};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM leases WHERE address = $a AND state = 'Bound'";
            cmd.Parameters.AddWithValue("$a", (long)address);
            return (long)cmd.ExecuteScalar()! == 1;
        }

        public void Dispose()
        {
        }
    }
}
