using Fabric.Registry.RouterRules;

namespace Fabric.Registry.Tests.RouterRules;

public sealed class RouterRuleStoreTests
{
    [Fact]
    public async Task Add_ThenReopen_KeptWithAnyProtocolAndPortAsNull()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        using (var store = RouterRuleStores.Open(dir.Database))
        {
            await store.AddAsync("pub1", "priv1", "tcp", 443, at);
            await store.AddAsync("priv1", "pub1", null, null, at);
        }

        using var reopened = RouterRuleStores.Open(dir.Database);

        Assert.Equal(
            [new RouterRule(1, "pub1", "priv1", "tcp", 443, at), new RouterRule(2, "priv1", "pub1", null, null, at)],
            reopened.List());
        Assert.Equal("#1 pub1 -> priv1 tcp/443", reopened.List()[0].ToString());
        Assert.Equal("#2 priv1 -> pub1 any", reopened.List()[1].ToString());
    }

    [Fact]
    public async Task Add_SameTrafficAgain_ReturnsTheRuleThereAndAddsNothing()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        using var store = RouterRuleStores.Open(dir.Database);

        var first = await store.AddAsync("pub1", "priv1", null, null, DateTimeOffset.UnixEpoch);
        var again = await store.AddAsync("PUB1", "priv1", null, null, DateTimeOffset.UnixEpoch);

        Assert.True(first.Added);
        Assert.False(again.Added);
        Assert.Equal(first.Rule, again.Rule);
        Assert.Single(store.List());
    }

    [Fact]
    public async Task Remove_ThenReopen_GoneAndAnUnknownIdIsNull()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        using (var store = RouterRuleStores.Open(dir.Database))
        {
            var (rule, _) = await store.AddAsync("pub1", "priv1", "udp", 53, DateTimeOffset.UnixEpoch);
            Assert.Equal(rule, await store.RemoveAsync(rule.Id));
            Assert.Null(await store.RemoveAsync(rule.Id));
        }

        using var reopened = RouterRuleStores.Open(dir.Database);
        Assert.Empty(reopened.List());
    }
}
