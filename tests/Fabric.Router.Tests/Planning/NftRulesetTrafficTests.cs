using System.Diagnostics;
using Fabric.Core;
using Fabric.Router.Diff;
using Fabric.Router.Planning;

namespace Fabric.Router.Tests.Planning;

/// <summary>The rendered filter with real traffic: four namespaces the test makes, a router and two instances on two
/// networks and an outside host, joined by veth pairs. The router's "sub-interfaces" are veth devices with the plan's
/// names (<c>eth1.100</c>, <c>eth1.200</c>; this kernel has no 802.1Q devices) holding the gateways; the plan's sysctl
/// and table actions are applied for real with <c>ip netns exec</c>, the sysctls first (then everything passes) and the
/// table second. Then: an instance reaches the outside from its
/// own address, a spoofed source is dropped, and an instance of one network cannot reach one of the other.</summary>
public sealed class NftRulesetTrafficTests : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string _files = Directory.CreateTempSubdirectory("fabric-router-traffic-").FullName;

    private string Router => $"frt-r-{_suffix}";

    private string Web => $"frt-w-{_suffix}";

    private string Db => $"frt-d-{_suffix}";

    private string Outside => $"frt-o-{_suffix}";

    public async Task InitializeAsync()
    {
        foreach (var ns in new[] { Router, Web, Db, Outside })
        {
            await Run("ip", "netns", "add", ns);
            await Run("ip", "-n", ns, "link", "set", "lo", "up");
        }

        // router eth1.100 <-> web, router eth1.200 <-> db, router eth2 <-> outside
        await Wire("eth1.100", "203.0.113.1/24", Web, "203.0.113.10/24", "203.0.113.1");
        await Wire("eth1.200", "10.20.0.1/24", Db, "10.20.0.5/24", "10.20.0.1");
        await Wire("eth2", "192.0.2.1/24", Outside, "192.0.2.2/24", "192.0.2.1");
        // A second address on web's interface: the source a spoofing instance would use.
        await Run("ip", "-n", Web, "addr", "add", "203.0.113.66/24", "dev", "peer");
    }

    public async Task DisposeAsync()
    {
        foreach (var ns in new[] { Router, Web, Db, Outside })
        {
            await Run("ip", "netns", "del", ns);
        }

        Directory.Delete(_files, recursive: true);
    }

    [Fact]
    public async Task Apply_FilterOnTheRouter_OwnSourceReachesOutsideSpoofedAndCrossNetworkDropped()
    {
        var host = new NamespaceHost(Router, _files);
        var desired = RouterPlanner.Plan(
            Fixtures.Router(),
            [Fixtures.Routed("pub1", "203.0.113.0/24", 100), Fixtures.Routed("priv1", "10.20.0.0/24", 200, NetworkKind.Private)],
            [Fixtures.Instance("web1", "pub1", "203.0.113.10"), Fixtures.Instance("db1", "priv1", "10.20.0.5")]);
        var plan = await RouterSync.PlanAsync(host, desired, CancellationToken.None);

        // Forwarding alone: everything passes, so what the filter stops below, the filter stops.
        await RouterSync.ApplyAsync(host, [.. plan.Actions.Where(a => a.Kind == RouterActionKind.SetSysctl)], _ => { }, CancellationToken.None);
        Assert.True(await Ping(Web, "203.0.113.66", "192.0.2.2"), "without the filter the other source passes");
        Assert.True(await Ping(Db, "10.20.0.5", "203.0.113.10"), "without the filter the networks reach each other");

        await RouterSync.ApplyAsync(host, [.. plan.Actions.Where(a => a.Kind == RouterActionKind.ReplaceTable)], _ => { }, CancellationToken.None);

        Assert.True(await Ping(Web, "203.0.113.10", "192.0.2.2"), "web1 from its own address should reach the outside");
        Assert.True(await Ping(Outside, null, "203.0.113.10"), "the outside should reach web1");
        Assert.True(await Ping(Db, "10.20.0.5", "192.0.2.2"), "db1 should reach the outside");
        Assert.False(await Ping(Web, "203.0.113.66", "192.0.2.2"), "a spoofed source must be dropped");
        Assert.False(await Ping(Db, "10.20.0.5", "203.0.113.10"), "db1 must not reach web1 on another network");
        Assert.False(await Ping(Web, "203.0.113.10", "10.20.0.5"), "web1 must not reach db1 on another network");
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
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(!check || process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {await error}");
        return (process.ExitCode, await output);
    }
}
