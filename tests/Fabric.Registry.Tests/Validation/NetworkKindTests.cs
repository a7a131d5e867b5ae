using Dapper;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry.Sqlite;

namespace Fabric.Registry.Tests.Validation;

/// <summary>A network's kind: boot by default, private and public ones carried by the router on their VLAN.</summary>
public sealed class NetworkKindTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NetworkInput Public(string name, string cidr, int? vlan, string? gateway, string kind = "public") =>
        new() { Name = name, Cidr = cidr, Vlan = vlan, Gateway = gateway, Kind = kind };

    [Fact]
    public async Task AddNetwork_NoKind_IsBoot()
    {
        using var registry = FabricRegistry.Open(_dir.Database);

        var added = await registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24" }, Actor.Admin);

        Assert.Equal(NetworkKind.Boot, added.Value!.Kind);
    }

    [Theory]
    [InlineData("public", NetworkKind.Public)]
    [InlineData("Private", NetworkKind.Private)]
    [InlineData(" boot ", NetworkKind.Boot)]
    public async Task AddNetwork_Kind_StoredAndKeptAcrossReopen(string kind, NetworkKind expected)
    {
        using (var registry = FabricRegistry.Open(_dir.Database))
        {
            var added = await registry.AddNetworkAsync(Public("net1", "203.0.113.0/24", 100, "203.0.113.1", kind), Actor.Admin);
            Assert.True(added.Succeeded, added.Error?.ToString());
        }

        using var reopened = FabricRegistry.Open(_dir.Database);
        Assert.Equal(expected, reopened.FindNetwork("net1")!.Kind);
    }

    [Fact]
    public async Task AddNetwork_UnknownKind_InvalidNamingKindAndNothingStored()
    {
        using var registry = FabricRegistry.Open(_dir.Database);

        var result = await registry.AddNetworkAsync(Public("net1", "203.0.113.0/24", 100, "203.0.113.1", "dmz"), Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        var error = Assert.Single(result.Error.Errors);
        Assert.Equal("kind", error.Field);
        Assert.Contains("boot, private, public", error.Reason, StringComparison.Ordinal);
        Assert.Empty(registry.ListNetworks());
    }

    [Fact]
    public async Task AddNetwork_PublicWithoutVlanOrGateway_NamesBoth()
    {
        using var registry = FabricRegistry.Open(_dir.Database);

        var result = await registry.AddNetworkAsync(Public("net1", "203.0.113.0/24", null, null), Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.Equal(["gateway", "vlan"], result.Error.Errors.Select(e => e.Field).Order(StringComparer.Ordinal));
        Assert.Empty(registry.ListNetworks());
    }

    [Fact]
    public async Task AddNetwork_SecondRoutedNetworkOnTheSameVlan_ConflictNamingVlan()
    {
        using var registry = FabricRegistry.Open(_dir.Database);
        Assert.True((await registry.AddNetworkAsync(Public("pub1", "203.0.113.0/24", 100, "203.0.113.1"), Actor.Admin)).Succeeded);

        var result = await registry.AddNetworkAsync(Public("priv1", "10.20.0.0/24", 100, "10.20.0.1", "private"), Actor.Admin);

        Assert.Equal(RegistryErrorKind.Conflict, result.Error!.Kind);
        Assert.Equal("vlan", Assert.Single(result.Error.Errors).Field);
        Assert.Single(registry.ListNetworks());
    }

    [Fact]
    public void Open_VersionNineDatabaseWithANetwork_NetworkBecomesBoot()
    {
        using (var connection = SqliteRegistryStore.OpenConnection($"Data Source={_dir.Database}"))
        {
            Assert.Equal(9, Migrator.Apply(connection, targetVersion: 9));
            connection.Execute("INSERT INTO networks (name, cidr, gateway, dns, vlan, lease_seconds, serve_unknown, created_at) VALUES ('vms', '10.9.0.0/24', '10.9.0.1', '', 100, 3600, 0, 1000)");
        }

        using var registry = FabricRegistry.Open(_dir.Database);

        var network = registry.FindNetwork("vms")!;
        Assert.Equal(NetworkKind.Boot, network.Kind);
        Assert.Equal(100, network.Vlan);
    }
}
