using Fabric.Core;
using Fabric.Core.Events;

namespace Fabric.Registry.Tests.Roles;

/// <summary>The router role's fields: its trunk and uplink interfaces, with their defaults and their checks.</summary>
public sealed class RouterRoleTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static NodeInput Router(string? trunk = null, string? uplink = null) => new()
    {
        Name = "router1",
        Macs = ["52:54:00:00:09:01"],
        Role = "router",
        TrunkInterface = trunk,
        UplinkInterface = uplink,
        SshAddress = "192.0.2.1",
    };

    [Fact]
    public async Task AddNode_RouterWithoutInterfaces_DefaultsEth1AndEth2()
    {
        using var registry = FabricRegistry.Open(_dir.Database);

        var added = await registry.AddNodeAsync(Router(), Actor.Admin);

        Assert.True(added.Succeeded, added.Error?.ToString());
        Assert.Equal(new RouterSpec(null, null), added.Value!.Router);
        Assert.Equal("eth1", added.Value.Router!.EffectiveTrunkInterface);
        Assert.Equal("eth2", added.Value.Router.EffectiveUplinkInterface);
    }

    [Fact]
    public async Task AddNode_RouterInterfaces_KeptAcrossReopen()
    {
        using (var registry = FabricRegistry.Open(_dir.Database))
        {
            var added = await registry.AddNodeAsync(Router("ens4", "ens5"), Actor.Admin);
            Assert.True(added.Succeeded, added.Error?.ToString());
        }

        using var reopened = FabricRegistry.Open(_dir.Database);
        var router = reopened.FindNode("router1")!;
        Assert.Equal(new RouterSpec("ens4", "ens5"), router.Router);
        Assert.Equal("192.0.2.1", router.Ssh.Address);
    }

    [Theory]
    [InlineData("eth1.100", null, "trunkInterface")]
    [InlineData("averyverylongname", null, "trunkInterface")]
    [InlineData("eth 1", null, "trunkInterface")]
    [InlineData(null, "a/b", "uplinkInterface")]
    [InlineData(null, "eth1", "uplinkInterface")]
    [InlineData("ens4", "ens4", "uplinkInterface")]
    public async Task AddNode_BadRouterInterface_InvalidNamingTheFieldAndNothingStored(string? trunk, string? uplink, string field)
    {
        using var registry = FabricRegistry.Open(_dir.Database);

        var result = await registry.AddNodeAsync(Router(trunk, uplink), Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.Equal(field, Assert.Single(result.Error.Errors).Field);
        Assert.Null(registry.FindNode("router1"));
    }

    [Fact]
    public async Task UpdateNode_ClearTrunk_BackToTheDefault()
    {
        using var registry = FabricRegistry.Open(_dir.Database);
        await registry.AddNodeAsync(Router("ens4", "ens5"), Actor.Admin);

        var changed = await registry.UpdateNodeAsync("router1", new NodeInput { Clear = ["trunkInterface"] }, Actor.Admin);

        Assert.True(changed.Succeeded, changed.Error?.ToString());
        Assert.Equal(new RouterSpec(null, "ens5"), changed.Value!.Router);
    }
}
