using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Fabric.Bench.Storm;

// A boot storm: --nodes simulated iPXE clients start within --spread-ms of each other; each takes a lease through a
// relay (DISCOVER/REQUEST), fetches the boot script its boot file names from its leased address, the kernel and
// initrd the script names (over TFTP for --tftp-share of the nodes), then posts its boot reports (initramfs,
// root-mounted, up) with the token from its kernel command line. --mode unknown: the nodes are not registered and
// stop at the (discovery) script. Prints one summary line and a JSON object per run (--json FILE).
var options = Options.Parse(args);
if (options is null)
{
    return 2;
}

if (options.RegisterUrl is not null)
{
    int registered = await Registration.RunAsync(options);
    if (registered < 0)
    {
        return 1;
    }
}

var servers = options.Pids.Select(pid => new ProcessProbe(pid)).ToArray();
double cpuBefore = servers.Sum(s => s.CpuSeconds());
using var relay = new DhcpRelay(options.Relay, options.Server);
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.TimeoutSeconds));
var results = new NodeResult[options.Nodes];
var started = Stopwatch.GetTimestamp();
var tasks = Enumerable.Range(0, options.Nodes).Select(i => Task.Run(async () =>
{
    await Task.Delay(TimeSpan.FromMilliseconds(options.SpreadMs * (double)i / options.Nodes));
    results[i] = await StormNode.BootAsync(i, options, relay, started, stop.Token);
})).ToArray();
var peakRss = 0L;
while (!Task.WhenAll(tasks).IsCompleted)
{
    peakRss = Math.Max(peakRss, servers.Sum(s => s.RssBytes()));
    await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(200));
}

double wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
double cpu = servers.Sum(s => s.CpuSeconds()) - cpuBefore;
long hwm = servers.Sum(s => s.PeakBytes());
var report = Report.From(options, results, wall, cpu, Math.Max(peakRss, hwm), relay.Unmatched);
Console.WriteLine(report.SummaryLine());
if (options.JsonFile is not null)
{
    await File.WriteAllTextAsync(options.JsonFile, report.Json());
}

foreach (var failure in results.Where(r => r.FailedStage is not null).GroupBy(r => r.FailedStage + ": " + r.Error).Take(8))
{
    Console.Error.WriteLine($"  {options.Label}: {failure.Count()} x {failure.Key}");
}

return report.Up == (options.Mode == "unknown" ? report.Up : options.Nodes) && report.Failed == 0 ? 0 : 1;

namespace Fabric.Bench.Storm
{
    internal sealed record Options(
        string Label, int Nodes, string Mode, IPAddress Server, IPAddress Relay, IPAddress TftpServer, double TftpShare,
        double SpreadMs, int TimeoutSeconds, int[] Pids, string? JsonFile, string? RegisterUrl, string? Token, IPAddress FirstNodeIp)
    {
        public static Options? Parse(string[] args)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < args.Length; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    Console.Error.WriteLine($"storm: unexpected argument '{args[i]}' (options are --name VALUE)");
                    return null;
                }

                map[args[i][2..]] = args[++i];
            }

            string Get(string key, string fallback) => map.GetValueOrDefault(key, fallback);
            try
            {
                var mode = Get("mode", "known");
                if (mode is not ("known" or "unknown"))
                {
                    throw new FormatException("--mode is known or unknown");
                }

                return new Options(
                    Get("label", "server"),
                    int.Parse(Get("nodes", "50"), CultureInfo.InvariantCulture),
                    mode,
                    IPAddress.Parse(Get("server", "10.64.0.1")),
                    IPAddress.Parse(Get("relay", "10.80.0.1")),
                    IPAddress.Parse(Get("tftp-server", Get("server", "10.64.0.1"))),
                    double.Parse(Get("tftp-share", "0"), CultureInfo.InvariantCulture),
                    double.Parse(Get("spread-ms", "1000"), CultureInfo.InvariantCulture),
                    int.Parse(Get("timeout", "600"), CultureInfo.InvariantCulture),
                    Get("pids", "").Split(' ', ',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray(),
                    map.GetValueOrDefault("json"),
                    map.GetValueOrDefault("register"),
                    map.GetValueOrDefault("token"),
                    IPAddress.Parse(Get("first-ip", "10.80.1.1")));
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"storm: {e.Message}");
                return null;
            }
        }

        /// <summary>Node i's MAC: 02:5e (locally administered) then i.</summary>
        public static byte[] Mac(int i) => [0x02, 0x5e, 0x00, (byte)(i >> 16), (byte)(i >> 8), (byte)i];

        public static string MacText(int i) => string.Join(':', Mac(i).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

        /// <summary>Node i's registered address: FirstNodeIp + i.</summary>
        public IPAddress NodeIp(int i)
        {
            var b = FirstNodeIp.GetAddressBytes();
            uint value = ((uint)b[0] << 24 | (uint)b[1] << 16 | (uint)b[2] << 8 | b[3]) + (uint)i;
            return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
        }
    }

    internal static class Registration
    {
        /// <summary>Registers the storm's nodes (hardware, root aoe:e0.1, address FirstNodeIp + i) before the storm.</summary>
        public static async Task<int> RunAsync(Options options)
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = new Uri(options.RegisterUrl!) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
            int next = -1, failed = 0;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < options.Nodes)
                {
                    var body = $"{{\"name\":\"storm{i:D6}\",\"mac\":\"{Options.MacText(i)}\",\"role\":\"hardware\",\"root\":\"aoe:e0.1\",\"ip\":\"{options.NodeIp(i)}\",\"network\":\"storm\"}}";
                    using var response = await http.PostAsync("/api/v1/nodes", new StringContent(body, Encoding.UTF8, "application/json"));
                    if (!response.IsSuccessStatusCode && Interlocked.Increment(ref failed) <= 3)
                    {
                        Console.Error.WriteLine($"storm: registering node {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                }
            }));
            return failed == 0 ? options.Nodes : -1;
        }
    }

    /// <summary>Reads a server process's CPU time and memory from /proc.</summary>
    internal sealed class ProcessProbe(int pid)
    {
        private static readonly double Tick = 100.0;

        public double CpuSeconds()
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / Tick;
            }
            catch (IOException)
            {
                return 0;
            }
        }

        public long RssBytes() => Status("VmRSS:");

        public long PeakBytes() => Status("VmHWM:");

        private long Status(string key)
        {
            try
            {
                var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
                return line is null ? 0 : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }

    /// <summary>One node's run: when each stage ended (seconds from the node's own start) and where it failed.</summary>
    internal sealed class NodeResult
    {
        public static readonly string[] Stages = ["dhcp", "script", "kernel", "initrd", "reports"];

        public double[] StageSeconds { get; } = new double[Stages.Length];

        public int Completed { get; set; }

        public double Total { get; set; }

        public double EndedAt { get; set; }

        public string? FailedStage { get; set; }

        public string? Error { get; set; }

        public bool Tftp { get; set; }
    }

    internal static class StormNode
    {
        public static async Task<NodeResult> BootAsync(int i, Options options, DhcpRelay relay, long stormStart, CancellationToken cancellationToken)
        {
            var result = new NodeResult { Tftp = Math.Floor((i + 1) * options.TftpShare) > Math.Floor(i * options.TftpShare) };
            var mac = Options.Mac(i);
            var start = Stopwatch.GetTimestamp();
            var stageStart = start;
            int stage = 0;
            void Done()
            {
                var now = Stopwatch.GetTimestamp();
                result.StageSeconds[stage++] = Stopwatch.GetElapsedTime(stageStart, now).TotalSeconds;
                stageStart = now;
            }

            try
            {
                var lease = await relay.LeaseAsync(mac, (uint)(0x5e000000 + i), cancellationToken);
                Done();
                var scriptUrl = Expand(lease.BootFile ?? throw new InvalidOperationException("no boot file in the ACK"), i);
                if (!scriptUrl.StartsWith("http://", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"boot file '{scriptUrl}' is not an HTTP script (is the iPXE user class seen?)");
                }

                using var http = new HttpClient(Handler(lease.YourAddress)) { Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) };
                var script = await http.GetStringAsync(scriptUrl, cancellationToken);
                if (!script.StartsWith("#!ipxe", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("the script is not an iPXE script");
                }

                var kernel = Line(script, "kernel");
                var initrd = Line(script, "initrd");
                if (options.Mode == "unknown")
                {
                    Done();
                    result.Completed = stage;
                    return Finish(result, start, stormStart);
                }

                if (kernel is null || initrd is null)
                {
                    throw new InvalidOperationException("the script names no kernel and initrd: " + script.Split('\n').FirstOrDefault(l => l.StartsWith("echo", StringComparison.Ordinal)));
                }

                Done();
                var args = kernel.Split(' ').Select(a => a.Split('=', 2)).Where(a => a.Length == 2).GroupBy(a => a[0]).ToDictionary(g => g.Key, g => g.First()[1]);
                await FetchAsync(http, kernel.Split(' ')[0], lease, result.Tftp, options, cancellationToken);
                Done();
                await FetchAsync(http, initrd.Split(' ')[0], lease, result.Tftp, options, cancellationToken);
                Done();
                var url = args.GetValueOrDefault("fabric.url") ?? throw new InvalidOperationException("no fabric.url on the kernel command line");
                var node = args.GetValueOrDefault("fabric.node") ?? throw new InvalidOperationException("no fabric.node on the kernel command line");
                var token = args.GetValueOrDefault("fabric.token") ?? throw new InvalidOperationException("no fabric.token on the kernel command line (script not fetched from the node's address?)");
                foreach (var report in new[] { "initramfs", "root-mounted", "up" })
                {
                    using var post = new HttpRequestMessage(HttpMethod.Post, $"{url}/api/v1/nodes/{node}/boot-events")
                    {
                        Content = new StringContent($"{{\"stage\":\"{report}\",\"message\":\"storm\"}}", Encoding.UTF8, "application/json"),
                    };
                    post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                    using var response = await http.SendAsync(post, cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        throw new InvalidOperationException($"report {report}: HTTP {(int)response.StatusCode}");
                    }
                }

                Done();
                result.Completed = stage;
            }
            catch (Exception e)
            {
                result.FailedStage = NodeResult.Stages[stage];
                result.Error = e.GetType().Name + ": " + e.Message.Split('\n')[0];
            }

            return Finish(result, start, stormStart);
        }

        private static NodeResult Finish(NodeResult result, long start, long stormStart)
        {
            result.Total = Stopwatch.GetElapsedTime(start).TotalSeconds;
            result.EndedAt = Stopwatch.GetElapsedTime(stormStart).TotalSeconds;
            return result;
        }

        /// <summary>iPXE's settings expansion for the MAC in a boot file name.</summary>
        private static string Expand(string bootFile, int i) =>
            bootFile.Replace("${net0/mac}", Options.MacText(i), StringComparison.Ordinal)
                .Replace("${mac}", Options.MacText(i), StringComparison.Ordinal)
                .Replace("${net0/mac:hexhyp}", Options.MacText(i).Replace(':', '-'), StringComparison.Ordinal);

        /// <summary>The rest of the first line of a script that starts with the command (its options dropped).</summary>
        private static string? Line(string script, string command)
        {
            foreach (var raw in script.Split('\n'))
            {
                var line = raw.Trim();
                if (line.StartsWith(command + " ", StringComparison.Ordinal))
                {
                    var words = line[(command.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w.StartsWith("--", StringComparison.Ordinal));
                    var rest = string.Join(' ', words);
                    int or = rest.IndexOf(" ||", StringComparison.Ordinal);
                    return or >= 0 ? rest[..or] : rest;
                }
            }

            return null;
        }

        private static async Task FetchAsync(HttpClient http, string url, DhcpReply lease, bool tftp, Options options, CancellationToken cancellationToken)
        {
            if (tftp)
            {
                int files = url.IndexOf("/boot/files/", StringComparison.Ordinal);
                var name = files >= 0 ? url[(files + "/boot/files/".Length)..] : new Uri(url).AbsolutePath.TrimStart('/');
                await TftpFetch.ReadAsync(lease.YourAddress, lease.NextServer ?? options.TftpServer, name, cancellationToken);
                return;
            }

            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += n;
            }

            if (response.Content.Headers.ContentLength is long expected && expected != total)
            {
                throw new InvalidOperationException($"{url}: {total} of {expected} bytes");
            }
        }

        /// <summary>Every connection of a node leaves from its leased address, as a real node's would.</summary>
        private static SocketsHttpHandler Handler(IPAddress local) => new()
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    internal sealed record Report(string Label, string Mode, int Nodes, int Up, int Failed, Dictionary<string, int> FailuresByStage,
        double Wall, double NodesPerMinute, double P50, double P99, Dictionary<string, (double P50, double P99)> Stages,
        double CpuPerNode, long PeakBytes, long DhcpUnmatched, int TftpNodes)
    {
        public static Report From(Options o, NodeResult[] results, double wall, double cpu, long peak, long unmatched)
        {
            var ok = results.Where(r => r.FailedStage is null).ToArray();
            var failures = results.Where(r => r.FailedStage is not null).GroupBy(r => r.FailedStage!).ToDictionary(g => g.Key, g => g.Count());
            int stages = o.Mode == "unknown" ? 2 : NodeResult.Stages.Length;
            var perStage = new Dictionary<string, (double, double)>();
            for (int s = 0; s < stages; s++)
            {
                var values = ok.Select(r => r.StageSeconds[s]).ToArray();
                perStage[NodeResult.Stages[s]] = (Percentile(values, 50), Percentile(values, 99));
            }

            var totals = ok.Select(r => r.Total).ToArray();
            double last = ok.Length == 0 ? wall : ok.Max(r => r.EndedAt);
            return new Report(o.Label, o.Mode, o.Nodes, ok.Length, results.Length - ok.Length, failures, wall,
                ok.Length == 0 ? 0 : ok.Length / last * 60, Percentile(totals, 50), Percentile(totals, 99), perStage,
                results.Length == 0 ? 0 : cpu / results.Length, peak, unmatched, results.Count(r => r.Tftp));
        }

        private static double Percentile(double[] values, double p)
        {
            if (values.Length == 0)
            {
                return double.NaN;
            }

            Array.Sort(values);
            return values[Math.Min(values.Length - 1, (int)Math.Ceiling(p / 100 * values.Length) - 1)];
        }

        public string SummaryLine()
        {
            var c = CultureInfo.InvariantCulture;
            var failures = Failed == 0 ? "0" : string.Join(",", FailuresByStage.Select(f => $"{f.Key}={f.Value}"));
            var stages = string.Join(" ", Stages.Select(s => string.Format(c, "{0}={1:F2}/{2:F2}", s.Key, s.Value.P50, s.Value.P99)));
            return string.Format(c, "storm {0} ({1}, {2} nodes, {3} over TFTP): {4} {5}, failures {6}, {7:F0} nodes/min, per node p50 {8:F2} s p99 {9:F2} s, stages p50/p99 s: {10}, server CPU {11:F3} s/node, peak memory {12:F0} MiB",
                Label, Mode, Nodes, TftpNodes, Up, Mode == "unknown" ? "discovered" : "up", failures, NodesPerMinute, P50, P99, stages, CpuPerNode, PeakBytes / 1048576.0);
        }

        public string Json()
        {
            var c = CultureInfo.InvariantCulture;
            var stages = string.Join(",", Stages.Select(s => string.Format(c, "\"{0}\":{{\"p50\":{1:F4},\"p99\":{2:F4}}}", s.Key, Num(s.Value.P50), Num(s.Value.P99))));
            var failures = string.Join(",", FailuresByStage.Select(f => $"\"{f.Key}\":{f.Value}"));
            return string.Format(c, "{{\"server\":\"{0}\",\"mode\":\"{1}\",\"nodes\":{2},\"up\":{3},\"failed\":{4},\"failures\":{{{5}}},\"wall\":{6:F3},\"nodesPerMinute\":{7:F1},\"p50\":{8:F4},\"p99\":{9:F4},\"stages\":{{{10}}},\"cpuPerNode\":{11:F5},\"peakMiB\":{12:F1},\"tftpNodes\":{13},\"dhcpUnmatched\":{14}}}\n",
                Label, Mode, Nodes, Up, Failed, failures, Wall, NodesPerMinute, Num(P50), Num(P99), stages, CpuPerNode, PeakBytes / 1048576.0, TftpNodes, DhcpUnmatched);
        }

        private static double Num(double v) => double.IsNaN(v) ? -1 : v;
    }
}
