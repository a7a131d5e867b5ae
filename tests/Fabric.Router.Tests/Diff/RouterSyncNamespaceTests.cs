using System.Diagnostics;
using Fabric.Core;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Diff;
using Fabric.Router.Planning;
using Fabric.Router.State;

namespace Fabric.Router.Tests.Diff;

/// <summary>The reads and the nftables and sysctl parts of an apply against the real <c>ip</c>, <c>sysctl</c> and
/// <c>nft</c> in a namespace the test makes. This kernel has no 802.1Q devices, so the plan's sub-interfaces are veth
/// devices given the plan's names (<c>eth1.100</c>): the diff rightly still wants real VLAN links there, and only the
/// sysctl and table actions are carried out here; the test checks that after them the real router reads back with no
/// sysctl or table change left, i.e. the rendered ruleset loads and <c>nft -j</c> gives back the shape the plan has.</summary>
public sealed class RouterSyncNamespaceTests : IAsyncLifetime
{
    private readonly string _ns = $"fabric-rt-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly string _files = Directory.CreateTempSubdirectory("fabric-router-ns-").FullName;

    public async Task InitializeAsync()
    {
        await Run("ip", "netns", "add", _ns);
        foreach (var (name, peer) in new[] { ("eth1", "p1"), ("eth2", "p2"), ("eth1.100", "p100"), ("eth1.200", "p200") })
        {
            await Run("ip", "-n", _ns, "link", "add", name, "type", "veth", "peer", "name", peer);
            await Run("ip", "-n", _ns, "link", "set", name, "up");
        }
    }

    public async Task DisposeAsync()
    {
        await Run("ip", "netns", "del", _ns);
        Directory.Delete(_files, recursive: true);
    }

    [Fact]
    public async Task ApplyAsync_SysctlAndTableParts_RealRouterReadsBackWithNoneLeft()
    {
        var host = new NamespaceHost(_ns, _files);
        var desired = RouterPlanner.Plan(
            Fixtures.Router(),
            [Fixtures.Routed("pub1", "203.0.113.0/24", 100), Fixtures.Routed("priv1", "10.20.0.0/24", 200, NetworkKind.Private)],
            [Fixtures.Instance("web1", "pub1", "203.0.113.10"), Fixtures.Instance("web2", "pub1", "203.0.113.11"), Fixtures.Instance("db1", "priv1", "10.20.0.5")]);
        static bool Ours(RouterAction a) => a.Kind is RouterActionKind.SetSysctl or RouterActionKind.ReplaceTable;

        var first = await RouterSync.PlanAsync(host, desired, CancellationToken.None);
        await RouterSync.ApplyAsync(host, [.. first.Actions.Where(Ours)], _ => { }, CancellationToken.None);
        var second = await RouterSync.PlanAsync(host, desired, CancellationToken.None);
        var actual = await RouterReader.ReadAsync(host, desired, CancellationToken.None);

        Assert.Equal(5, first.Actions.Count(a => a.Kind == RouterActionKind.SetSysctl));
        Assert.Contains(first.Actions, a => a.Description.StartsWith("create table inet fabric", StringComparison.Ordinal));
        Assert.DoesNotContain(second.Actions, Ours);
        Assert.Equal(["203.0.113.10", "203.0.113.11"], actual.Table!.Sets["vlan100_sources"]);
        Assert.Equal("1", actual.Sysctls["net.ipv4.conf.eth1/100.proxy_arp"]);
        Assert.Equal("1", actual.Sysctls["net.ipv4.ip_forward"]);
    }

    [Fact]
    public async Task ApplyAsync_InstanceRemoved_TableReplacedAtomicallyWithoutTheAddress()
    {
        var host = new NamespaceHost(_ns, _files);
        Network[] networks = [Fixtures.Routed("pub1", "203.0.113.0/24", 100)];
        var before = RouterPlanner.Plan(Fixtures.Router(), networks, [Fixtures.Instance("web1", "pub1", "203.0.113.10"), Fixtures.Instance("web2", "pub1", "203.0.113.11")]);
        var after = RouterPlanner.Plan(Fixtures.Router(), networks, [Fixtures.Instance("web1", "pub1", "203.0.113.10")]);
        static bool Table(RouterAction a) => a.Kind == RouterActionKind.ReplaceTable;
        await RouterSync.ApplyAsync(host, [.. (await RouterSync.PlanAsync(host, before, CancellationToken.None)).Actions.Where(Table)], _ => { }, CancellationToken.None);

        var removal = await RouterSync.PlanAsync(host, after, CancellationToken.None);
        await RouterSync.ApplyAsync(host, [.. removal.Actions.Where(Table)], _ => { }, CancellationToken.None);

        Assert.StartsWith("replace table inet fabric", Assert.Single(removal.Actions, Table).Description, StringComparison.Ordinal);
        var actual = await RouterReader.ReadAsync(host, after, CancellationToken.None);
        Assert.Equal(["203.0.113.10"], actual.Table!.Sets["vlan100_sources"]);
        Assert.Equal(1, await CountTablesAsync());
    }

    [Fact]
    public async Task ReadAsync_NoTableYet_TableIsNull()
    {
        var actual = await RouterReader.ReadAsync(new NamespaceHost(_ns, _files), RouterPlanner.Plan(Fixtures.Router(), [], []), CancellationToken.None);

        Assert.Null(actual.Table);
        Assert.Equal("veth", actual.Links["eth1.100"].Kind);
    }

    private async Task<int> CountTablesAsync()
    {
        var (_, output) = await Run("ip", "netns", "exec", _ns, "nft", "list", "tables");
        return output.Split('\n').Count(l => l.Trim() == "table inet fabric");
    }

    private static async Task<(int Code, string Output)> Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
        return (process.ExitCode, output);
    }
}
