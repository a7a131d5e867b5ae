using System.Net;
using System.Text.Json;
using Dapper;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace Fabric.Registry.Sqlite;

/// <summary>The registry on one SQLite database (WAL, synchronous=FULL, migrated when opened). One connection writes;
/// the event log is read on connections of its own. The schema's UNIQUE and FOREIGN KEY constraints are the last word
/// on taken names, MACs and addresses. The WAL is checkpointed off the write path (<see cref="WalCheckpointer"/>).</summary>
internal sealed class SqliteRegistryStore : IRegistryStore
{
    private const int SqliteConstraint = 19;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly WalCheckpointer? _checkpointer;

    private SqliteRegistryStore(string connectionString, SqliteConnection writer, WalCheckpointer? checkpointer)
    {
        _connectionString = connectionString;
        _writer = writer;
        _checkpointer = checkpointer;
    }

    /// <summary>The checkpointer of a writable store (null when opened read-only).</summary>
    internal WalCheckpointer? Checkpointer => _checkpointer;

    /// <summary>Opens (creating and migrating as needed) the database at <paramref name="databasePath"/>.</summary>
    public static SqliteRegistryStore Open(string databasePath, bool readOnly = false, ILogger? logger = null, int checkpointPages = WalCheckpointer.DefaultThresholdPages)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null && !readOnly)
        {
            Directory.CreateDirectory(directory);
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var writer = OpenConnection(connectionString);
        try
        {
            if (readOnly)
            {
                return new SqliteRegistryStore(connectionString, writer, null);
            }

            writer.Execute("PRAGMA journal_mode=WAL");
            Migrator.Apply(writer);
            writer.Execute("PRAGMA wal_autocheckpoint=0");
            _ = WrittenPages(writer);
            return new SqliteRegistryStore(connectionString, writer, WalCheckpointer.Open(connectionString, checkpointPages, logger));
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    internal static SqliteConnection OpenConnection(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        connection.Execute("PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;");
        return connection;
    }

    public void Dispose()
    {
        _checkpointer?.Dispose();
        _writer.Dispose();
    }

    public StoredRegistry Load() => SqliteRegistryLoader.Load(_writer);

    public IRegistryBatch BeginBatch() => new Batch(_writer, Guard(() => _writer.BeginTransaction()), Committed);

    /// <summary>Pages the connection wrote (to the WAL) since the last call.</summary>
    private static int WrittenPages(SqliteConnection connection) =>
        raw.sqlite3_db_status(connection.Handle, raw.SQLITE_DBSTATUS_CACHE_WRITE, out int written, out _, 1) == raw.SQLITE_OK ? written : 0;

    private void Committed() => _checkpointer?.Written(WrittenPages(_writer));

    public async Task<IReadOnlyList<NodeEvent>> ListEventsAsync(string node, int limit, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = OpenConnection(_connectionString);
            var rows = await connection.QueryAsync<(long Id, string Node, long At, string Kind, string Message, string Actor)>(new CommandDefinition(
                "SELECT id, node, at, kind, message, actor FROM node_events WHERE node = @node ORDER BY id DESC LIMIT @limit",
                new { node, limit }, cancellationToken: cancellationToken));
            return rows.Reverse().Select(r => new NodeEvent(r.Id, r.Node, DateTimeOffset.FromUnixTimeMilliseconds(r.At), EventKind.FromWire(r.Kind), r.Message, r.Actor)).ToList();
        }
        catch (SqliteException e)
        {
            throw new RegistryStoreException($"cannot read the event log: {e.Message}", e);
        }
    }

    /// <summary>A constraint violation as the field it is about.</summary>
    internal static FieldError ConstraintError(SqliteException e)
    {
        var message = e.Message;
        if (message.Contains("node_macs.mac", StringComparison.Ordinal))
        {
            return new FieldError("mac", "a MAC address of this node is already registered to another node");
        }

        if (message.Contains("node_ips.ip", StringComparison.Ordinal))
        {
            return new FieldError("ip", "the address is already taken by another node");
        }

        if (message.Contains("nodes.name", StringComparison.Ordinal))
        {
            return new FieldError("name", "a node with this name already exists");
        }

        if (message.Contains("networks.name", StringComparison.Ordinal))
        {
            return new FieldError("name", "a network with this name already exists");
        }

        if (message.Contains("FOREIGN KEY", StringComparison.Ordinal))
        {
            return new FieldError("network", "the change would leave a node pointing at a missing network");
        }

        return new FieldError("", message);
    }

    private static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
        {
            throw new RegistryConflictException(ConstraintError(e), e);
        }
        catch (SqliteException e)
        {
            throw new RegistryStoreException($"the registry database cannot be written: {e.Message}", e);
        }
    }

    private static void Guard(Action action) => Guard(() =>
    {
        action();
        return 0;
    });

    private sealed class Batch(SqliteConnection connection, SqliteTransaction transaction, Action committed) : IRegistryBatch
    {
        private const string Operation = "op";

        public void BeginOperation() => Guard(() => transaction.Save(Operation));

        public void EndOperation() => Guard(() => transaction.Release(Operation));

        public void UndoOperation() => Guard(() =>
        {
            transaction.Rollback(Operation);
            transaction.Release(Operation);
        });

        public long InsertNode(Node node, DateTimeOffset stateChangedAt) => Guard(() =>
        {
            long id = connection.ExecuteScalar<long>(
                "INSERT INTO nodes (name, role, state, created_at, updated_at, state_changed_at) VALUES (@Name, @Role, @State, @Created, @Updated, @Changed) RETURNING id",
                new
                {
                    node.Name,
                    Role = node.Role.ToWire(),
                    State = node.State.ToWire(),
                    Created = node.CreatedAt.ToUnixTimeMilliseconds(),
                    Updated = node.UpdatedAt.ToUnixTimeMilliseconds(),
                    Changed = stateChangedAt.ToUnixTimeMilliseconds(),
                },
                transaction);
            InsertChildren(id, node);
            return id;
        });

        public void ReplaceNode(long id, Node node, DateTimeOffset stateChangedAt) => Guard(() =>
        {
            connection.Execute(
                "UPDATE nodes SET role = @Role, state = @State, updated_at = @Updated, state_changed_at = @Changed WHERE id = @Id; " +
                "DELETE FROM node_macs WHERE node_id = @Id; DELETE FROM node_ips WHERE node_id = @Id; " +
                "DELETE FROM node_labels WHERE node_id = @Id; DELETE FROM node_fields WHERE node_id = @Id;",
                new
                {
                    Id = id,
                    Role = node.Role.ToWire(),
                    State = node.State.ToWire(),
                    Updated = node.UpdatedAt.ToUnixTimeMilliseconds(),
                    Changed = stateChangedAt.ToUnixTimeMilliseconds(),
                },
                transaction);
            InsertChildren(id, node);
        });

        public void SetState(long id, NodeState state, DateTimeOffset at) => Guard(() => connection.Execute(
            "UPDATE nodes SET state = @State, updated_at = @Now, state_changed_at = @Now WHERE id = @Id",
            new { State = state.ToWire(), Now = at.ToUnixTimeMilliseconds(), Id = id },
            transaction));

        public void DeleteNode(long id) => Guard(() => connection.Execute("DELETE FROM nodes WHERE id = @id", new { id }, transaction));

        public void InsertEvent(EventRecord entry) => Guard(() => connection.Execute(
            "INSERT INTO node_events (node, at, kind, message, actor) VALUES (@Node, @At, @Kind, @Message, @Actor)",
            new { entry.Node, At = entry.At.ToUnixTimeMilliseconds(), Kind = entry.Kind.Wire, entry.Message, Actor = entry.Actor.ToString() },
            transaction));

        public void TrimEvents(string node, int keep) => Guard(() => connection.Execute(
            "DELETE FROM node_events WHERE node = @node AND id <= (SELECT id FROM node_events WHERE node = @node ORDER BY id DESC LIMIT 1 OFFSET @keep)",
            new { node, keep },
            transaction));

        public void DeleteEvents(string node) => Guard(() => connection.Execute("DELETE FROM node_events WHERE node = @node", new { node }, transaction));

        public void InsertNetwork(Network network, DateTimeOffset createdAt) => Guard(() => connection.Execute(
            "INSERT INTO networks (name, cidr, gateway, dns, pool_start, pool_end, vlan, lease_seconds, serve_unknown, boot_timeout_seconds, kind, created_at) " +
            "VALUES (@Name, @Cidr, @Gateway, @Dns, @PoolStart, @PoolEnd, @Vlan, @LeaseSeconds, @ServeUnknown, @BootTimeoutSeconds, @Kind, @CreatedAt)",
            new
            {
                network.Name,
                Cidr = network.Cidr.ToString(),
                Gateway = network.Gateway?.ToString(),
                Dns = string.Join(',', network.Dns),
                PoolStart = network.PoolStart?.ToString(),
                PoolEnd = network.PoolEnd?.ToString(),
                network.Vlan,
                LeaseSeconds = (long)network.LeaseTime.TotalSeconds,
                ServeUnknown = network.ServeUnknown ? 1 : 0,
                network.BootTimeoutSeconds,
                Kind = network.Kind.ToWire(),
                CreatedAt = createdAt.ToUnixTimeMilliseconds(),
            },
            transaction));

        public void DeleteNetwork(string name) => Guard(() => connection.Execute("DELETE FROM networks WHERE name = @name", new { name }, transaction));

        public void ProbeWrite() => Guard(() =>
        {
            transaction.Save("probe");
            try
            {
                connection.Execute("UPDATE schema_version SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_version)", transaction: transaction);
            }
            finally
            {
                try
                {
                    transaction.Rollback("probe");
                    transaction.Release("probe");
                }
                catch (SqliteException)
                {
                    // The write itself failed; that is the error to report.
                }
            }
        });

        public void Commit()
        {
            Guard(transaction.Commit);
            committed();
        }

        public void Dispose() => transaction.Dispose();

        private void InsertChildren(long id, Node node)
        {
            for (int i = 0; i < node.Macs.Count; i++)
            {
                connection.Execute("INSERT INTO node_macs (mac, node_id, position) VALUES (@Mac, @Id, @Position)", new { Mac = node.Macs[i].ToString(), Id = id, Position = i }, transaction);
            }

            if (node.Ip is not null)
            {
                connection.Execute("INSERT INTO node_ips (ip, node_id, network) VALUES (@Ip, @Id, @Network)", new { Ip = node.Ip.ToString(), Id = id, node.Network }, transaction);
            }

            foreach (var (key, value) in node.Labels)
            {
                connection.Execute("INSERT INTO node_labels (node_id, key, value) VALUES (@Id, @Key, @Value)", new { Id = id, Key = key, Value = value }, transaction);
            }

            connection.Execute(
                "INSERT INTO node_fields (node_id, cpu_cores, memory_mib, root, pair, aoe_shelf, volumes, nfs_exports, vcpus, disk_volume, hypervisor, " +
                "storage_path, aoe_interface, image_path, ssh_address, ssh_port, ssh_user, ssh_host_key, image, instance_state, trunk_interface, uplink_interface) " +
                "VALUES (@Id, @CpuCores, @MemoryMiB, @Root, @Pair, @AoeShelf, @Volumes, @NfsExports, @VCpus, @DiskVolume, @Hypervisor, " +
                "@StoragePath, @AoeInterface, @ImagePath, @SshAddress, @SshPort, @SshUser, @SshHostKey, @Image, @InstanceState, @TrunkInterface, @UplinkInterface)",
                new
                {
                    Id = id,
                    node.Hardware?.CpuCores,
                    MemoryMiB = node.Hardware?.MemoryMiB ?? node.Instance?.MemoryMiB,
                    Root = node.Hardware?.Root?.ToString(),
                    node.Storage?.Pair,
                    node.Storage?.AoeShelf,
                    Volumes = node.Storage is null ? null : JsonSerializer.Serialize(node.Storage.Volumes),
                    NfsExports = node.Storage is null ? null : JsonSerializer.Serialize(node.Storage.NfsExports),
                    node.Instance?.VCpus,
                    node.Instance?.DiskVolume,
                    node.Instance?.Hypervisor,
                    node.Storage?.StoragePath,
                    node.Storage?.AoeInterface,
                    node.Storage?.ImagePath,
                    SshAddress = node.Ssh.Address,
                    SshPort = node.Ssh.Port,
                    SshUser = node.Ssh.User,
                    SshHostKey = node.Ssh.HostKey,
                    node.Instance?.Image,
                    InstanceState = node.Instance is null ? null : (node.Instance.State ?? InstanceState.Defined).ToWire(),
                    node.Router?.TrunkInterface,
                    node.Router?.UplinkInterface,
                },
                transaction);
        }
    }
}
