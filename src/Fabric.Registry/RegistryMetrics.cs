using System.Diagnostics.Metrics;

namespace Fabric.Registry;

/// <summary>The registry's instruments (meter <c>Fabric.Registry</c>).</summary>
public sealed class RegistryMetrics
{
    public const string MeterName = "Fabric.Registry";

    private readonly Counter<long> _discoveryRefused;
    private readonly Counter<long> _writeFailures;

    public RegistryMetrics(IMeterFactory? meters = null)
    {
        var meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _discoveryRefused = meter.CreateCounter<long>("fabric_discovery_refused_total", description: "Unknown MACs not registered because Fabric:Discovery:MaxNodes nodes are discovered already.");
        _writeFailures = meter.CreateCounter<long>("fabric_registry_write_failures_total", description: "Groups of registry writes the store could not commit.");
    }

    internal void DiscoveryRefused() => _discoveryRefused.Add(1);

    internal void WriteFailed() => _writeFailures.Add(1);
}
