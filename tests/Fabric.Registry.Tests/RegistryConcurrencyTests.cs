using Fabric.Core.Events;
using Fabric.Registry.Sqlite;

namespace Fabric.Registry.Tests;

public sealed class RegistryConcurrencyTests
{
    private static NodeInput Node(string name, string mac, string? ip = null) =>
        new() { Name = name, Macs = [mac], MacField = "mac", Role = "hardware", Ip = ip };

    private static async Task<IRegistry> OpenWithNetworkAsync(string path)
    {
        var registry = FabricRegistry.Open(path);
        await registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = "10.0.0.0/16" }, Actor.Admin);
        return registry;
    }

    [Fact]
    public async Task AddNode_SameMacInParallel_OneSuccessOneConflict()
    {
        using var dir = new TempDir();
        using var registry = await OpenWithNetworkAsync(dir.Database);

        for (int round = 0; round < 20; round++)
        {
            var mac = $"52:54:00:00:01:{round:x2}";
            using var start = new ManualResetEventSlim();
            var a = Task.Run(() => { start.Wait(); return registry.AddNodeAsync(Node($"a{round}", mac), Actor.Admin); });
            var b = Task.Run(() => { start.Wait(); return registry.AddNodeAsync(Node($"b{round}", mac), Actor.Admin); });
            start.Set();
            var results = await Task.WhenAll(a, b);

            Assert.Single(results, r => r.Succeeded);
            var failure = Assert.Single(results, r => !r.Succeeded);
            Assert.Equal(RegistryErrorKind.Conflict, failure.Error!.Kind);
            Assert.Equal("mac", failure.Error.Errors.Single().Field);
        }
    }

    [Fact]
    public async Task AddNode_SameIpInParallel_OneSuccessOneConflict()
    {
        using var dir = new TempDir();
        using var registry = await OpenWithNetworkAsync(dir.Database);

        for (int round = 0; round < 20; round++)
        {
            var ip = $"10.0.1.{round + 1}";
            var results = await Task.WhenAll(
                Task.Run(() => registry.AddNodeAsync(Node($"a{round}", $"52:54:00:00:02:{round:x2}", ip), Actor.Admin)),
                Task.Run(() => registry.AddNodeAsync(Node($"b{round}", $"52:54:00:00:03:{round:x2}", ip), Actor.Admin)));

            Assert.Single(results, r => r.Succeeded);
            Assert.Equal("ip", Assert.Single(results, r => !r.Succeeded).Error!.Errors.Single().Field);
        }
    }

    [Fact]
    public async Task AddNode_SameMacFromTwoRegistriesOnOneDatabase_UniqueConstraintGivesConflict()
    {
        // Two writers whose snapshots do not know each other's nodes: only the database constraint can stop the second.
        using var dir = new TempDir();
        using var first = await OpenWithNetworkAsync(dir.Database);
        using var second = FabricRegistry.Open(dir.Database);

        var results = await Task.WhenAll(
            Task.Run(() => first.AddNodeAsync(Node("a", "52:54:00:00:00:01", "10.0.0.10"), Actor.Admin)),
            Task.Run(() => second.AddNodeAsync(Node("b", "52:54:00:00:00:01", "10.0.0.11"), Actor.Admin)));

        Assert.Single(results, r => r.Succeeded);
        var failure = Assert.Single(results, r => !r.Succeeded);
        Assert.Equal(RegistryErrorKind.Conflict, failure.Error!.Kind);
        Assert.Equal("mac", failure.Error.Errors.Single().Field);
    }

    [Fact]
    public async Task AddNode_ManyInParallel_AllCommittedAndDurable()
    {
        using var dir = new TempDir();
        using (var registry = await OpenWithNetworkAsync(dir.Database))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
                Task.Run(() => registry.AddNodeAsync(Node($"n{i}", $"52:54:00:00:{i / 256:x2}:{i % 256:x2}"), Actor.Admin))));

            Assert.All(results, r => Assert.True(r.Succeeded, r.Error?.ToString()));
            Assert.Equal(200, results.Select(r => r.Value!.Ip).Distinct().Count());
        }

        using var reopened = FabricRegistry.Open(dir.Database);
        Assert.Equal(200, reopened.ListNodes().Count);
        Assert.Equal(200, reopened.ListNodes().Select(n => n.Ip).Distinct().Count());
    }

    [Fact]
    public async Task AddNode_ConstraintFailureInABatch_UndoesOnlyThatWrite()
    {
        using var dir = new TempDir();
        using var first = await OpenWithNetworkAsync(dir.Database);
        using var second = FabricRegistry.Open(dir.Database);
        Assert.True((await first.AddNodeAsync(Node("taken", "52:54:00:00:00:01", "10.0.0.10"), Actor.Admin)).Succeeded);

        var results = await Task.WhenAll(
            Task.Run(() => second.AddNodeAsync(Node("b1", "52:54:00:00:00:02", "10.0.0.11"), Actor.Admin)),
            Task.Run(() => second.AddNodeAsync(Node("dup", "52:54:00:00:00:01", "10.0.0.12"), Actor.Admin)),
            Task.Run(() => second.AddNodeAsync(Node("b2", "52:54:00:00:00:03", "10.0.0.13"), Actor.Admin)));

        Assert.Equal(RegistryErrorKind.Conflict, results[1].Error!.Kind);
        Assert.True(results[0].Succeeded && results[2].Succeeded);
        Assert.Null(second.FindNode("dup"));
        using var reopened = FabricRegistry.Open(dir.Database);
        Assert.Equal(["b1", "b2", "taken"], reopened.ListNodes().Select(n => n.Name));
        Assert.Empty((await reopened.ListEventsAsync("dup")).Value ?? []);
    }

    [Fact]
    public void ConstraintError_UniqueIp_NamesIp()
    {
        using var dir = new TempDir();
        using var connection = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}");
        Migrator.Apply(connection);
        var insert = "INSERT INTO networks (name, cidr, lease_seconds, created_at) VALUES ('n', '10.0.0.0/24', 60, 0);" +
            "INSERT INTO nodes (name, role, state, created_at, updated_at) VALUES ('a', 'router', 'registered', 0, 0), ('b', 'router', 'registered', 0, 0);" +
            "INSERT INTO node_ips (ip, node_id, network) VALUES ('10.0.0.5', 1, 'n');";
        using (var command = connection.CreateCommand())
        {
            command.CommandText = insert;
            command.ExecuteNonQuery();
        }

        using var duplicate = connection.CreateCommand();
        duplicate.CommandText = "INSERT INTO node_ips (ip, node_id, network) VALUES ('10.0.0.5', 2, 'n')";
        var e = Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => duplicate.ExecuteNonQuery());

        Assert.Equal("ip", SqliteRegistryStore.ConstraintError(e).Field);
    }
}
