using Dapper;
using Fabric.Core;
using Fabric.Registry.Sqlite;

namespace Fabric.Registry.Tests.Sqlite;

public sealed class MigratorTests
{
    [Fact]
    public void Open_NewDatabase_IsAtLatestVersionInWalMode()
    {
        using var dir = new TempDir();
        using (FabricRegistry.Open(dir.Database))
        {
        }

        using var connection = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}");
        Assert.Equal(Migrator.LatestVersion, Migrator.CurrentVersion(connection));
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        Assert.Equal(2, connection.ExecuteScalar<long>("PRAGMA synchronous")); // FULL
        Assert.True(Migrator.LatestVersion >= 2);
    }

    [Fact]
    public async Task Open_VersionOneDatabase_MigratesAndKeepsData()
    {
        using var dir = new TempDir();
        using (var connection = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}"))
        {
            Assert.Equal(1, Migrator.Apply(connection, targetVersion: 1));
            connection.Execute("""
                INSERT INTO networks (name, cidr, gateway, dns, lease_seconds, serve_unknown, created_at) VALUES ('boot', '10.0.0.0/24', '10.0.0.1', '10.0.0.1', 3600, 1, 1000);
                INSERT INTO nodes (id, name, role, state, created_at, updated_at) VALUES (7, 'hnode01', 'hardware', 'up', 1000, 2000);
                INSERT INTO node_macs (mac, node_id, position) VALUES ('52:54:00:00:00:07', 7, 0);
                INSERT INTO node_ips (ip, node_id, network) VALUES ('10.0.0.7', 7, 'boot');
                INSERT INTO node_labels (node_id, key, value) VALUES (7, 'rack', 'r2');
                INSERT INTO node_fields (node_id, cpu_cores, root) VALUES (7, 8, 'aoe-md:e0.1,e1.1');
                INSERT INTO node_events (node, at, kind, message, actor) VALUES ('hnode01', 1000, 'created', 'by hand', 'admin');
                """);
            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => connection.ExecuteScalar("SELECT state_changed_at FROM nodes"));
        }

        using var registry = FabricRegistry.Open(dir.Database);

        var node = registry.FindNode("hnode01")!;
        Assert.Equal(NodeState.Up, node.State);
        Assert.Equal("52:54:00:00:00:07", node.Macs.Single().ToString());
        Assert.Equal("10.0.0.7", node.Ip!.ToString());
        Assert.Equal("r2", node.Labels["rack"]);
        Assert.Equal(8, node.Hardware!.CpuCores);
        Assert.Equal(RootTransport.AoeMd, node.Hardware.Root!.Transport);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(2000), registry.StateChangedAt("hnode01"));
        Assert.True(registry.FindNetwork("boot")!.ServeUnknown);
        Assert.Equal("by hand", (await registry.ListEventsAsync("hnode01")).Value!.Single().Message);
        using var check = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}");
        Assert.Equal(Migrator.LatestVersion, Migrator.CurrentVersion(check));
        Assert.Equal(Migrator.All.Select(m => m.Version), check.Query<int>("SELECT version FROM schema_version ORDER BY version"));
        Assert.Equal(1, check.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_node_macs_node'"));
    }

    [Fact]
    public void Open_VersionFourDatabaseWithAnInstance_InstanceBecomesDefinedWithItsFieldsKept()
    {
        using var dir = new TempDir();
        using (var connection = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}"))
        {
            Assert.Equal(4, Migrator.Apply(connection, targetVersion: 4));
            connection.Execute("""
                INSERT INTO nodes (id, name, role, state, created_at, updated_at) VALUES (9, 'vm01', 'instance', 'registered', 1000, 2000);
                INSERT INTO node_macs (mac, node_id, position) VALUES ('0e:00:00:00:00:09', 9, 0);
                INSERT INTO node_fields (node_id, vcpus, memory_mib, disk_volume, hypervisor) VALUES (9, 2, 1024, 'vm01-disk', 'hv1');
                """);
        }

        using var registry = FabricRegistry.Open(dir.Database);

        var spec = registry.FindNode("vm01")!.Instance!;
        Assert.Equal(new InstanceSpec(2, 1024, "vm01-disk", null, "hv1", null, Fabric.Core.Lifecycle.InstanceState.Defined), spec);
        using var check = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}");
        Assert.Equal("defined", check.ExecuteScalar<string>("SELECT instance_state FROM node_fields WHERE node_id = 9"));
    }

    [Fact]
    public void Open_VersionTwelveDatabaseWithImages_ImagesKeptAndDiskFormatAllowed()
    {
        using var dir = new TempDir();
        using (var connection = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}"))
        {
            Assert.Equal(12, Migrator.Apply(connection, targetVersion: 12));
            connection.Execute("""
                INSERT INTO images (pair, name, size_bytes, sha256, pushed_at, format) VALUES ('p1', 'root', 4096, 'aa', 1000, 'ext4');
                INSERT INTO images (pair, name, size_bytes, sha256, pushed_at, format) VALUES ('p1', 'nfs', 10240, 'bb', 2000, 'tar');
                """);
            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() =>
                connection.Execute("INSERT INTO images (pair, name, size_bytes, sha256, pushed_at, format) VALUES ('p1', 'guest', 512, 'cc', 3000, 'disk')"));
        }

        using (FabricRegistry.Open(dir.Database))
        {
        }

        using var check = SqliteRegistryStore.OpenConnection($"Data Source={dir.Database}");
        Assert.Equal(
            [("nfs", 10240L, "bb", 2000L, "tar"), ("root", 4096L, "aa", 1000L, "ext4")],
            check.Query<(string, long, string, long, string)>("SELECT name, size_bytes, sha256, pushed_at, format FROM images ORDER BY name"));
        check.Execute("INSERT INTO images (pair, name, size_bytes, sha256, pushed_at, format) VALUES ('p1', 'guest', 512, 'cc', 3000, 'disk')");
        Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() =>
            check.Execute("INSERT INTO images (pair, name, size_bytes, sha256, pushed_at, format) VALUES ('p1', 'other', 512, 'dd', 3000, 'qcow2')"));
        check.Execute("INSERT INTO images (pair, name, size_bytes, sha256, pushed_at) VALUES ('p2', 'old', 512, 'ee', 3000)");
        Assert.Equal("ext4", check.ExecuteScalar<string>("SELECT format FROM images WHERE pair = 'p2'"));
    }
}
