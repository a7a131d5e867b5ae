using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry.Changes;

namespace Fabric.Registry.Tests.Changes;

public sealed class RegistryChangesTests
{
    [Fact]
    public async Task Subscribe_AddUpdateRemove_EachWriteNamesTheNodeBeforeAndAfter()
    {
        using var dir = new TempDir();
        using var registry = FabricRegistry.Open(dir.Database);
        Assert.True((await registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Actor.Admin)).Succeeded);
        var seen = new List<NodeChange>();
        using var subscription = registry.Subscribe(changes =>
        {
            lock (seen)
            {
                seen.AddRange(changes);
            }
        });

        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = "web1", Role = "instance", Macs = ["0e:00:00:00:00:01"], Network = "pub1", Ip = "203.0.113.10" }, Actor.Admin)).Succeeded);
        Assert.True((await registry.UpdateNodeAsync("web1", new NodeInput { Ip = "203.0.113.11" }, Actor.Admin)).Succeeded);
        Assert.True((await registry.RemoveNodeAsync("web1", Actor.Admin)).Succeeded);

        Assert.Equal(3, seen.Count);
        Assert.Equal((null, "203.0.113.10"), (seen[0].Before, seen[0].After?.Ip?.ToString()));
        Assert.Equal(("203.0.113.10", "203.0.113.11"), (seen[1].Before?.Ip?.ToString(), seen[1].After?.Ip?.ToString()));
        Assert.Equal(("203.0.113.11", null), (seen[2].Before?.Ip?.ToString(), seen[2].After));
        Assert.All(seen, c => Assert.Equal("web1", c.Name));
    }

    [Fact]
    public async Task Subscribe_ObserverThrowsAndDisposed_WritesGoOnAndNothingMoreIsHeard()
    {
        using var dir = new TempDir();
        using var registry = FabricRegistry.Open(dir.Database);
        int heard = 0;
        var subscription = registry.Subscribe(_ =>
        {
            Interlocked.Increment(ref heard);
            throw new InvalidOperationException("the observer's own failure");
        });

        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:00:01"] }, Actor.Admin)).Succeeded);
        subscription.Dispose();
        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = "h2", Role = "hardware", Macs = ["52:54:00:00:00:02"] }, Actor.Admin)).Succeeded);

        Assert.Equal(1, heard);
        Assert.NotNull(registry.FindNode("h2"));
        Assert.Equal(NodeRole.Hardware, registry.FindNode("h1")!.Role);
    }

    [Fact]
    public async Task Subscribe_EventOnlyWriteAndRefusedWriteInOneGroup_PublishOnlyTheNodesThatChanged()
    {
        using var dir = new TempDir();
        using var registry = FabricRegistry.Open(dir.Database);
        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = "h1", Role = "hardware", Macs = ["52:54:00:00:00:01"] }, Actor.Admin)).Succeeded);
        var seen = new List<NodeChange>();
        using var subscription = registry.Subscribe(changes =>
        {
            lock (seen)
            {
                seen.AddRange(changes);
            }
        });

        // Queued together, so the writer may take them as one group: an event only, a node added, the same MAC again
        // (refused), and a second node added.
        var writes = new Task[]
        {
            registry.RecordAsync("h1", EventKind.BootScript, "served", Actor.Boot),
            registry.AddNodeAsync(new NodeInput { Name = "h2", Role = "hardware", Macs = ["52:54:00:00:00:02"] }, Actor.Admin),
            registry.AddNodeAsync(new NodeInput { Name = "h3", Role = "hardware", Macs = ["52:54:00:00:00:02"] }, Actor.Admin),
            registry.AddNodeAsync(new NodeInput { Name = "h4", Role = "hardware", Macs = ["52:54:00:00:00:04"] }, Actor.Admin),
        };
        await Task.WhenAll(writes);
        Assert.True((await registry.RecordAsync("h2", EventKind.BootScript, "served", Actor.Boot)).Succeeded);

        lock (seen)
        {
            Assert.Equal(["h2", "h4"], seen.Select(c => c.Name).Order(StringComparer.Ordinal));
            Assert.All(seen, c => Assert.Null(c.Before));
        }
    }
}
