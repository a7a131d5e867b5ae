using System.Diagnostics.Metrics;

namespace Fabric.Storage.Health;

/// <summary>The storage health instruments, on the Meter "Fabric.Storage": <c>fabric.storage.checks</c> (checks by
/// <c>result</c>, <c>ok</c> or <c>down</c>) and <c>fabric.storage.nodes_down</c> (storage nodes down now).</summary>
internal sealed class StorageMetrics : IDisposable
{
    public const string MeterName = "Fabric.Storage";

    private readonly Meter _meter;
    private readonly Counter<long> _checks;
    private Func<int> _down = () => 0;

    public StorageMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _checks = _meter.CreateCounter<long>("fabric.storage.checks", description: "Storage node health checks, by result (ok, down)");
        _meter.CreateObservableGauge("fabric.storage.nodes_down", () => _down(), description: "Storage nodes whose last health check failed");
    }

    /// <summary>The meter, for listeners in tests.</summary>
    internal Meter Meter => _meter;

    /// <summary>Where the count of nodes down comes from (the monitor, once it exists).</summary>
    public void Observe(Func<int> down) => _down = down;

    public void Checked(bool ok) => _checks.Add(1, new KeyValuePair<string, object?>("result", ok ? "ok" : "down"));

    public void Dispose() => _meter.Dispose();
}
