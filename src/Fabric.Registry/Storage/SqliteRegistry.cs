using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Fabric.Core;
using Fabric.Registry.Validation;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Storage;

/// <summary>The registry on one SQLite database (WAL, synchronous=FULL). Writes go one at a time through a
/// single connection and rely on the schema's UNIQUE constraints as the last word; reads come from an
/// immutable snapshot swapped after each commit.</summary>
internal sealed partial class SqliteRegistry : IRegistry
{
    private const int SqliteConstraint = 19;

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SqliteConnection _writer;
    private const int MaxBatch = 256;

    private readonly Channel<WriteOperation> _writes = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writerLoop;
    private volatile RegistrySnapshot _snapshot;

    private SqliteRegistry(string connectionString, TimeProvider time, SqliteConnection writer, RegistrySnapshot snapshot)
    {
        _connectionString = connectionString;
        _time = time;
        _writer = writer;
        _snapshot = snapshot;
        _writerLoop = Task.Run(WriterLoop);
    }

    public static SqliteRegistry Open(string databasePath, TimeProvider time)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(databasePath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var writer = OpenConnection(connectionString);
        try
        {
            writer.Execute("PRAGMA journal_mode=WAL");
            Migrator.Apply(writer);
            return new SqliteRegistry(connectionString, time, writer, LoadSnapshot(writer));
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

    internal RegistrySnapshot Snapshot => _snapshot;

    public void Dispose()
    {
        _writes.Writer.TryComplete();
        _writerLoop.Wait();
        _writer.Dispose();
    }

    // ---- reads (snapshot) ----

    public IReadOnlyList<Node> ListNodes(NodeRole? role = null)
    {
        var snapshot = _snapshot;
        return role is { } only
            ? snapshot.NodesOf(only).ToList()
            : snapshot.Nodes.Values.Select(e => e.Node).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    public Node? FindNode(string name) =>
        _snapshot.Nodes.TryGetValue(Key(name), out var entry) ? entry.Node : null;

    public DateTimeOffset? StateChangedAt(string name) =>
        _snapshot.Nodes.TryGetValue(Key(name), out var entry) ? entry.StateChangedAt : null;

    public IReadOnlyList<Network> ListNetworks() => _snapshot.Networks.Values.ToList();

    public Network? FindNetwork(string name) => _snapshot.Networks.TryGetValue(Key(name), out var network) ? network : null;

    public ValueTask<Node?> FindNodeByMacAsync(MacAddress mac, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_snapshot.NodeByMac(mac));

    public ValueTask<Node?> FindNodeByIpAsync(IPAddress address, CancellationToken cancellationToken = default)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return ValueTask.FromResult(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? _snapshot.NodeByIp(Ipv4.ToUInt32(address)) : null);
    }

    public ValueTask<Network?> FindNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(FindNetwork(name));

    public ValueTask<IReadOnlyList<Network>> ListNetworksAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ListNetworks());

    public async Task<RegistryResult<IReadOnlyList<NodeEvent>>> ListEventsAsync(string name, int limit = 1000, CancellationToken cancellationToken = default)
    {
        var key = Key(name);
        await using var connection = OpenConnection(_connectionString);
        var rows = await connection.QueryAsync<EventRow>(new CommandDefinition(
            "SELECT id AS Id, node AS Node, at AS At, kind AS Kind, message AS Message, actor AS Actor FROM node_events WHERE node = @key ORDER BY id DESC LIMIT @limit",
            new { key, limit }, cancellationToken: cancellationToken));
        var events = rows.Reverse().Select(r => new NodeEvent(r.Id, r.Node, FromUnixMs(r.At), r.Kind, r.Message, r.Actor)).ToList();
        if (events.Count == 0 && !_snapshot.Nodes.ContainsKey(key))
        {
            return RegistryError.NotFound("name", $"no node named '{name}'");
        }

        return RegistryResult<IReadOnlyList<NodeEvent>>.Ok(events);
    }

    // ---- node writes ----

    public Task<RegistryResult<Node>> AddNodeAsync(NodeInput input, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            var validated = NodeValidator.Validate(input, snapshot, existing: null);
            if (!validated.Succeeded)
            {
                return (validated, snapshot);
            }

            var now = _time.GetUtcNow();
            var node = validated.Value with { CreatedAt = now, UpdatedAt = now };
            long id = InsertNode(node, now, transaction);
            InsertEvent(node.Name, now, "created", Describe(node), actor, transaction);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(new NodeEntry(id, node, now)));
        }, cancellationToken);

    public Task<RegistryResult<Node>> UpdateNodeAsync(string name, NodeInput changes, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            if (changes.Clear?.FirstOrDefault(f => !NodeInput.Clearable.Contains(f)) is { } fixedField)
            {
                return (RegistryError.Invalid(fixedField, $"'{fixedField}' cannot be removed (fields that can: {string.Join(", ", NodeInput.Clearable.Order(StringComparer.Ordinal))})"), snapshot);
            }

            var input = Merge(entry.Node, changes);
            var validated = NodeValidator.Validate(input, snapshot, entry.Node);
            if (!validated.Succeeded)
            {
                return (validated, snapshot);
            }

            var now = _time.GetUtcNow();
            var node = validated.Value with { UpdatedAt = now };
            var stateChangedAt = node.State != entry.Node.State ? now : entry.StateChangedAt;
            var changed = Changes(entry.Node, node);
            ReplaceNode(entry.Id, node, stateChangedAt, transaction);
            InsertEvent(node.Name, now, "updated", changed.Length == 0 ? "no change" : changed, actor, transaction);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(new NodeEntry(entry.Id, node, stateChangedAt)));
        }, cancellationToken);

    public Task<RegistryResult<Node>> RemoveNodeAsync(string name, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            var now = _time.GetUtcNow();
            _writer.Execute("DELETE FROM nodes WHERE id = @Id", new { entry.Id }, transaction);
            InsertEvent(entry.Node.Name, now, "removed", Describe(entry.Node), actor, transaction);
            return (RegistryResult<Node>.Ok(entry.Node), snapshot.WithoutNode(entry.Node.Name));
        }, cancellationToken);

    public Task<RegistryResult<Node>> RecordAsync(string name, NodeState? state, string kind, string message, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            var now = _time.GetUtcNow();
            var result = SetState(entry, state, now, transaction);
            InsertEvent(entry.Node.Name, now, kind, message, actor, transaction);
            return (RegistryResult<Node>.Ok(result.Node), snapshot.WithNode(result));
        }, cancellationToken);

    public Task<RegistryResult<Node>> DiscoverAsync(MacAddress mac, IPAddress? from, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            if (snapshot.NodeByMac(mac) is { } known)
            {
                return (RegistryResult<Node>.Ok(known), snapshot);
            }

            var baseName = "node-" + mac.ToHexString();
            var name = baseName;
            for (int i = 2; snapshot.Nodes.ContainsKey(name); i++)
            {
                name = string.Create(CultureInfo.InvariantCulture, $"{baseName}-{i}");
            }

            var now = _time.GetUtcNow();
            var node = new Node
            {
                Name = name,
                Role = NodeRole.Hardware,
                Macs = [mac],
                State = NodeState.Discovered,
                Hardware = new HardwareSpec(null, null, null),
                CreatedAt = now,
                UpdatedAt = now,
            };
            long id = InsertNode(node, now, transaction);
            InsertEvent(name, now, "discovered", $"unknown MAC {mac} asked for its boot script" + (from is null ? "" : $" from {from}"), "boot", transaction);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(new NodeEntry(id, node, now)));
        }, cancellationToken);

    public async Task<IReadOnlyList<Node>> FailStuckBootsAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var result = await WriteAsync<IReadOnlyList<Node>>((snapshot, transaction) =>
        {
            var now = _time.GetUtcNow();
            var stuck = snapshot.Nodes.Values.Where(e => e.Node.State == NodeState.Booting && now - e.StateChangedAt >= timeout).ToList();
            var failed = new List<Node>();
            if (stuck.Count == 0)
            {
                return (RegistryResult<IReadOnlyList<Node>>.Ok(failed), snapshot);
            }

            foreach (var entry in stuck)
            {
                var next = SetState(entry, NodeState.Failed, now, transaction);
                var since = entry.StateChangedAt.ToString("u", CultureInfo.InvariantCulture);
                InsertEvent(entry.Node.Name, now, "boot-timeout", $"no 'up' report within {timeout} of the boot script served at {since}", "appliance", transaction);
                snapshot = snapshot.WithNode(next);
                failed.Add(next.Node);
            }

            return (RegistryResult<IReadOnlyList<Node>>.Ok(failed), snapshot);
        }, cancellationToken);
        return result.Value ?? [];
    }

    // ---- network writes ----

    public Task<RegistryResult<Network>> AddNetworkAsync(NetworkInput input, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            var validated = NetworkValidator.Validate(input, snapshot);
            if (!validated.Succeeded)
            {
                return (validated, snapshot);
            }

            var network = validated.Value;
            _writer.Execute(
                "INSERT INTO networks (name, cidr, gateway, dns, pool_start, pool_end, vlan, lease_seconds, serve_unknown, created_at) " +
                "VALUES (@Name, @Cidr, @Gateway, @Dns, @PoolStart, @PoolEnd, @Vlan, @LeaseSeconds, @ServeUnknown, @CreatedAt)",
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
                    CreatedAt = _time.GetUtcNow().ToUnixTimeMilliseconds(),
                },
                transaction);
            return (validated, snapshot with { Networks = snapshot.Networks.SetItem(network.Name, network) });
        }, cancellationToken);

    public Task<RegistryResult<Network>> RemoveNetworkAsync(string name, string actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, transaction) =>
        {
            if (!snapshot.Networks.TryGetValue(Key(name), out var network))
            {
                return (RegistryError.NotFound("name", $"no network named '{name}'"), snapshot);
            }

            int users = snapshot.Nodes.Values.Count(e => e.Node.Network == network.Name);
            if (users > 0)
            {
                return (RegistryError.Conflict("name", $"network '{network.Name}' still holds the addresses of {users} node(s)"), snapshot);
            }

            _writer.Execute("DELETE FROM networks WHERE name = @Name", new { network.Name }, transaction);
            return (RegistryResult<Network>.Ok(network), snapshot with { Networks = snapshot.Networks.Remove(network.Name) });
        }, cancellationToken);

    // ---- helpers ----

    /// <summary>Queues one write for the single writer. The action gets the snapshot as left by the writes before it
    /// and returns its result and the snapshot to publish. A constraint violation from the database (e.g. another
    /// writer on the same file) comes back as a conflict and undoes only that write.</summary>
    private Task<RegistryResult<T>> WriteAsync<T>(Func<RegistrySnapshot, SqliteTransaction, (RegistryResult<T> Result, RegistrySnapshot Next)> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<T>(action);
        if (!_writes.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteRegistry));
        }

        return operation.Completion.Task;
    }

    /// <summary>Group commit: takes every queued write (up to <see cref="MaxBatch"/>), runs each in its own savepoint of
    /// one transaction, commits once (one fsync for the batch), then publishes the snapshot and completes the callers.</summary>
    private async Task WriterLoop()
    {
        var batch = new List<WriteOperation>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var operation))
            {
                batch.Add(operation);
            }

            var snapshot = _snapshot;
            try
            {
                using var transaction = _writer.BeginTransaction();
                foreach (var operation in batch)
                {
                    transaction.Save("op");
                    try
                    {
                        snapshot = operation.Run(snapshot, transaction);
                        transaction.Release("op");
                    }
                    catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
                    {
                        transaction.Rollback("op");
                        transaction.Release("op");
                        operation.Reject(ConstraintError(e));
                    }
                    catch (Exception e) when (e is not SqliteException)
                    {
                        transaction.Rollback("op");
                        transaction.Release("op");
                        operation.Fault(e);
                    }
                }

                transaction.Commit();
            }
            catch (Exception e)
            {
                foreach (var operation in batch)
                {
                    operation.Fault(e);
                    operation.Complete();
                }

                continue;
            }

            _snapshot = snapshot;
            foreach (var operation in batch)
            {
                operation.Complete();
            }
        }
    }

    private abstract class WriteOperation
    {
        public abstract RegistrySnapshot Run(RegistrySnapshot snapshot, SqliteTransaction transaction);

        public abstract void Reject(RegistryError error);

        public abstract void Fault(Exception exception);

        public abstract void Complete();
    }

    private sealed class WriteOperation<T>(Func<RegistrySnapshot, SqliteTransaction, (RegistryResult<T> Result, RegistrySnapshot Next)> action) : WriteOperation
    {
        private RegistryResult<T> _result;
        private Exception? _exception;

        public TaskCompletionSource<RegistryResult<T>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override RegistrySnapshot Run(RegistrySnapshot snapshot, SqliteTransaction transaction)
        {
            var (result, next) = action(snapshot, transaction);
            _result = result;
            return next;
        }

        public override void Reject(RegistryError error) => _result = RegistryResult<T>.Fail(error);

        public override void Fault(Exception exception) => _exception ??= exception;

        public override void Complete()
        {
            if (_exception is not null)
            {
                Completion.TrySetException(_exception);
            }
            else
            {
                Completion.TrySetResult(_result);
            }
        }
    }

    internal static RegistryError ConstraintError(SqliteException e)
    {
        var message = e.Message;
        if (message.Contains("node_macs.mac", StringComparison.Ordinal))
        {
            return RegistryError.Conflict("mac", "a MAC address of this node is already registered to another node");
        }

        if (message.Contains("node_ips.ip", StringComparison.Ordinal))
        {
            return RegistryError.Conflict("ip", "the address is already taken by another node");
        }

        if (message.Contains("nodes.name", StringComparison.Ordinal))
        {
            return RegistryError.Conflict("name", "a node with this name already exists");
        }

        if (message.Contains("networks.name", StringComparison.Ordinal))
        {
            return RegistryError.Conflict("name", "a network with this name already exists");
        }

        if (message.Contains("FOREIGN KEY", StringComparison.Ordinal))
        {
            return RegistryError.Conflict("network", "the change would leave a node pointing at a missing network");
        }

        return RegistryError.Conflict("", message);
    }

    private NodeEntry SetState(NodeEntry entry, NodeState? state, DateTimeOffset now, SqliteTransaction transaction)
    {
        if (state is not { } newState)
        {
            return entry;
        }

        var node = entry.Node with { State = newState, UpdatedAt = now };
        _writer.Execute(
            "UPDATE nodes SET state = @State, updated_at = @Now, state_changed_at = @Now WHERE id = @Id",
            new { State = newState.ToWire(), Now = now.ToUnixTimeMilliseconds(), entry.Id },
            transaction);
        return new NodeEntry(entry.Id, node, now);
    }

    private long InsertNode(Node node, DateTimeOffset now, SqliteTransaction transaction)
    {
        long id = _writer.ExecuteScalar<long>(
            "INSERT INTO nodes (name, role, state, created_at, updated_at, state_changed_at) VALUES (@Name, @Role, @State, @Created, @Updated, @Changed) RETURNING id",
            new
            {
                node.Name,
                Role = node.Role.ToWire(),
                State = node.State.ToWire(),
                Created = node.CreatedAt.ToUnixTimeMilliseconds(),
                Updated = node.UpdatedAt.ToUnixTimeMilliseconds(),
                Changed = now.ToUnixTimeMilliseconds(),
            },
            transaction);
        InsertChildren(id, node, transaction);
        return id;
    }

    private void ReplaceNode(long id, Node node, DateTimeOffset stateChangedAt, SqliteTransaction transaction)
    {
        _writer.Execute(
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
        InsertChildren(id, node, transaction);
    }

    private void InsertChildren(long id, Node node, SqliteTransaction transaction)
    {
        for (int i = 0; i < node.Macs.Count; i++)
        {
            _writer.Execute("INSERT INTO node_macs (mac, node_id, position) VALUES (@Mac, @Id, @Position)", new { Mac = node.Macs[i].ToString(), Id = id, Position = i }, transaction);
        }

        if (node.Ip is not null)
        {
            _writer.Execute("INSERT INTO node_ips (ip, node_id, network) VALUES (@Ip, @Id, @Network)", new { Ip = node.Ip.ToString(), Id = id, node.Network }, transaction);
        }

        foreach (var (key, value) in node.Labels)
        {
            _writer.Execute("INSERT INTO node_labels (node_id, key, value) VALUES (@Id, @Key, @Value)", new { Id = id, Key = key, Value = value }, transaction);
        }

        _writer.Execute(
            "INSERT INTO node_fields (node_id, cpu_cores, memory_mib, root, pair, aoe_shelf, volumes, nfs_exports, vcpus, disk_volume, hypervisor) " +
            "VALUES (@Id, @CpuCores, @MemoryMiB, @Root, @Pair, @AoeShelf, @Volumes, @NfsExports, @VCpus, @DiskVolume, @Hypervisor)",
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
            },
            transaction);
    }

    private void InsertEvent(string node, DateTimeOffset at, string kind, string message, string actor, SqliteTransaction transaction) =>
        _writer.Execute(
            "INSERT INTO node_events (node, at, kind, message, actor) VALUES (@Node, @At, @Kind, @Message, @Actor)",
            new { Node = node, At = at.ToUnixTimeMilliseconds(), Kind = kind, Message = message, Actor = actor },
            transaction);

    private static string Key(string name) => name.Trim().ToLowerInvariant();

    internal static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
