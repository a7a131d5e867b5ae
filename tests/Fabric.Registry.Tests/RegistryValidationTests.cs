using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Registry.Tests;

public sealed class RegistryValidationTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly IRegistry _registry;

    public RegistryValidationTests()
    {
        _registry = FabricRegistry.Open(_dir.Database);
    }

    public void Dispose()
    {
        _registry.Dispose();
        _dir.Dispose();
    }

    private Task<RegistryResult<Network>> AddBootNetworkAsync() => _registry.AddNetworkAsync(
        new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24", Gateway = "10.0.0.1", Dns = ["10.0.0.1"], PoolStart = "10.0.0.100", PoolEnd = "10.0.0.200" },
        Actor.Admin);

    private static NodeInput Node(string name, string mac, string role = "hardware") =>
        new() { Name = name, Macs = [mac], MacField = "mac", Role = role };

    [Fact]
    public async Task AddNode_SeveralBadFields_ReportsEveryOne()
    {
        var result = await _registry.AddNodeAsync(
            new NodeInput { Name = "-bad-", Macs = ["52:54:zz"], MacField = "mac", Role = "toaster", Root = "iscsi:x" }, Actor.Admin);

        Assert.False(result.Succeeded);
        Assert.Equal(RegistryErrorKind.Validation, result.Error.Kind);
        var fields = result.Error.Errors.Select(e => e.Field).ToList();
        Assert.Contains("name", fields);
        Assert.Contains("mac", fields);
        Assert.Contains("role", fields);
        Assert.Contains(result.Error.Errors, e => e.Field == "mac" && e.Reason.Contains("'52:54:zz' is not a MAC address", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("0")]
    [InlineData("3601")]
    public async Task AddNode_BadBootWaitLabel_NamesTheLabel(string value)
    {
        var input = Node("h1", "52:54:00:00:00:01") with { Labels = new Dictionary<string, string> { ["fabric.timeout"] = value } };

        var result = await _registry.AddNodeAsync(input, Actor.Admin);

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Error.Errors);
        Assert.Equal("labels.fabric.timeout", error.Field);
        Assert.Contains("number of seconds", error.Reason, StringComparison.Ordinal);
        Assert.Null(_registry.FindNode("h1"));
    }

    [Fact]
    public async Task AddNode_GoodBootWaitLabel_IsStored()
    {
        var input = Node("h1", "52:54:00:00:00:01") with { Labels = new Dictionary<string, string> { ["fabric.timeout"] = "90" } };

        var result = await _registry.AddNodeAsync(input, Actor.Admin);

        Assert.True(result.Succeeded);
        Assert.Equal("90", result.Value.Labels["fabric.timeout"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3601)]
    public async Task AddNetwork_BootTimeoutOutOfRange_NamesBootTimeoutSeconds(int seconds)
    {
        var result = await _registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24", BootTimeoutSeconds = seconds }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        var error = Assert.Single(result.Error.Errors);
        Assert.Equal("bootTimeoutSeconds", error.Field);
        Assert.Contains("number of seconds", error.Reason, StringComparison.Ordinal);
        Assert.Empty(_registry.ListNetworks());
    }

    [Fact]
    public async Task AddNetwork_BootTimeout_IsStoredAndSurvivesReopen()
    {
        var result = await _registry.AddNetworkAsync(new NetworkInput { Name = "slow", Cidr = "10.0.0.0/24", BootTimeoutSeconds = 300 }, Actor.Admin);
        await _registry.AddNetworkAsync(new NetworkInput { Name = "plain", Cidr = "10.1.0.0/24" }, Actor.Admin);

        Assert.True(result.Succeeded);
        _registry.Dispose();
        using var reopened = FabricRegistry.Open(_dir.Database);
        Assert.Equal(300, reopened.FindNetwork("slow")!.BootTimeoutSeconds);
        Assert.Null(reopened.FindNetwork("plain")!.BootTimeoutSeconds);
    }

    [Fact]
    public async Task AddNode_BadRootForHardware_NamesRoot()
    {
        var result = await _registry.AddNodeAsync(Node("hnode01", "52:54:00:00:00:01") with { Root = "iscsi:x" }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.Equal("root", Assert.Single(result.Error.Errors).Field);
    }

    [Fact]
    public async Task AddNode_RootOnStorageNode_IsRefused()
    {
        var result = await _registry.AddNodeAsync(Node("store1", "52:54:00:00:00:01", "storage") with { Root = "aoe:e0.1" }, Actor.Admin);

        Assert.Equal("root", Assert.Single(result.Error!.Errors).Field);
    }

    [Theory]
    [InlineData("52-54-00-AB-CD-EF")]
    [InlineData("5254.00ab.cdef")]
    [InlineData("525400ABCDEF")]
    public async Task AddNode_AnyMacNotation_StoresCanonicalForm(string mac)
    {
        var result = await _registry.AddNodeAsync(Node("HNode01", mac) with { Root = "aoe:e0.1" }, Actor.Admin);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal("hnode01", result.Value.Name);
        Assert.Equal("52:54:00:ab:cd:ef", result.Value.Macs.Single().ToString());
        Assert.Equal(RootTransport.Aoe, result.Value.Hardware!.Root!.Transport);
        Assert.Same(result.Value, await _registry.FindNodeByMacAsync(MacAddress.Parse("52:54:00:ab:cd:ef")));
    }

    [Theory]
    [InlineData("10.0.1.5", "outside network 'boot'")]
    [InlineData("10.0.0.0", "network address")]
    [InlineData("10.0.0.255", "broadcast address")]
    [InlineData("10.0.0.1", "gateway")]
    [InlineData("10.0.0.300", "not an IPv4 address")]
    public async Task AddNode_BadIp_NamesIpAndReason(string ip, string reason)
    {
        await AddBootNetworkAsync();

        var result = await _registry.AddNodeAsync(Node("hnode01", "52:54:00:00:00:01") with { Ip = ip, Network = "boot" }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        var error = Assert.Single(result.Error.Errors);
        Assert.Equal("ip", error.Field);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddNode_UnknownNetwork_NamesNetwork()
    {
        var result = await _registry.AddNodeAsync(Node("hnode01", "52:54:00:00:00:01") with { Network = "nowhere" }, Actor.Admin);

        Assert.Equal("network", Assert.Single(result.Error!.Errors).Field);
    }

    [Fact]
    public async Task AddNode_NoIp_GetsNextFreeAddressSkippingGatewayPoolAndTaken()
    {
        await _registry.AddNetworkAsync(new NetworkInput { Name = "small", Cidr = "10.1.0.0/29", Gateway = "10.1.0.1", PoolStart = "10.1.0.3", PoolEnd = "10.1.0.4" }, Actor.Admin);
        var taken = await _registry.AddNodeAsync(Node("a", "52:54:00:00:00:01", "router") with { Ip = "10.1.0.5" }, Actor.Admin);
        Assert.True(taken.Succeeded, taken.Error?.ToString());

        var b = await _registry.AddNodeAsync(Node("b", "52:54:00:00:00:02", "router"), Actor.Admin);
        var c = await _registry.AddNodeAsync(Node("c", "52:54:00:00:00:03", "router"), Actor.Admin);
        var d = await _registry.AddNodeAsync(Node("d", "52:54:00:00:00:04", "router"), Actor.Admin);
        var e = await _registry.AddNodeAsync(Node("e", "52:54:00:00:00:05", "router"), Actor.Admin);

        Assert.Equal("10.1.0.2", b.Value!.Ip!.ToString());
        Assert.Equal("10.1.0.6", c.Value!.Ip!.ToString());
        Assert.Equal("small", c.Value.Network);
        Assert.Equal(RegistryErrorKind.Conflict, d.Error!.Kind);
        Assert.Equal("ip", d.Error.Errors.Single().Field);
        Assert.False(e.Succeeded);
    }

    [Fact]
    public async Task AddNode_DuplicateNameMacOrIp_IsConflictNamingField()
    {
        await AddBootNetworkAsync();
        Assert.True((await _registry.AddNodeAsync(Node("hnode01", "52:54:00:00:00:01") with { Ip = "10.0.0.10" }, Actor.Admin)).Succeeded);

        var name = await _registry.AddNodeAsync(Node("hnode01", "52:54:00:00:00:02"), Actor.Admin);
        var mac = await _registry.AddNodeAsync(Node("hnode02", "52-54-00-00-00-01"), Actor.Admin);
        var ip = await _registry.AddNodeAsync(Node("hnode03", "52:54:00:00:00:03") with { Ip = "10.0.0.10" }, Actor.Admin);

        Assert.Equal((RegistryErrorKind.Conflict, "name"), (name.Error!.Kind, name.Error.Errors.Single().Field));
        Assert.Equal((RegistryErrorKind.Conflict, "mac"), (mac.Error!.Kind, mac.Error.Errors.Single().Field));
        Assert.Equal((RegistryErrorKind.Conflict, "ip"), (ip.Error!.Kind, ip.Error.Errors.Single().Field));
    }

    [Fact]
    public async Task UpdateNode_ChangeRole_DropsOldRoleFieldsAndLogsChange()
    {
        await _registry.AddNodeAsync(Node("n1", "52:54:00:00:00:01") with { Root = "aoe:e0.1", CpuCores = 4 }, Actor.Admin);

        var result = await _registry.UpdateNodeAsync("n1", new NodeInput { Role = "storage", AoeShelf = 1, State = "retired" }, Actor.Admin);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Null(result.Value.Hardware);
        Assert.Equal(1, result.Value.Storage!.AoeShelf);
        Assert.Equal(NodeState.Retired, result.Value.State);
        var events = (await _registry.ListEventsAsync("n1")).Value!;
        Assert.Equal([EventKind.Created, EventKind.Updated], events.Select(e => e.Kind));
        Assert.Contains("role: hardware -> storage", events[1].Message, StringComparison.Ordinal);
        Assert.All(events, e => Assert.Equal("admin", e.Actor));
    }

    [Fact]
    public async Task UpdateNode_DiscoveredGivenRoleAndRoot_BecomesRegistered()
    {
        var discovered = (await _registry.DiscoverAsync(MacAddress.Parse("52:54:00:00:0d:01"), null)).Node;
        Assert.Equal(NodeState.Discovered, discovered.State);

        var result = await _registry.UpdateNodeAsync(discovered.Name, new NodeInput { Role = "hardware", Root = "aoe:e0.1" }, Actor.Admin);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(NodeState.Registered, result.Value.State);
        Assert.Equal("aoe:e0.1", result.Value.Hardware!.Root!.ToString());
    }

    [Fact]
    public async Task UpdateNode_DiscoveredLabelsOnly_StaysDiscovered()
    {
        var discovered = (await _registry.DiscoverAsync(MacAddress.Parse("52:54:00:00:0d:02"), null)).Node;

        var result = await _registry.UpdateNodeAsync(discovered.Name, new NodeInput { Labels = new Dictionary<string, string> { ["rack"] = "r1" } }, Actor.Admin);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(NodeState.Discovered, result.Value.State);
    }

    [Fact]
    public async Task UpdateNode_ClearRootAndLabels_RemovesThemAndKeepsTheRest()
    {
        await _registry.AddNodeAsync(Node("n1", "52:54:00:00:00:01") with
        {
            Root = "aoe:e0.1",
            CpuCores = 4,
            Labels = new Dictionary<string, string> { ["rack"] = "r1" },
        }, Actor.Admin);

        var result = await _registry.UpdateNodeAsync("n1", new NodeInput { Clear = ["root", "labels"] }, Actor.Admin);

        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Null(result.Value.Hardware!.Root);
        Assert.Empty(result.Value.Labels);
        Assert.Equal(4, result.Value.Hardware.CpuCores);
        var events = (await _registry.ListEventsAsync("n1")).Value!;
        Assert.Contains("root: aoe:e0.1 -> ", events[^1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("role")]
    [InlineData("macs")]
    [InlineData("state")]
    [InlineData("colour")]
    public async Task UpdateNode_ClearFieldThatMustHaveValue_InvalidAndNothingChanged(string field)
    {
        await _registry.AddNodeAsync(Node("n1", "52:54:00:00:00:01") with { Root = "aoe:e0.1" }, Actor.Admin);

        var result = await _registry.UpdateNodeAsync("n1", new NodeInput { Root = "aoe:e0.2", Clear = [field] }, Actor.Admin);

        Assert.Equal((RegistryErrorKind.Validation, field), (result.Error!.Kind, result.Error.Errors.Single().Field));
        Assert.Equal("aoe:e0.1", _registry.FindNode("n1")!.Hardware!.Root!.ToString());
    }

    [Fact]
    public async Task UpdateNode_Unknown_IsNotFound()
    {
        var result = await _registry.UpdateNodeAsync("ghost", new NodeInput { State = "up" }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.NotFound, result.Error!.Kind);
    }

    [Fact]
    public async Task RemoveNode_FreesMacAndIpAndKeepsEvents()
    {
        await AddBootNetworkAsync();
        await _registry.AddNodeAsync(Node("n1", "52:54:00:00:00:01") with { Ip = "10.0.0.10" }, Actor.Admin);

        var removed = await _registry.RemoveNodeAsync("n1", Actor.Admin);
        var again = await _registry.AddNodeAsync(Node("n2", "52:54:00:00:00:01") with { Ip = "10.0.0.10" }, Actor.Admin);

        Assert.True(removed.Succeeded);
        Assert.True(again.Succeeded, again.Error?.ToString());
        Assert.Null(_registry.FindNode("n1"));
        var events = (await _registry.ListEventsAsync("n1")).Value!;
        Assert.Equal([EventKind.Created, EventKind.Removed], events.Select(e => e.Kind));
    }

    [Fact]
    public async Task RemoveNetwork_WithNodes_IsConflict()
    {
        await AddBootNetworkAsync();
        await _registry.AddNodeAsync(Node("n1", "52:54:00:00:00:01"), Actor.Admin);

        var result = await _registry.RemoveNetworkAsync("boot", Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, result.Error!.Kind);
    }

    [Theory]
    [InlineData("10.0.0.0/33", "cidr")]
    [InlineData("10.0.0.5/24", "cidr")]
    [InlineData("fe80::/64", "cidr")]
    public async Task AddNetwork_BadCidr_NamesCidr(string cidr, string field)
    {
        var result = await _registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = cidr }, Actor.Admin);

        Assert.Equal(field, Assert.Single(result.Error!.Errors).Field);
    }

    [Fact]
    public async Task AddNetwork_SeveralBadFields_ReportsEveryOne()
    {
        var result = await _registry.AddNetworkAsync(
            new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24", Gateway = "10.9.0.1", PoolStart = "10.0.0.200", PoolEnd = "10.0.0.100", Vlan = 5000, Dns = ["x"] }, Actor.Admin);

        Assert.Equal(["gateway", "poolEnd", "dns[0]", "vlan"], result.Error!.Errors.Select(e => e.Field));
    }

    [Fact]
    public async Task Discover_UnknownMac_RegistersDiscoveredNodeNamedAfterMac()
    {
        var mac = MacAddress.Parse("52:54:00:12:34:56");

        var first = await _registry.DiscoverAsync(mac, System.Net.IPAddress.Parse("10.0.0.150"));
        var second = await _registry.DiscoverAsync(mac, null);

        Assert.Equal("node-525400123456", first.Node.Name);
        Assert.Equal(NodeState.Discovered, first.Node.State);
        Assert.Equal((DiscoveryOutcome.Registered, DiscoveryOutcome.Known), (first.Outcome, second.Outcome));
        Assert.Same(first.Node, second.Node);
        Assert.Single(_registry.ListNodes());
    }

    [Fact]
    public async Task FailStuckBoots_PastTimeout_FailsOnlyStuckNodes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var dir = new TempDir();
        using var registry = FabricRegistry.Open(dir.Database, clock);
        await registry.AddNodeAsync(Node("slow", "52:54:00:00:00:01"), Actor.Admin);
        await registry.AddNodeAsync(Node("fast", "52:54:00:00:00:02"), Actor.Admin);
        await registry.ApplyAsync("slow", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);
        clock.Advance(TimeSpan.FromMinutes(6));
        await registry.ApplyAsync("fast", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);
        clock.Advance(TimeSpan.FromMinutes(5));

        var failed = await registry.FailStuckBootsAsync(TimeSpan.FromMinutes(10));

        Assert.Equal("slow", Assert.Single(failed).Name);
        Assert.Equal(NodeState.Failed, registry.FindNode("slow")!.State);
        Assert.Equal(NodeState.Booting, registry.FindNode("fast")!.State);
        Assert.Equal(EventKind.BootTimeout, (await registry.ListEventsAsync("slow")).Value![^1].Kind);
    }

    [Fact]
    public async Task FailStuckBoots_NoNodeBooting_WritesNothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var dir = new TempDir();
        using var registry = FabricRegistry.Open(dir.Database, clock);
        await registry.AddNodeAsync(Node("idle", "52:54:00:00:00:01"), Actor.Admin);
        await registry.ApplyAsync("idle", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);
        clock.Advance(TimeSpan.FromMinutes(11));
        Assert.Single(await registry.FailStuckBootsAsync(TimeSpan.FromMinutes(10)));
        int events = (await registry.ListEventsAsync("idle")).Value!.Count;

        clock.Advance(TimeSpan.FromMinutes(11));
        var failed = await registry.FailStuckBootsAsync(TimeSpan.FromMinutes(10));

        Assert.Empty(failed);
        Assert.Equal(NodeState.Failed, registry.FindNode("idle")!.State);
        Assert.Equal(events, (await registry.ListEventsAsync("idle")).Value!.Count);
    }

    [Fact]
    public async Task Open_Again_ReloadsEverything()
    {
        await AddBootNetworkAsync();
        await _registry.AddNodeAsync(new NodeInput
        {
            Name = "store1",
            Role = "storage",
            Macs = ["52:54:00:00:00:01", "52:54:00:00:00:02"],
            AoeShelf = 3,
            Pair = "pair-a",
            Volumes = [new VolumeInput("root-h1", 1, 1 << 30, "/srv/aoe/root-h1.img")],
            NfsExports = ["/srv/nfs"],
            Labels = new Dictionary<string, string> { ["rack"] = "r1" },
        }, Actor.Admin);
        _registry.Dispose();

        using var reopened = FabricRegistry.Open(_dir.Database);
        var node = reopened.FindNode("store1")!;

        Assert.Equal(2, node.Macs.Count);
        Assert.Equal("10.0.0.2", node.Ip!.ToString());
        Assert.Equal(3, node.Storage!.AoeShelf);
        Assert.Equal("root-h1", node.Storage.Volumes.Single().Name);
        Assert.Equal("r1", node.Labels["rack"]);
        Assert.Equal("boot", Assert.Single(reopened.ListNetworks()).Name);
        Assert.Same(node, await reopened.FindNodeByMacAsync(MacAddress.Parse("52:54:00:00:00:02")));
    }
}
