using System.Diagnostics;
using Fabric.Core.Events;
using Fabric.Registry;
using Fabric.Registry.RouterRules;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router;
using Fabric.Router.Diff;
using Fabric.Router.Tests;

namespace Fabric.Integration.Router;

/// <summary>The router's filter as Fabric plans it from a registry on disk (networks, instances and an operator's rule),
/// loaded with the real <c>nft -f</c> into a namespace this test makes, with real traffic between four namespaces: the
/// router, an instance on public network pub1 (VLAN 100), one on private network priv1 (VLAN 200) and an outside host.
/// What stands in: this kernel has no 802.1Q devices, so the router's sub-interfaces are veth devices carrying the
/// plan's names (<c>eth1.100</c>, <c>eth1.200</c>) with each network's gateway, their peers in the instances'
/// namespaces; the uplink <c>eth2</c> is a veth to the outside host. The plan's sysctls and table are applied as planned
/// (making the links is left out: they are there already). Shown: an instance's own address is forwarded to the uplink,
/// a spoofed source is dropped, the two networks cannot reach each other, and an allow rule opens exactly its traffic
/// (tcp to one port, one way, with its replies) and nothing else.</summary>
public sealed class RouterFilterTrafficTests : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-router-filter-").FullName;
    private readonly List<Process> _listeners = [];
    private readonly List<string> _namespaces = [];
    private IRegistry? _registry;
    private IRouterRuleStore? _rules;

    private string Router => $"frf-r-{_suffix}";

    private string Web => $"frf-w-{_suffix}";

    private string Db => $"frf-d-{_suffix}";

    private string Outside => $"frf-o-{_suffix}";

    public async Task InitializeAsync()
    {
        try
        {
            foreach (var ns in new[] { Router, Web, Db, Outside })
            {
                await Run("ip", "netns", "add", ns);
                _namespaces.Add(ns);
                await Run("ip", "-n", ns, "link", "set", "lo", "up");
            }

            await Wire("eth1.100", "203.0.113.1/24", Web, "203.0.113.10/24", "203.0.113.1");
            await Wire("eth1.200", "10.20.0.1/24", Db, "10.20.0.5/24", "10.20.0.1");
            await Wire("eth2", "192.0.2.1/24", Outside, "192.0.2.2/24", "192.0.2.1");
            // A second address on web1's interface: the source a spoofing instance would use.
            await Run("ip", "-n", Web, "addr", "add", "203.0.113.66/24", "dev", "peer");

            var database = Path.Combine(_dir, "fabric.db");
            _registry = FabricRegistry.Open(database);
            _rules = RouterRuleStores.Open(database);
            await Ok(_registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Actor.Admin));
            await Ok(_registry.AddNetworkAsync(new NetworkInput { Name = "priv1", Cidr = "10.20.0.0/24", Gateway = "10.20.0.1", Vlan = 200, Kind = "private" }, Actor.Admin));
            await Ok(_registry.AddNodeAsync(new NodeInput { Name = "router1", Role = "router", Macs = ["52:54:00:00:09:01"], SshAddress = "127.0.0.1", TrunkInterface = "eth1", UplinkInterface = "eth2" }, Actor.Admin));
            await Ok(_registry.AddNodeAsync(new NodeInput { Name = "web1", Role = "instance", Macs = ["0e:00:00:00:00:0a"], Network = "pub1", Ip = "203.0.113.10" }, Actor.Admin));
            await Ok(_registry.AddNodeAsync(new NodeInput { Name = "db1", Role = "instance", Macs = ["0e:00:00:00:00:05"], Network = "priv1", Ip = "10.20.0.5" }, Actor.Admin));

            // Two services on db1: the rule below opens the first only.
            _listeners.Add(Listen(Db, 8080));
            _listeners.Add(Listen(Db, 8081));
            _listeners.Add(Listen(Web, 8080));
            _listeners.Add(Listen(Outside, 8080));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var listener in _listeners)
        {
            try
            {
                listener.Kill();
                await listener.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
            }

            listener.Dispose();
        }

        _listeners.Clear();
        foreach (var ns in _namespaces)
        {
            await Run(false, "ip", ["netns", "del", ns]);
        }

        _namespaces.Clear();
        _rules?.Dispose();
        _registry?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Apply_PlannedFilterAndThenAnAllowRule_SpoofedDroppedNetworksApartAndOnlyTheRulesTrafficOpens()
    {
        var host = new NamespaceHost(Router, _dir);
        var forwarding = await ApplyPlanAsync(host, RouterActionKind.SetSysctl);
        Assert.NotEmpty(forwarding);

        // Forwarding alone: everything passes, so what the filter stops below, the filter stops.
        Assert.True(await Ping(Web, "203.0.113.66", "192.0.2.2"), "without the filter the other source passes");
        Assert.True(await Ping(Db, "10.20.0.5", "203.0.113.10"), "without the filter the networks reach each other");
        Assert.True(await Connect(Web, "203.0.113.10", "10.20.0.5", 8081), "without the filter db1's service is reached from web1");

        Assert.Single(await ApplyPlanAsync(host, RouterActionKind.ReplaceTable));

        Assert.True(await Ping(Web, "203.0.113.10", "192.0.2.2"), "web1 from its own address should reach the outside");
        Assert.True(await Ping(Outside, null, "203.0.113.10"), "the outside should reach web1");
        Assert.False(await Ping(Web, "203.0.113.66", "192.0.2.2"), "a spoofed source must be dropped");
        Assert.True(await Connect(Web, "203.0.113.10", "192.0.2.2", 8080), "web1 from its own address should reach the outside (tcp)");
        Assert.False(await Connect(Web, "203.0.113.66", "192.0.2.2", 8080), "a spoofed source must be dropped (tcp)");
        Assert.False(await Ping(Db, "10.20.0.5", "203.0.113.10"), "db1 must not reach web1 on another network");
        Assert.False(await Ping(Web, "203.0.113.10", "10.20.0.5"), "web1 must not reach db1 on another network");
        Assert.False(await Connect(Web, "203.0.113.10", "10.20.0.5", 8080), "no rule yet: web1 must not reach db1's service");

        // The operator allows pub1's instances to open tcp connections to priv1's on port 8080.
        await _rules!.AddAsync("pub1", "priv1", "tcp", 8080, DateTimeOffset.UtcNow);
        var rule = await ApplyPlanAsync(host, RouterActionKind.ReplaceTable);
        Assert.Single(rule);
        Assert.Contains("allow #1 pub1 -> priv1 tcp/8080", (await Run("ip", "netns", "exec", Router, "nft", "list", "table", "inet", "fabric")).Output, StringComparison.Ordinal);
        Assert.Empty(await PlanAsync(host, RouterActionKind.ReplaceTable)); // applied: the next plan sees the rule there

        Assert.True(await Connect(Web, "203.0.113.10", "10.20.0.5", 8080), "the rule's traffic: web1 to db1 tcp/8080, and its replies");
        Assert.False(await Connect(Web, "203.0.113.10", "10.20.0.5", 8081), "another port stays closed");
        Assert.False(await Ping(Web, "203.0.113.10", "10.20.0.5"), "another protocol stays closed");
        Assert.False(await Connect(Db, "10.20.0.5", "203.0.113.10", 8080), "the other way stays closed");
        Assert.False(await Connect(Web, "203.0.113.66", "10.20.0.5", 8080), "a spoofed source is dropped before any rule");
        Assert.True(await Ping(Db, "10.20.0.5", "192.0.2.2"), "db1 still reaches the outside");

        // Denied again: closed again.
        Assert.NotNull(await _rules.RemoveAsync(1));
        Assert.Single(await ApplyPlanAsync(host, RouterActionKind.ReplaceTable));
        Assert.False(await Connect(Web, "203.0.113.10", "10.20.0.5", 8080), "the rule removed: closed again");
    }

    private async Task<IReadOnlyList<RouterAction>> PlanAsync(IRemoteHost host, RouterActionKind kind)
    {
        var router = _registry!.FindNode("router1")!;
        var plan = await RouterSync.PlanAsync(host, RouterSync.Desired(_registry, router, _rules!.List()), CancellationToken.None);
        return [.. plan.Actions.Where(a => a.Kind == kind)];
    }

    private async Task<IReadOnlyList<RouterAction>> ApplyPlanAsync(IRemoteHost host, RouterActionKind kind)
    {
        var actions = await PlanAsync(host, kind);
        await RouterSync.ApplyAsync(host, actions, _ => { }, CancellationToken.None);
        return actions;
    }

    private static async Task Ok<T>(Task<RegistryResult<T>> write)
    {
        var result = await write;
        Assert.True(result.Succeeded, result.Error?.ToString());
    }

    private async Task Wire(string routerSide, string routerAddress, string ns, string address, string gateway)
    {
        await Run("ip", "-n", Router, "link", "add", routerSide, "type", "veth", "peer", "name", "peer", "netns", ns);
        await Run("ip", "-n", Router, "addr", "add", routerAddress, "dev", routerSide);
        await Run("ip", "-n", Router, "link", "set", routerSide, "up");
        await Run("ip", "-n", ns, "addr", "add", address, "dev", "peer");
        await Run("ip", "-n", ns, "link", "set", "peer", "up");
        await Run("ip", "-n", ns, "route", "add", "default", "via", gateway);
    }

    /// <summary>A TCP service in <paramref name="ns"/> that answers <c>ok</c> to every connection.</summary>
    private static Process Listen(string ns, int port)
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", ns, "socat", $"TCP-LISTEN:{port},fork,reuseaddr", "SYSTEM:echo ok"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(info)!;
    }

    /// <summary>Whether a TCP connection from <paramref name="source"/> gets the service's <c>ok</c> (3 s at most).</summary>
    private static async Task<bool> Connect(string ns, string source, string destination, int port)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var (code, output) = await Run(false, "ip", ["netns", "exec", ns, "socat", "-T", "3", "-", $"TCP:{destination}:{port},bind={source},connect-timeout=3"]);
            if (code == 0 && output.Trim() == "ok")
            {
                return true;
            }

            // Refused (the listener not up yet) is retried; a drop is a timeout, which fails at once.
            if (!output.Contains("refused", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>Whether two pings from <paramref name="ns"/> (from <paramref name="source"/>) get a reply.</summary>
    private static async Task<bool> Ping(string ns, string? source, string destination)
    {
        string[] from = source is null ? [] : ["-I", source];
        var (code, _) = await Run(false, "ip", ["netns", "exec", ns, "ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "2", .. from, destination]);
        return code == 0;
    }

    private static Task<(int Code, string Output)> Run(string program, params string[] arguments) => Run(true, program, arguments);

    private static async Task<(int Code, string Output)> Run(bool check, string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(!check || process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {await error}");
        return (process.ExitCode, await output + await error);
    }
}
