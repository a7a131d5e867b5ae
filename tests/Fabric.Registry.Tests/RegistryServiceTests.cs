using System.Globalization;
using Dapper;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Registry.Settings;
using Fabric.Registry.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Registry.Tests;

/// <summary>The registry's rules: state changes through the lifecycle table, bounded events and discovery, the sweep of
/// stale discovered nodes, and a store that cannot be written.</summary>
public sealed class RegistryServiceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-06-01T00:00:00Z", CultureInfo.InvariantCulture));

    public void Dispose() => _dir.Dispose();

    private IRegistry Open(DiscoveryOptions? discovery = null, EventOptions? events = null) =>
        FabricRegistry.Open(_dir.Database, _time, discovery, events);

    private static NodeInput Node(string name, string mac) => new() { Name = name, Macs = [mac], MacField = "mac", Role = "hardware" };

    private static MacAddress Mac(int n) => MacAddress.FromBytes([0x52, 0x54, 0x00, 0x0d, (byte)(n >> 8), (byte)n]);

    [Theory]
    [InlineData("booting")]
    [InlineData("up")]
    [InlineData("failed")]
    [InlineData("discovered")]
    [InlineData("provisioning")]
    public async Task UpdateNode_StateOnlyBootEventsOrJobsSet_InvalidNamingStateAndNothingChanged(string state)
    {
        using var registry = Open();
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01") with { Root = "aoe:e0.1" }, Actor.Admin);

        var result = await registry.UpdateNodeAsync("h1", new NodeInput { State = state, Root = "aoe:e0.2" }, Actor.Admin);

        Assert.Equal(RegistryErrorKind.Validation, result.Error!.Kind);
        Assert.Contains("set only by", Assert.Single(result.Error.Errors, e => e.Field == "state").Reason, StringComparison.Ordinal);
        var node = registry.FindNode("h1")!;
        Assert.Equal((NodeState.Registered, "aoe:e0.1"), (node.State, node.Hardware!.Root!.ToString()));
        Assert.Single((await registry.ListEventsAsync("h1")).Value!);
    }

    [Fact]
    public async Task UpdateNode_RetireThenRegisterAgain_OperatorTransitionsKept()
    {
        using var registry = Open();
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);
        await registry.ApplyAsync("h1", NodeTrigger.ReportedFailed, EventKind.BootFailed, "no root", Actor.Node("h1"));

        var retired = await registry.UpdateNodeAsync("h1", new NodeInput { State = "retired" }, Actor.Token("ops"));
        var again = await registry.UpdateNodeAsync("h1", new NodeInput { State = "registered" }, Actor.Admin);

        Assert.Equal(NodeState.Retired, retired.Value!.State);
        Assert.Equal(NodeState.Registered, again.Value!.State);
        var events = (await registry.ListEventsAsync("h1")).Value!;
        Assert.Equal("token:ops", events[^2].Actor);
        Assert.Contains("state: failed -> retired", events[^2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateNode_RegisterDiscoveredWithoutRoleOrRoot_InvalidNamingState()
    {
        using var registry = Open();
        var discovered = (await registry.DiscoverAsync(Mac(1), null)).Node;

        var result = await registry.UpdateNodeAsync(discovered.Name, new NodeInput { State = "registered" }, Actor.Admin);

        Assert.Contains("adopted by giving it a role or a root", Assert.Single(result.Error!.Errors).Reason, StringComparison.Ordinal);
        Assert.Equal(NodeState.Discovered, registry.FindNode(discovered.Name)!.State);
    }

    [Fact]
    public async Task Apply_RetiredNodeFetchesScript_ConflictNamingStateAndNoEvent()
    {
        using var registry = Open();
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);
        await registry.UpdateNodeAsync("h1", new NodeInput { State = "retired" }, Actor.Admin);

        var result = await registry.ApplyAsync("h1", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);

        Assert.Equal((RegistryErrorKind.Conflict, "state"), (result.Error!.Kind, result.Error.Errors.Single().Field));
        Assert.Equal(2, (await registry.ListEventsAsync("h1")).Value!.Count);
    }

    [Fact]
    public async Task Apply_BootingNodeFetchesAgain_StaysBootingWithItsFirstTime()
    {
        using var registry = Open();
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);
        await registry.ApplyAsync("h1", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);
        var first = registry.StateChangedAt("h1");
        _time.Advance(TimeSpan.FromMinutes(2));

        var again = await registry.ApplyAsync("h1", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);

        Assert.Equal(NodeState.Booting, again.Value!.State);
        Assert.Equal(first, registry.StateChangedAt("h1"));
    }

    [Fact]
    public async Task Apply_JobProvisions_RegisteredProvisioningAndBackWhileBootsDoNotTouchIt()
    {
        using var registry = Open();
        await registry.AddNodeAsync(Node("s1", "52:54:00:00:00:01") with { Role = "storage" }, Actor.Admin);

        await registry.ApplyAsync("s1", NodeTrigger.ProvisioningStarted, EventKind.ProvisioningStarted, "volumes", Actor.Job("7"));
        var booted = await registry.ApplyAsync("s1", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot);
        var operatorUp = await registry.UpdateNodeAsync("s1", new NodeInput { State = "retired" }, Actor.Admin);
        var done = await registry.ApplyAsync("s1", NodeTrigger.ProvisioningFinished, EventKind.ProvisioningFinished, "done", Actor.Job("7"));

        Assert.Equal(NodeState.Provisioning, booted.Value!.State);
        Assert.Equal("state", Assert.Single(operatorUp.Error!.Errors).Field);
        Assert.Equal(NodeState.Registered, done.Value!.State);
    }

    [Fact]
    public async Task Record_BootLoopPastMaxPerNode_KeepsOnlyTheNewest()
    {
        using var registry = Open(events: new EventOptions { MaxPerNode = 10 });
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);
        await registry.AddNodeAsync(Node("h2", "52:54:00:00:00:02"), Actor.Admin);

        for (int i = 0; i < 50; i++)
        {
            await registry.RecordAsync("h1", EventKind.BootScript, $"served {i}", Actor.Boot);
        }

        var events = (await registry.ListEventsAsync("h1")).Value!;
        Assert.Equal(Enumerable.Range(40, 10).Select(i => $"served {i}"), events.Select(e => e.Message));
        Assert.Single((await registry.ListEventsAsync("h2")).Value!);
        using var connection = SqliteRegistryStore.OpenConnection($"Data Source={_dir.Database}");
        Assert.Equal(10, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM node_events WHERE node = 'h1'"));
    }

    [Fact]
    public async Task Discover_PastMaxNodes_RefusedWithTheNodeItWouldBeAndNothingWritten()
    {
        using var registry = Open(discovery: new DiscoveryOptions { MaxNodes = 3 });
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);

        var outcomes = new List<DiscoveryResult>();
        for (int i = 0; i < 5; i++)
        {
            outcomes.Add(await registry.DiscoverAsync(Mac(i), null));
        }

        Assert.Equal(
            [DiscoveryOutcome.Registered, DiscoveryOutcome.Registered, DiscoveryOutcome.Registered, DiscoveryOutcome.Refused, DiscoveryOutcome.Refused],
            outcomes.Select(o => o.Outcome));
        Assert.Equal("node-5254000d0003", outcomes[3].Node.Name);
        Assert.Equal(4, registry.ListNodes().Count);
        Assert.Null(registry.FindNode("node-5254000d0003"));
        Assert.Equal(DiscoveryOutcome.Known, (await registry.DiscoverAsync(Mac(0), null)).Outcome);
    }

    [Fact]
    public async Task Discover_AfterOneIsAdopted_RoomForAnother()
    {
        using var registry = Open(discovery: new DiscoveryOptions { MaxNodes = 1 });
        var first = await registry.DiscoverAsync(Mac(1), null);
        Assert.Equal(DiscoveryOutcome.Refused, (await registry.DiscoverAsync(Mac(2), null)).Outcome);

        await registry.UpdateNodeAsync(first.Node.Name, new NodeInput { Role = "hardware", Root = "aoe:e0.1" }, Actor.Admin);

        Assert.Equal(DiscoveryOutcome.Registered, (await registry.DiscoverAsync(Mac(2), null)).Outcome);
    }

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:00:5e:00:00:01")]
    [InlineData("00:00:00:00:00:00")]
    public async Task Discover_NotAUnicastMac_RefusedAsABug(string mac)
    {
        using var registry = Open();

        await Assert.ThrowsAsync<ArgumentException>(() => registry.DiscoverAsync(MacAddress.Parse(mac), null));
        Assert.Empty(registry.ListNodes());
    }

    [Fact]
    public async Task RemoveStaleDiscovered_PastRetention_RemovesThemWithTheirEventsOnly()
    {
        using var registry = Open();
        var old = (await registry.DiscoverAsync(Mac(1), null)).Node;
        var adopted = (await registry.DiscoverAsync(Mac(2), null)).Node;
        await registry.UpdateNodeAsync(adopted.Name, new NodeInput { Root = "aoe:e0.1" }, Actor.Admin);
        _time.Advance(TimeSpan.FromHours(20));
        var young = (await registry.DiscoverAsync(Mac(3), null)).Node;
        _time.Advance(TimeSpan.FromHours(4));

        var removed = await registry.RemoveStaleDiscoveredAsync(TimeSpan.FromHours(24));

        Assert.Equal(old.Name, Assert.Single(removed).Name);
        Assert.Null(registry.FindNode(old.Name));
        Assert.Equal(RegistryErrorKind.NotFound, (await registry.ListEventsAsync(old.Name)).Error!.Kind);
        Assert.Equal(NodeState.Registered, registry.FindNode(adopted.Name)!.State);
        Assert.Equal(NodeState.Discovered, registry.FindNode(young.Name)!.State);
        Assert.Equal(DiscoveryOutcome.Registered, (await registry.DiscoverAsync(Mac(1), null)).Outcome);
    }

    [Fact]
    public async Task Write_StoreCannotCommit_WholeGroupFailsNothingPublishedThenRecovers()
    {
        var store = new CommitFailingStore(SqliteRegistryStore.Open(_dir.Database));
        using var registry = FabricRegistry.Open(store, _time);
        await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);

        store.Fail = true;
        var writes = new[]
        {
            registry.AddNodeAsync(Node("h2", "52:54:00:00:00:02"), Actor.Admin),
            registry.ApplyAsync("h1", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot),
        };
        foreach (var write in writes)
        {
            await Assert.ThrowsAsync<RegistryStoreException>(() => write);
        }

        Assert.Null(registry.FindNode("h2"));
        Assert.Equal(NodeState.Registered, registry.FindNode("h1")!.State);
        Assert.False((await registry.CheckWritableAsync()).Writable);

        store.Fail = false;
        Assert.True((await registry.AddNodeAsync(Node("h2", "52:54:00:00:00:02"), Actor.Admin)).Succeeded);
        Assert.True((await registry.CheckWritableAsync()).Writable);
        using var check = SqliteRegistryStore.Open(_dir.Database);
        Assert.Equal(["h1", "h2"], check.Load().Nodes.Select(n => n.Node.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>A real store whose commits fail on demand, as on a full disk.</summary>
    private sealed class CommitFailingStore(IRegistryStore inner) : IRegistryStore
    {
        public volatile bool Fail;

        public StoredRegistry Load() => inner.Load();

        public IRegistryBatch BeginBatch() => new Batch(inner.BeginBatch(), this);

        public Task<IReadOnlyList<NodeEvent>> ListEventsAsync(string node, int limit, CancellationToken cancellationToken = default) =>
            inner.ListEventsAsync(node, limit, cancellationToken);

        public void Dispose() => inner.Dispose();

        private sealed class Batch(IRegistryBatch inner, CommitFailingStore store) : IRegistryBatch
        {
            public void BeginOperation() => inner.BeginOperation();

            public void EndOperation() => inner.EndOperation();

            public void UndoOperation() => inner.UndoOperation();

            public long InsertNode(Node node, DateTimeOffset stateChangedAt) => inner.InsertNode(node, stateChangedAt);

            public void ReplaceNode(long id, Node node, DateTimeOffset stateChangedAt) => inner.ReplaceNode(id, node, stateChangedAt);

            public void SetState(long id, NodeState state, DateTimeOffset at) => inner.SetState(id, state, at);

            public void DeleteNode(long id) => inner.DeleteNode(id);

            public void InsertEvent(EventRecord entry) => inner.InsertEvent(entry);

            public void TrimEvents(string node, int keep) => inner.TrimEvents(node, keep);

            public void DeleteEvents(string node) => inner.DeleteEvents(node);

            public void InsertNetwork(Network network, DateTimeOffset createdAt) => inner.InsertNetwork(network, createdAt);

            public void DeleteNetwork(string name) => inner.DeleteNetwork(name);

            public void ProbeWrite()
            {
                if (store.Fail)
                {
                    throw new RegistryStoreException("disk I/O error");
                }

                inner.ProbeWrite();
            }

            public void Commit()
            {
                if (store.Fail)
                {
                    throw new RegistryStoreException("disk I/O error");
                }

                inner.Commit();
            }

            public void Dispose() => inner.Dispose();
        }
    }

    [Fact]
    public async Task CheckWritable_ReadOnlyDatabase_NotWritableWhileReadsStillServed()
    {
        using (var registry = Open())
        {
            await registry.AddNodeAsync(Node("h1", "52:54:00:00:00:01"), Actor.Admin);
            Assert.True((await registry.CheckWritableAsync()).Writable);
        }

        using var readOnly = FabricRegistry.Open(SqliteRegistryStore.Open(_dir.Database, readOnly: true), _time);

        var health = await readOnly.CheckWritableAsync();
        Assert.False(health.Writable);
        Assert.Contains("readonly", health.Problem, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAsync<RegistryStoreException>(() => readOnly.ApplyAsync("h1", NodeTrigger.BootScriptFetched, EventKind.BootScript, "served", Actor.Boot));
        Assert.Equal(NodeState.Registered, readOnly.FindNode("h1")!.State);
        Assert.NotNull(await readOnly.FindNodeByMacAsync(MacAddress.Parse("52:54:00:00:00:01")));
    }
}
