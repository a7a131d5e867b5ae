using System.Diagnostics.Metrics;
using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Registry;

namespace Fabric.Instances.Monitoring;

/// <summary>The instance instruments, on the Meter "Fabric.Instances": <c>fabric_instances</c> (instances by
/// <c>state</c>, read from the registry when scraped) and <c>fabric_instances_lost_total</c> (qemus found gone, by
/// <c>hypervisor</c>).</summary>
internal sealed class InstanceMetrics : IDisposable
{
    public const string MeterName = "Fabric.Instances";

    private readonly Meter _meter;
    private readonly Counter<long> _lost;

    public InstanceMetrics(IRegistry registry, IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _lost = _meter.CreateCounter<long>("fabric_instances_lost_total", description: "Instances whose qemu was found gone from its hypervisor, by hypervisor.");
        _meter.CreateObservableGauge("fabric_instances", () => States(registry), description: "Instances by state.");
    }

    /// <summary>The meter, for listeners in tests.</summary>
    internal Meter Meter => _meter;

    public void Lost(string hypervisor) => _lost.Add(1, new KeyValuePair<string, object?>("hypervisor", hypervisor));

    private static IEnumerable<Measurement<long>> States(IRegistry registry)
    {
        var counts = registry.ListNodes(NodeRole.Instance)
            .GroupBy(n => n.Instance?.State ?? InstanceState.Defined)
            .ToDictionary(g => g.Key, g => g.LongCount());
        return Enum.GetValues<InstanceState>().Select(s => new Measurement<long>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", s.ToWire())));
    }

    public void Dispose() => _meter.Dispose();
}
