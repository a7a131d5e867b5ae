using System.Diagnostics.Metrics;

namespace Fabric.Dhcp.Server;

/// <summary>The DHCP server's instruments, on the Meter "Fabric.Dhcp".</summary>
internal sealed class DhcpMetrics : IDisposable
{
    public const string MeterName = "Fabric.Dhcp";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _anomalies;
    private readonly Counter<long> _offers;
    private readonly Counter<long> _acks;
    private readonly Counter<long> _naks;
    private readonly Histogram<double> _commitLatency;
    private readonly Histogram<int> _commitBatch;
    private readonly Histogram<int> _receiveBatch;
    private readonly Histogram<int> _sendBatch;
    private readonly Counter<long> _committedOnReceiveThread;

    public DhcpMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _received = _meter.CreateCounter<long>("fabric.dhcp.received", description: "Datagrams received");
        _dropped = _meter.CreateCounter<long>("fabric.dhcp.dropped", description: "Requests not answered, by reason");
        _anomalies = _meter.CreateCounter<long>("fabric.dhcp.anomalies", description: "Tolerated request problems and NAKs, by reason");
        _offers = _meter.CreateCounter<long>("fabric.dhcp.offers");
        _acks = _meter.CreateCounter<long>("fabric.dhcp.acks");
        _naks = _meter.CreateCounter<long>("fabric.dhcp.naks");
        _commitLatency = _meter.CreateHistogram<double>("fabric.dhcp.lease_commit_latency", unit: "ms", description: "Time from ACK decision to lease on disk");
        _commitBatch = _meter.CreateHistogram<int>("fabric.dhcp.lease_commit_batch", description: "Leases per durable transaction");
        _receiveBatch = _meter.CreateHistogram<int>("fabric.dhcp.receive_batch", description: "Datagrams taken per receive call");
        _sendBatch = _meter.CreateHistogram<int>("fabric.dhcp.send_batch", description: "Replies handed to the socket per send batch");
        _committedOnReceiveThread = _meter.CreateCounter<long>("fabric.dhcp.lease_commit_on_receive_thread",
            description: "Leases committed by a socket's receive thread itself (the store idle, commits brief) instead of the lease writer thread");
    }

    /// <summary>This server's meter (a test listens to its own server's instruments only).</summary>
    internal Meter Meter => _meter;

    public void Received(string interfaceName) => _received.Add(1, new KeyValuePair<string, object?>("interface", interfaceName));

    public void Dropped(string reason) => _dropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Anomaly(string reason) => _anomalies.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Offer() => _offers.Add(1);

    public void Ack() => _acks.Add(1);

    public void Nak() => _naks.Add(1);

    public void CommitLatency(TimeSpan elapsed) => _commitLatency.Record(elapsed.TotalMilliseconds);

    public void CommitBatch(int size) => _commitBatch.Record(size);

    public void ReceiveBatch(int size) => _receiveBatch.Record(size);

    public void SendBatch(int size) => _sendBatch.Record(size);

    public void CommittedOnReceiveThread() => _committedOnReceiveThread.Add(1);

    public void Dispose() => _meter.Dispose();
}
