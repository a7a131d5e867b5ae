using System.Diagnostics.Metrics;
using Fabric.Tftp.Commands;

namespace Fabric.Tftp;

/// <summary>The server's instruments, on the meter "Fabric.Tftp".</summary>
internal sealed class TftpMetrics : IDisposable
{
    public const string MeterName = "Fabric.Tftp";

    private readonly Meter _meter;
    private readonly Counter<long> _started;
    private readonly Counter<long> _completed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _retransmits;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _clientLimited;
    private readonly Counter<long> _segmentedRuns;
    private readonly Counter<long> _sendErrors;

    public TftpMetrics(IMeterFactory? factory, Func<int> activeTransfers)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _started = _meter.CreateCounter<long>("tftp.transfers.started", "{transfer}", "Read transfers started");
        _completed = _meter.CreateCounter<long>("tftp.transfers.completed", "{transfer}", "Read transfers completed");
        _failed = _meter.CreateCounter<long>("tftp.transfers.failed", "{transfer}", "Read transfers that failed, by reason");
        _bytes = _meter.CreateCounter<long>("tftp.bytes.sent", "By", "File bytes sent (first transmissions)");
        _retransmits = _meter.CreateCounter<long>("tftp.retransmits", "{packet}", "Packets sent again after a timeout");
        _errors = _meter.CreateCounter<long>("tftp.errors", "{packet}", "ERROR packets sent, by code");
        _malformed = _meter.CreateCounter<long>("tftp.malformed", "{packet}", "Datagrams dropped as malformed or unexpected");
        _duplicates = _meter.CreateCounter<long>("tftp.requests.repeated", "{packet}", "Repeated requests ignored because their transfer is already answering");
        _clientLimited = _meter.CreateCounter<long>("tftp.requests.client_limited", "{request}", "Requests refused because their client address already held Fabric:Tftp:MaxTransfersPerClient transfers");
        _segmentedRuns = _meter.CreateCounter<long>("tftp.sends.segmented", "{send}", "Runs of DATA packets handed to the kernel in one segmented send (UDP_SEGMENT)");
        _sendErrors = _meter.CreateCounter<long>("tftp.sends.failed", "{send}", "Sends the kernel refused (lost like a dropped packet; the retransmission timer covers them)");
        _meter.CreateObservableGauge("tftp.transfers.active", activeTransfers, "{transfer}", "Transfers in progress");
    }

    public void Started() => _started.Add(1);

    public void Completed(long bytes, long retransmits)
    {
        _completed.Add(1);
        _bytes.Add(bytes);
        _retransmits.Add(retransmits);
    }

    public void Failed(string reason, long bytes, long retransmits)
    {
        _failed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        _bytes.Add(bytes);
        _retransmits.Add(retransmits);
    }

    public void Sent(long segmentedRuns, long sendErrors)
    {
        _segmentedRuns.Add(segmentedRuns);
        _sendErrors.Add(sendErrors);
    }

    public void Error(TftpErrorCode code) => _errors.Add(1, new KeyValuePair<string, object?>("code", (int)code));

    public void Malformed() => _malformed.Add(1);

    public void DuplicateRequest() => _duplicates.Add(1);

    public void ClientLimited() => _clientLimited.Add(1);

    public void Dispose() => _meter.Dispose();
}
