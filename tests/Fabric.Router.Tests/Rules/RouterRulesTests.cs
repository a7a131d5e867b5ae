using Fabric.Core.Events;
using Fabric.Registry;
using Fabric.Registry.RouterRules;
using Fabric.Router.Rules;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Router.Tests.Rules;

/// <summary>The operator's rules checked against a registry on disk: every problem named by field, nothing stored on a
/// bad request, the same rule twice kept once, deny by the traffic.</summary>
public sealed class RouterRulesTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-router-rules-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private IRegistry? _registry;
    private IRouterRuleStore? _store;

    private RouterRules Rules => new(_registry!, _store!, _time);

    public async Task InitializeAsync()
    {
        _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));
        _store = RouterRuleStores.Open(Path.Combine(_dir, "fabric.db"));
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24", Gateway = "10.0.0.1" }, Actor.Admin)).Succeeded);
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Actor.Admin)).Succeeded);
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "priv1", Cidr = "10.20.0.0/24", Gateway = "10.20.0.1", Vlan = 200, Kind = "private" }, Actor.Admin)).Succeeded);
    }

    public Task DisposeAsync()
    {
        _store?.Dispose();
        _registry?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AllowAsync_GoodRuleTwice_StoredOnceWithTheNetworksRegisteredNames()
    {
        var first = await Rules.AllowAsync(new RouterRuleRequest("PUB1", " priv1 ", "TCP", 443));
        var again = await Rules.AllowAsync(new RouterRuleRequest("pub1", "priv1", "tcp", 443));

        Assert.True(first.Succeeded, first.Error?.ToString());
        Assert.Equal(new RouterRule(1, "pub1", "priv1", "tcp", 443, _time.GetUtcNow()), first.Value.Rule);
        Assert.True(first.Value.Added);
        Assert.False(again.Value.Added);
        Assert.Single(Rules.List());
    }

    [Theory]
    [InlineData(null, "priv1", null, null, "from: a rule needs the network its connections come from")]
    [InlineData("nope", "priv1", null, null, "from: no network named 'nope'")]
    [InlineData("boot", "priv1", null, null, "from: network 'boot' is not carried by the router (it needs kind private or public, a vlan and a gateway)")]
    [InlineData("pub1", "PUB1", null, null, "to: 'pub1' is the network the connections come from: instances of one network reach each other without the router")]
    [InlineData("pub1", "priv1", "gre", null, "protocol: 'gre' is not a protocol a rule takes (tcp, udp, icmp or any)")]
    [InlineData("pub1", "priv1", "icmp", 443, "port: a port needs protocol tcp or udp")]
    [InlineData("pub1", "priv1", "tcp", 70000, "port: 70000 is not a port (1-65535)")]
    [InlineData("nope", null, "gre", 0, "from: no network named 'nope'; to: a rule needs the network its connections go to; protocol: 'gre' is not a protocol a rule takes (tcp, udp, icmp or any); port: 0 is not a port (1-65535)")]
    public async Task AllowAsync_BadRequest_EveryProblemByFieldAndNothingStored(string? from, string? to, string? protocol, int? port, string expected)
    {
        await Rules.AllowAsync(new RouterRuleRequest("pub1", "priv1"));

        var result = await Rules.AllowAsync(new RouterRuleRequest(from, to, protocol, port));

        Assert.False(result.Succeeded);
        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.Equal(expected, result.Error.ToString());
        Assert.Single(Rules.List());
    }

    [Fact]
    public async Task DenyAsync_ByTheTraffic_RemovesOnlyThatRuleAndAnUnknownOneIsNotFound()
    {
        await Rules.AllowAsync(new RouterRuleRequest("pub1", "priv1", "tcp", 443));
        await Rules.AllowAsync(new RouterRuleRequest("pub1", "priv1"));

        var denied = await Rules.DenyAsync(new RouterRuleRequest("pub1", "priv1", "any", null));
        var missing = await Rules.DenyAsync(new RouterRuleRequest("pub1", "priv1", "udp", 53));

        Assert.Equal(2, denied.Value!.Id);
        Assert.Equal("rule: no rule allows pub1 -> priv1 udp/53", missing.Error!.ToString());
        Assert.Equal(RegistryErrorKind.NotFound, missing.Error.Kind);
        Assert.Equal([1L], Rules.List().Select(r => r.Id));
    }
}
