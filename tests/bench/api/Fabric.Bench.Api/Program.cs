using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fabric.Api.Contracts;

// Registers COUNT hardware nodes through POST /api/v1/nodes with CONCURRENCY parallel clients and prints the rate.
// Node i gets MAC 52:54:00:xx:xx:xx (i in hex) and the next free address of the "bench" network.
var url = new Uri(Arg("--url", "http://127.0.0.1:18480"));
var token = Arg("--token", Environment.GetEnvironmentVariable("FABRIC_TOKEN") ?? "");
int count = int.Parse(Arg("--count", "10000"), CultureInfo.InvariantCulture);
int concurrency = int.Parse(Arg("--concurrency", "8"), CultureInfo.InvariantCulture);

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = url };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

var network = await http.PostAsJsonAsync("/api/v1/networks", new CreateNetworkRequest { Name = "bench", Cidr = "10.64.0.0/16", Gateway = "10.64.0.1" }, FabricJson.Options);
if (!network.IsSuccessStatusCode)
{
    Console.Error.WriteLine($"cannot create the network: {(int)network.StatusCode} {await network.Content.ReadAsStringAsync()}");
    return 1;
}

int next = -1;
int failures = 0;
var latencies = new double[count];
var watch = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < count)
    {
        var request = new CreateNodeRequest
        {
            Name = $"hnode{i:D5}",
            Role = "hardware",
            Mac = $"52:54:00:{(i >> 16) & 0xff:x2}:{(i >> 8) & 0xff:x2}:{i & 0xff:x2}",
            Network = "bench",
            Root = $"aoe:e{i % 2}.{1 + (i % 200)}",
        };
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsJsonAsync("/api/v1/nodes", request, FabricJson.Options);
        latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            Interlocked.Increment(ref failures);
            Console.Error.WriteLine($"node {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}));
watch.Stop();

Array.Sort(latencies);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"registered {count - failures} nodes ({failures} failed) in {watch.Elapsed.TotalSeconds:0.00} s: {(count - failures) / watch.Elapsed.TotalSeconds:0} registrations/s " +
    $"(concurrency {concurrency}; POST latency p50 {latencies[count / 2]:0.00} ms, p99 {latencies[(int)(count * 0.99)]:0.00} ms)"));
return failures == 0 ? 0 : 1;

string Arg(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
