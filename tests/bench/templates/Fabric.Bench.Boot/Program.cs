using System.Diagnostics;
using System.Globalization;
using System.Net;
using Fabric.Boot;
using Fabric.Core;

// Renders hardware.ipxe for 10,000 distinct nodes in rounds on one thread and prints each round and the median.
// (The run that compared it with the Handlebars renderer it replaced is recorded in RESULTS.md.)
// Usage: Fabric.Bench.Boot [SECONDS per round, default 3] [ROUNDS, default 7]
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
var templatesDir = BootTemplatesFolder.FindUpwards(AppContext.BaseDirectory) ?? throw new InvalidOperationException("no templates folder");
var scriban = BootRenderer.Create(templatesDir);
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

foreach (var template in scriban.TemplateNames)
{
    var check = scriban.Render(template, contexts[0]);
    if (!check.Succeeded)
    {
        throw new InvalidOperationException(check.Detail);
    }
}

Console.WriteLine($"hardware.ipxe over {contexts.Length} nodes; {rounds} rounds of {seconds} s, one thread");
var rates = new List<double>();
Warm(scriban);
for (int round = 1; round <= rounds; round++)
{
    var (rate, p50, p99, bytes) = Run(scriban);
    rates.Add(rate);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: {rate,9:F0} renders/s, p50 {p50:F1} us, p99 {p99:F1} us, {bytes} B allocated per render"));
}

double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median {Median(rates):F0} renders/s"));

void Warm(IBootRenderer renderer)
{
    // Tiered JIT reaches its optimised code within about a second of steady calls.
    var warm = Stopwatch.StartNew();
    for (int i = 0; warm.Elapsed < TimeSpan.FromSeconds(1.5); i++)
    {
        renderer.Render(BootTemplates.Hardware, contexts[i % contexts.Length]);
    }
}

(double Rate, double P50, double P99, long Bytes) Run(IBootRenderer renderer)
{
    var latencies = new List<long>(1 << 20);
    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var total = Stopwatch.StartNew();
    for (int i = 0; Stopwatch.GetTimestamp() < deadline; i++)
    {
        long start = Stopwatch.GetTimestamp();
        var result = renderer.Render(BootTemplates.Hardware, contexts[i % contexts.Length]);
        latencies.Add(Stopwatch.GetTimestamp() - start);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(result.Error);
        }
    }

    total.Stop();
    long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
    var all = latencies.Order().ToArray();
    double Micro(double p) => all[(int)Math.Min(all.Length - 1, p * all.Length)] * 1e6 / Stopwatch.Frequency;
    return (all.Length / total.Elapsed.TotalSeconds, Micro(0.50), Micro(0.99), allocated / all.Length);
}
