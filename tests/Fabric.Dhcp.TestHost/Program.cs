using System.Globalization;
using System.Net;
using Fabric.Core;
using Fabric.Dhcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Usage: Fabric.Dhcp.TestHost <config.json>
// The file holds the appliance's keys (Fabric:DataDir, Fabric:PublicUrl, Fabric:Dhcp:*) plus
// TestHost:Networks and TestHost:Nodes for the in-memory registry. Prints READY once serving.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args[1..], DisableDefaults = false });
builder.Configuration.AddJsonFile(Path.GetFullPath(args[0]), optional: false);
var directory = new InMemoryFabricDirectory();
foreach (var n in builder.Configuration.GetSection("TestHost:Networks").GetChildren())
{
    directory.Upsert(new Network(
        n["Name"]!,
        IPNetwork.Parse(n["Cidr"]!),
        n["Gateway"] is { } gw ? IPAddress.Parse(gw) : null,
        n.GetSection("Dns").GetChildren().Select(d => IPAddress.Parse(d.Value!)).ToList(),
        n["PoolStart"] is { } ps ? IPAddress.Parse(ps) : null,
        n["PoolEnd"] is { } pe ? IPAddress.Parse(pe) : null,
        null,
        TimeSpan.FromSeconds(int.Parse(n["LeaseSeconds"] ?? "3600", CultureInfo.InvariantCulture)),
        bool.Parse(n["ServeUnknown"] ?? "true")));
}

foreach (var n in builder.Configuration.GetSection("TestHost:Nodes").GetChildren())
{
    directory.Upsert(new Node
    {
        Name = n["Name"]!,
        Role = NodeRole.Hardware,
        Macs = [MacAddress.Parse(n["Mac"]!)],
        Ip = IPAddress.Parse(n["Ip"]!),
        Network = n["Network"],
    });
}

builder.Services.AddSingleton<IFabricDirectory>(directory);
builder.Services.AddFabricDhcpServer(DhcpConfiguration.Read(builder.Configuration));
using var host = builder.Build();

// Totals of the server's instruments, printed at shutdown (what the benchmark reads its limits from).
var totals = new System.Collections.Concurrent.ConcurrentDictionary<(string Name, object? Tag), Total>();
using var listener = new System.Diagnostics.Metrics.MeterListener();
listener.InstrumentPublished = (instrument, l) =>
{
    if (instrument.Meter.Name == "Fabric.Dhcp")
    {
        l.EnableMeasurementEvents(instrument);
    }
};
void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
{
    object? tag = null;
    foreach (var t in tags)
    {
        if (t.Key == "reason")
        {
            tag = t.Value;
        }
    }

    var total = totals.GetOrAdd((instrument.Name, tag), _ => new Total());
    lock (total)
    {
        total.Count++;
        total.Sum += value;
        total.Max = Math.Max(total.Max, value);
    }
}

listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
listener.Start();

await host.StartAsync();
long allocatedAtReady = GC.GetTotalAllocatedBytes(precise: true);
Console.WriteLine("READY");
await host.WaitForShutdownAsync();
// Managed bytes allocated while serving (every thread), for the benchmark's bytes-per-exchange figure.
Console.WriteLine(FormattableString.Invariant($"metric gc.allocated_bytes_serving count=1 sum={GC.GetTotalAllocatedBytes(precise: true) - allocatedAtReady}"));
foreach (var ((name, tag), total) in totals.OrderBy(kv => kv.Key.Name, StringComparer.Ordinal))
{
    Console.WriteLine(FormattableString.Invariant($"metric {name}{(tag is null ? "" : $" reason={tag}")} count={total.Count} sum={total.Sum:0.###} max={total.Max:0.###}"));
}

internal sealed class Total
{
    public long Count { get; set; }

    public double Sum { get; set; }

    public double Max { get; set; }
}
