using System.Globalization;
using System.Net;
using Fabric.Core;
using Fabric.Core.Events;

namespace Fabric.Registry.Tests;

/// <summary>What every <see cref="IRegistryStore"/> must do, whatever its database. A store's test class derives
/// from this and says how to open its store; <see cref="OpenStore"/> opens the same store again each time it is
/// called within one test, so durability is checked by disposing and reopening.</summary>
public abstract class RegistryStoreContract
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-05-01T08:00:00Z", CultureInfo.InvariantCulture);

    protected abstract IRegistryStore OpenStore();

    private static Network Boot() => new(
        "boot", IPNetwork.Parse("10.0.0.0/24"), IPAddress.Parse("10.0.0.1"), [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")],
        IPAddress.Parse("10.0.0.100"), IPAddress.Parse("10.0.0.200"), 42, TimeSpan.FromMinutes(30), true);

    private static Node Hardware(string name, string mac, string? ip = null) => new()
    {
        Name = name,
        Role = NodeRole.Hardware,
        Macs = [MacAddress.Parse(mac)],
        Ip = ip is null ? null : IPAddress.Parse(ip),
        Network = ip is null ? null : "boot",
        Hardware = new HardwareSpec(8, 4096, RootSpec.AoeMd(new AoeTarget(0, 1), new AoeTarget(1, 1))),
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    /// <summary>Every field of a node as text, so two nodes compare by value.</summary>
    private static string Text(Node n) => string.Join(" | ",
        n.Name, n.Role, string.Join(",", n.Macs), n.Ip, n.Network, n.State,
        string.Join(",", n.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")),
        n.Hardware is { } h ? $"hw {h.CpuCores} {h.MemoryMiB} {h.Root}" : "-",
        n.Storage is { } s ? $"st {s.Pair} {s.AoeShelf} {string.Join(",", s.Volumes)} {string.Join(",", s.NfsExports)}" : "-",
        n.Instance is { } i ? $"in {i.VCpus} {i.MemoryMiB} {i.DiskVolume} {i.Network} {i.Hypervisor}" : "-",
        n.CreatedAt.ToUnixTimeMilliseconds(), n.UpdatedAt.ToUnixTimeMilliseconds());

    private static string Text(Network n) =>
        $"{n.Name} {n.Cidr} {n.Gateway} {string.Join(",", n.Dns)} {n.PoolStart} {n.PoolEnd} {n.Vlan} {n.LeaseTime} {n.ServeUnknown}";

    private static T InBatch<T>(IRegistryStore store, Func<IRegistryBatch, T> action)
    {
        using var batch = store.BeginBatch();
        batch.BeginOperation();
        var result = action(batch);
        batch.EndOperation();
        batch.Commit();
        return result;
    }

    private static void InBatch(IRegistryStore store, Action<IRegistryBatch> action) => InBatch(store, b =>
    {
        action(b);
        return 0;
    });

    [Fact]
    public void Load_NewStore_Empty()
    {
        using var store = OpenStore();

        var loaded = store.Load();

        Assert.Empty(loaded.Nodes);
        Assert.Empty(loaded.Networks);
    }

    [Fact]
    public void InsertNode_EveryRoleAndField_ReadBackEqualAfterReopening()
    {
        var nodes = new[]
        {
            Hardware("h1", "52:54:00:00:00:01", "10.0.0.10") with { Labels = new Dictionary<string, string> { ["rack"] = "r1", ["row"] = "2" } },
            new Node
            {
                Name = "s1", Role = NodeRole.Storage, Macs = [MacAddress.Parse("52:54:00:00:01:01"), MacAddress.Parse("52:54:00:00:01:02")],
                Storage = new StorageSpec("pair-a", 3, [new StorageVolume("root-h1", 1, 1L << 30, "/srv/aoe/root-h1.img")], ["/srv/nfs/a", "/srv/nfs/b"], "/srv/pool/volumes", "eth1", "/srv/pool/images"),
                CreatedAt = T0, UpdatedAt = T0,
            },
            new Node
            {
                Name = "vm1", Role = NodeRole.Instance, Macs = [MacAddress.Parse("52:54:00:00:02:01")], Ip = IPAddress.Parse("10.0.0.20"), Network = "boot",
                Instance = new InstanceSpec(2, 1024, "vm1-disk", "boot", "h1"), CreatedAt = T0, UpdatedAt = T0,
            },
            new Node { Name = "r1", Role = NodeRole.Router, Macs = [MacAddress.Parse("52:54:00:00:03:01")], State = NodeState.Retired, CreatedAt = T0, UpdatedAt = T0 },
        };
        using (var store = OpenStore())
        {
            InBatch(store, b => b.InsertNetwork(Boot(), T0));
            InBatch(store, b =>
            {
                foreach (var node in nodes)
                {
                    b.InsertNode(node, T0.AddMinutes(1));
                }
            });
        }

        using var reopened = OpenStore();
        var loaded = reopened.Load();

        Assert.Equal(Text(Boot()), Text(Assert.Single(loaded.Networks)));
        Assert.Equal(nodes.Select(Text).Order(StringComparer.Ordinal), loaded.Nodes.Select(n => Text(n.Node)).Order(StringComparer.Ordinal));
        Assert.All(loaded.Nodes, n => Assert.Equal(T0.AddMinutes(1), n.StateChangedAt));
        Assert.Equal(4, loaded.Nodes.Select(n => n.Id).Distinct().Count());
    }

    [Theory]
    [InlineData("name")]
    [InlineData("mac")]
    [InlineData("ip")]
    public void InsertNode_TakenValue_ConflictNamingTheField(string field)
    {
        using var store = OpenStore();
        InBatch(store, b => b.InsertNetwork(Boot(), T0));
        InBatch(store, b => b.InsertNode(Hardware("h1", "52:54:00:00:00:01", "10.0.0.10"), T0));
        var second = field switch
        {
            "name" => Hardware("h1", "52:54:00:00:00:02", "10.0.0.11"),
            "mac" => Hardware("h2", "52:54:00:00:00:01", "10.0.0.11"),
            _ => Hardware("h2", "52:54:00:00:00:02", "10.0.0.10"),
        };

        using var batch = store.BeginBatch();
        batch.BeginOperation();
        var e = Assert.Throws<RegistryConflictException>(() => batch.InsertNode(second, T0));

        Assert.Equal(field, e.Error.Field);
    }

    [Fact]
    public void InsertNetwork_TakenName_ConflictNamingName()
    {
        using var store = OpenStore();
        InBatch(store, b => b.InsertNetwork(Boot(), T0));

        using var batch = store.BeginBatch();
        batch.BeginOperation();

        Assert.Equal("name", Assert.Throws<RegistryConflictException>(() => batch.InsertNetwork(Boot(), T0)).Error.Field);
    }

    [Fact]
    public void DeleteNetwork_StillHoldingANodesAddress_ConflictNamingNetwork()
    {
        using var store = OpenStore();
        InBatch(store, b => b.InsertNetwork(Boot(), T0));
        InBatch(store, b => b.InsertNode(Hardware("h1", "52:54:00:00:00:01", "10.0.0.10"), T0));

        using var batch = store.BeginBatch();
        batch.BeginOperation();

        Assert.Equal("network", Assert.Throws<RegistryConflictException>(() => batch.DeleteNetwork("boot")).Error.Field);
    }

    [Fact]
    public void UndoOperation_OneOfThree_OnlyThatOneIsLost()
    {
        using (var store = OpenStore())
        {
            using var batch = store.BeginBatch();
            batch.BeginOperation();
            batch.InsertNode(Hardware("a", "52:54:00:00:00:01"), T0);
            batch.EndOperation();
            batch.BeginOperation();
            batch.InsertNode(Hardware("b", "52:54:00:00:00:02"), T0);
            batch.UndoOperation();
            batch.BeginOperation();
            batch.InsertNode(Hardware("c", "52:54:00:00:00:03"), T0);
            batch.EndOperation();
            batch.Commit();
        }

        using var reopened = OpenStore();
        Assert.Equal(["a", "c"], reopened.Load().Nodes.Select(n => n.Node.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Batch_DisposedWithoutCommit_KeepsNothing()
    {
        using (var store = OpenStore())
        {
            using var batch = store.BeginBatch();
            batch.BeginOperation();
            batch.InsertNode(Hardware("a", "52:54:00:00:00:01"), T0);
            batch.EndOperation();
        }

        using var reopened = OpenStore();
        Assert.Empty(reopened.Load().Nodes);
    }

    [Fact]
    public void SetState_Stored_StateAndTimesReadBack()
    {
        using (var store = OpenStore())
        {
            long id = InBatch(store, b => b.InsertNode(Hardware("a", "52:54:00:00:00:01"), T0));
            InBatch(store, b => b.SetState(id, NodeState.Booting, T0.AddSeconds(90)));
        }

        using var reopened = OpenStore();
        var node = Assert.Single(reopened.Load().Nodes);
        Assert.Equal((NodeState.Booting, T0.AddSeconds(90), T0.AddSeconds(90)), (node.Node.State, node.Node.UpdatedAt, node.StateChangedAt));
    }

    [Fact]
    public void ReplaceNode_NewMacsAddressLabelsAndRole_OldOnesFreed()
    {
        using var store = OpenStore();
        InBatch(store, b => b.InsertNetwork(Boot(), T0));
        long id = InBatch(store, b => b.InsertNode(Hardware("a", "52:54:00:00:00:01", "10.0.0.10") with { Labels = new Dictionary<string, string> { ["x"] = "1" } }, T0));
        var replaced = new Node
        {
            Name = "a",
            Role = NodeRole.Storage,
            Macs = [MacAddress.Parse("52:54:00:00:00:09")],
            Ip = IPAddress.Parse("10.0.0.11"),
            Network = "boot",
            Storage = new StorageSpec(null, 2, [], []),
            CreatedAt = T0,
            UpdatedAt = T0.AddHours(1),
        };

        InBatch(store, b => b.ReplaceNode(id, replaced, T0.AddHours(1)));
        InBatch(store, b => b.InsertNode(Hardware("b", "52:54:00:00:00:01", "10.0.0.10"), T0));

        var loaded = store.Load().Nodes.ToDictionary(n => n.Node.Name);
        Assert.Equal(Text(replaced), Text(loaded["a"].Node));
        Assert.Equal(id, loaded["a"].Id);
        Assert.Equal("52:54:00:00:00:01", loaded["b"].Node.Macs.Single().ToString());
    }

    [Fact]
    public void DeleteNode_MacAndAddressFreeAgain()
    {
        using var store = OpenStore();
        InBatch(store, b => b.InsertNetwork(Boot(), T0));
        long id = InBatch(store, b => b.InsertNode(Hardware("a", "52:54:00:00:00:01", "10.0.0.10"), T0));

        InBatch(store, b => b.DeleteNode(id));
        InBatch(store, b => b.InsertNode(Hardware("b", "52:54:00:00:00:01", "10.0.0.10"), T0));

        Assert.Equal("b", Assert.Single(store.Load().Nodes).Node.Name);
    }

    [Fact]
    public async Task Events_InsertedListedTrimmedAndDeleted_PerNodeNewestFirstKept()
    {
        using var store = OpenStore();
        InBatch(store, b =>
        {
            for (int i = 0; i < 30; i++)
            {
                b.InsertEvent(new EventRecord("a", T0.AddSeconds(i), EventKind.BootScript, $"a{i}", Actor.Boot));
                b.InsertEvent(new EventRecord("b", T0.AddSeconds(i), EventKind.BootUp, $"b{i}", Actor.Node("b")));
            }
        });

        var newest = await store.ListEventsAsync("a", 5);
        Assert.Equal(["a25", "a26", "a27", "a28", "a29"], newest.Select(e => e.Message));
        Assert.All(newest, e => Assert.Equal((EventKind.BootScript, "boot", "a"), (e.Kind, e.Actor, e.Node)));
        Assert.Equal(T0.AddSeconds(29), newest[^1].At);

        InBatch(store, b => b.TrimEvents("a", 10));
        var kept = await store.ListEventsAsync("a", 100);
        Assert.Equal(Enumerable.Range(20, 10).Select(i => $"a{i}"), kept.Select(e => e.Message));
        Assert.Equal(30, (await store.ListEventsAsync("b", 100)).Count);

        InBatch(store, b => b.DeleteEvents("b"));
        Assert.Empty(await store.ListEventsAsync("b", 100));
        Assert.Equal(10, (await store.ListEventsAsync("a", 100)).Count);
    }

    [Fact]
    public void ProbeWrite_WritableStore_SucceedsAndChangesNothing()
    {
        using var store = OpenStore();
        InBatch(store, b => b.InsertNode(Hardware("a", "52:54:00:00:00:01"), T0));

        InBatch(store, b => b.ProbeWrite());

        Assert.Equal("a", Assert.Single(store.Load().Nodes).Node.Name);
    }
}
