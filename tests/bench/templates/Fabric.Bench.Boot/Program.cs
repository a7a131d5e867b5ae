using System.Diagnostics;
using System.Globalization;
using System.Net;
using Fabric.Boot;
using Fabric.Core;

// Renders hardware.ipxe (and the other shipped templates) for distinct nodes, on one thread and on every
// core, and prints renders per second, per-render latency percentiles and bytes allocated per render.
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var templatesDir = BootTemplatesFolder.FindUpwards(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no templates folder");
var renderer = BootRenderer.Create(templatesDir);
var network = new Network("boot", IPNetwork.Parse("10.99.0.0/16"), IPAddress.Parse("10.99.0.1"), [IPAddress.Parse("10.99.0.1")], null, null, null, Network.DefaultLeaseTime, false);
var endpoints = new ApplianceEndpoints(new Uri("http://10.99.0.1:8080"), "10.99.0.1");
var contexts = Enumerable.Range(0, 10_000).Select(i =>
{
    var mac = MacAddress.FromBytes([0x52, 0x54, 0x00, 0x10, (byte)(i >> 8), (byte)i]);
    var node = new Node
    {
        Name = $"hnode{i:D5}",
        Role = NodeRole.Hardware,
        Macs = [mac],
        Ip = Ipv4.FromUInt32(Ipv4.ToUInt32(IPAddress.Parse("10.99.1.0")) + (uint)i),
        Network = "boot",
        Labels = new Dictionary<string, string> { ["rack"] = $"r{i % 40}" },
        Hardware = new HardwareSpec(8, 16384, RootSpec.Aoe(new AoeTarget(i % 2, 1 + (i % 200)))),
    };
    return new BootContext(node, mac, network, [], "token-" + i, endpoints);
}).ToArray();

foreach (var template in renderer.TemplateNames)
{
    var check = renderer.Render(template, contexts[0]);
    if (!check.Succeeded)
    {
        throw new InvalidOperationException($"{template}: {check.Error}");
    }
}

Run("hardware.ipxe, 1 thread", 1);
Run($"hardware.ipxe, {Environment.ProcessorCount} threads", Environment.ProcessorCount);

void Run(string label, int threads)
{
    // Warm up for a second (tiered JIT reaches its optimised code), then measure.
    var warm = Stopwatch.StartNew();
    for (int i = 0; warm.Elapsed < TimeSpan.FromSeconds(1); i++)
    {
        renderer.Render(BootTemplates.Hardware, contexts[i % contexts.Length]);
    }

    var latencies = new List<long>[threads];
    long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var total = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, threads).Select(t => Task.Run(() =>
    {
        var mine = latencies[t] = new List<long>(1 << 20);
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        int i = t;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            long start = Stopwatch.GetTimestamp();
            var result = renderer.Render(BootTemplates.Hardware, contexts[i % contexts.Length]);
            mine.Add(Stopwatch.GetTimestamp() - start);
            if (!result.Succeeded)
            {
                throw new InvalidOperationException(result.Error);
            }

            i += threads;
        }
    })).ToArray();
    Task.WaitAll(workers);
    total.Stop();
    long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double Micro(double p) => all[(int)Math.Min(all.Length - 1, p * all.Length)] * 1e6 / Stopwatch.Frequency;
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"{label}: {all.Length / total.Elapsed.TotalSeconds:F0} renders/s, p50 {Micro(0.50):F1} us, p99 {Micro(0.99):F1} us, {allocated / all.Length} bytes allocated per render"));
}
