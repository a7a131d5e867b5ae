using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Registry.Nodes;
using Fabric.Registry.Settings;
using Fabric.Registry.Validation;
using Microsoft.Extensions.Options;

namespace Fabric.Registry;

/// <summary>The registry's domain rules over an <see cref="IRegistryStore"/>: validation, merge patches, address
/// allocation, adoption, discovery naming and limits, the lifecycle table, and the event log. Reads come from an
/// immutable snapshot; writes are queued to one writer that commits them in groups (one transaction, one fsync,
/// each write in its own savepoint) and then publishes the new snapshot.</summary>
internal sealed partial class RegistryService : IRegistry
{
    private const int MaxBatch = 256;

    private readonly IRegistryStore _store;
    private readonly TimeProvider _time;
    private readonly IOptions<DiscoveryOptions> _discovery;
    private readonly IOptions<EventOptions> _events;
    private readonly RegistryMetrics _metrics;
    private readonly Channel<WriteOperation> _writes = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writerLoop;
    private volatile RegistrySnapshot _snapshot;

    public RegistryService(IRegistryStore store, TimeProvider time, IOptions<DiscoveryOptions> discovery, IOptions<EventOptions> events, RegistryMetrics metrics)
    {
        _store = store;
        _time = time;
        _discovery = discovery;
        _events = events;
        _metrics = metrics;
        _snapshot = RegistrySnapshot.From(store.Load());
        _writerLoop = Task.Run(WriterLoop);
    }

    internal RegistrySnapshot Snapshot => _snapshot;

    public void Dispose()
    {
        _writes.Writer.TryComplete();
        _writerLoop.Wait();
        _store.Dispose();
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
        var events = await _store.ListEventsAsync(key, Math.Clamp(limit, 1, _events.Value.MaxPerNode), cancellationToken);
        if (events.Count == 0 && !_snapshot.Nodes.ContainsKey(key))
        {
            return RegistryError.NotFound("name", $"no node named '{name}'");
        }

        return RegistryResult<IReadOnlyList<NodeEvent>>.Ok(events);
    }

    // ---- node writes ----

    public Task<RegistryResult<Node>> AddNodeAsync(NodeInput input, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            var validated = NodeValidator.Validate(input with { State = null }, snapshot, existing: null);
            if (input.State is not null && !(NodeEnumNames.TryParseState(input.State, out var state) && state == NodeState.Registered))
            {
                validated = Combine(validated, new FieldError("state", "a new node starts registered"));
            }

            if (!validated.Succeeded)
            {
                return (validated, snapshot);
            }

            var now = _time.GetUtcNow();
            var node = validated.Value with { CreatedAt = now, UpdatedAt = now };
            long id = batch.InsertNode(node, now);
            AppendEvent(batch, node.Name, now, EventKind.Created, NodeChanges.Describe(node), actor);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(new StoredNode(id, node, now)));
        }, cancellationToken);

    public Task<RegistryResult<Node>> UpdateNodeAsync(string name, NodeInput changes, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            if (changes.Clear?.FirstOrDefault(f => !NodeInput.Clearable.Contains(f)) is { } fixedField)
            {
                return (RegistryError.Invalid(fixedField, $"'{fixedField}' cannot be removed (fields that can: {string.Join(", ", NodeInput.Clearable.Order(StringComparer.Ordinal))})"), snapshot);
            }

            var current = entry.Node;
            var (state, stateProblem) = OperatorState(current, changes, actor);
            var input = NodeChanges.Merge(current, changes) with { State = current.State.ToWire() };
            var validated = NodeValidator.Validate(input, snapshot, current);
            if (stateProblem is not null)
            {
                validated = Combine(validated, stateProblem);
            }

            if (!validated.Succeeded)
            {
                return (validated, snapshot);
            }

            var now = _time.GetUtcNow();
            var node = validated.Value with { State = state, UpdatedAt = now };
            var stateChangedAt = node.State != current.State ? now : entry.StateChangedAt;
            var changed = NodeChanges.Describe(current, node);
            batch.ReplaceNode(entry.Id, node, stateChangedAt);
            AppendEvent(batch, node.Name, now, EventKind.Updated, changed.Length == 0 ? "no change" : changed, actor);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(new StoredNode(entry.Id, node, stateChangedAt)));
        }, cancellationToken);

    public Task<RegistryResult<Node>> RemoveNodeAsync(string name, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            var now = _time.GetUtcNow();
            batch.DeleteNode(entry.Id);
            AppendEvent(batch, entry.Node.Name, now, EventKind.Removed, NodeChanges.Describe(entry.Node), actor);
            return (RegistryResult<Node>.Ok(entry.Node), snapshot.WithoutNode(entry.Node.Name));
        }, cancellationToken);

    public Task<RegistryResult<Node>> ApplyAsync(string name, NodeTrigger trigger, EventKind kind, string message, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            var decision = NodeLifecycle.Decide(entry.Node.State, trigger, actor.Kind);
            if (!decision.Allowed)
            {
                return (RegistryError.Conflict("state", $"node '{entry.Node.Name}' is {entry.Node.State.ToWire()}: {decision.Reason}"), snapshot);
            }

            var now = _time.GetUtcNow();
            var next = entry;
            if (decision.Changes)
            {
                batch.SetState(entry.Id, decision.Next, now);
                next = new StoredNode(entry.Id, entry.Node with { State = decision.Next, UpdatedAt = now }, now);
            }

            AppendEvent(batch, entry.Node.Name, now, kind, message, actor);
            return (RegistryResult<Node>.Ok(next.Node), decision.Changes ? snapshot.WithNode(next) : snapshot);
        }, cancellationToken);

    public Task<RegistryResult<Node>> PinSshHostKeyAsync(string name, string hostKey, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            if (!SshHostKeyText.TryNormalize(hostKey, out var key, out var reason))
            {
                return (RegistryError.Invalid("sshHostKey", reason), snapshot);
            }

            var node = entry.Node;
            var now = _time.GetUtcNow();
            if (node.Ssh.HostKey is { } pinned)
            {
                if (pinned == key)
                {
                    return (RegistryResult<Node>.Ok(node), snapshot);
                }

                AppendEvent(batch, node.Name, now, EventKind.SshHostKeyMismatch, $"reported {key}; pinned {pinned}; refused", actor);
                return (RegistryError.Conflict("sshHostKey", $"node '{node.Name}' has another SSH host key pinned; the reported key is refused"), snapshot);
            }

            var next = new StoredNode(entry.Id, node with { Ssh = node.Ssh with { HostKey = key }, UpdatedAt = now }, entry.StateChangedAt);
            batch.ReplaceNode(entry.Id, next.Node, entry.StateChangedAt);
            AppendEvent(batch, node.Name, now, EventKind.SshHostKeyPinned, $"sshHostKey: {key}", actor);
            return (RegistryResult<Node>.Ok(next.Node), snapshot.WithNode(next));
        }, cancellationToken);

    public Task<RegistryResult<Node>> TransitionInstanceAsync(string name, InstanceState from, InstanceState to, string? hypervisor, string message, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            if (entry.Node.Instance is not { } spec)
            {
                return (RegistryError.Conflict("role", $"node '{entry.Node.Name}' is a {entry.Node.Role.ToWire()} node, not an instance"), snapshot);
            }

            var current = spec.State ?? InstanceState.Defined;
            if (current != from)
            {
                return (RegistryError.Conflict("state", $"instance '{entry.Node.Name}' is {current.ToWire()}, not {from.ToWire()}"), snapshot);
            }

            var target = spec.Hypervisor;
            if (hypervisor is not null)
            {
                if (!snapshot.Nodes.TryGetValue(Key(hypervisor), out var hv) || hv.Node.Role != NodeRole.Hardware)
                {
                    return (RegistryError.Conflict("hypervisor", $"'{hypervisor}' is not a hypervisor"), snapshot);
                }

                target = hv.Node.Name;
            }

            var now = _time.GetUtcNow();
            var node = entry.Node with { Instance = spec with { State = to, Hypervisor = target }, UpdatedAt = now };
            batch.ReplaceNode(entry.Id, node, entry.StateChangedAt);
            var moved = string.Equals(target, spec.Hypervisor, StringComparison.Ordinal) ? "" : $", hypervisor {spec.Hypervisor ?? "none"} -> {target}";
            AppendEvent(batch, node.Name, now, EventKind.InstanceState, $"{from.ToWire()} -> {to.ToWire()}{moved}: {message}", actor);
            var stored = new StoredNode(entry.Id, node, entry.StateChangedAt);
            return (RegistryResult<Node>.Ok(node), snapshot.WithNode(stored));
        }, cancellationToken);

    public Task<RegistryResult<Node>> RecordAsync(string name, EventKind kind, string message, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            if (!snapshot.Nodes.TryGetValue(Key(name), out var entry))
            {
                return (RegistryError.NotFound("name", $"no node named '{name}'"), snapshot);
            }

            AppendEvent(batch, entry.Node.Name, _time.GetUtcNow(), kind, message, actor);
            return (RegistryResult<Node>.Ok(entry.Node), snapshot);
        }, cancellationToken);

    public async Task<DiscoveryResult> DiscoverAsync(MacAddress mac, IPAddress? from, CancellationToken cancellationToken = default)
    {
        if (mac.IsZero || mac.IsMulticast)
        {
            throw new ArgumentException($"{mac} is not a unicast MAC address; only a NIC's own address is discovered.", nameof(mac));
        }

        // Answered from the snapshot when it can be: a flood of unknown MACs past the limit never reaches the writer.
        var current = _snapshot;
        if (current.NodeByMac(mac) is { } alreadyKnown)
        {
            return new DiscoveryResult(alreadyKnown, DiscoveryOutcome.Known);
        }

        if (current.DiscoveredCount >= _discovery.Value.MaxNodes)
        {
            _metrics.DiscoveryRefused();
            return new DiscoveryResult(Discovery.NodeFor(mac, _time.GetUtcNow(), Discovery.FreeName(mac, current.Nodes.ContainsKey)), DiscoveryOutcome.Refused);
        }

        var result = await WriteAsync<DiscoveryResult>((snapshot, batch) =>
        {
            if (snapshot.NodeByMac(mac) is { } known)
            {
                return (RegistryResult<DiscoveryResult>.Ok(new DiscoveryResult(known, DiscoveryOutcome.Known)), snapshot);
            }

            var now = _time.GetUtcNow();
            var node = Discovery.NodeFor(mac, now, Discovery.FreeName(mac, snapshot.Nodes.ContainsKey));
            if (snapshot.DiscoveredCount >= _discovery.Value.MaxNodes)
            {
                return (RegistryResult<DiscoveryResult>.Ok(new DiscoveryResult(node, DiscoveryOutcome.Refused)), snapshot);
            }

            long id = batch.InsertNode(node, now);
            AppendEvent(batch, node.Name, now, EventKind.Discovered, $"unknown MAC {mac} asked for its boot script" + (from is null ? "" : $" from {from}"), Actor.Boot);
            return (RegistryResult<DiscoveryResult>.Ok(new DiscoveryResult(node, DiscoveryOutcome.Registered)), snapshot.WithNode(new StoredNode(id, node, now)));
        }, cancellationToken);

        if (result.Value!.Outcome == DiscoveryOutcome.Refused)
        {
            _metrics.DiscoveryRefused();
        }

        return result.Value;
    }

    public async Task<IReadOnlyList<Node>> FailStuckBootsAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // The registry is walked here, on the caller's thread, against the published snapshot; the writer only checks the
        // few nodes found again. Walking it inside the writer would hold every queued write (boot scripts) for a walk
        // of the whole registry.
        var stuck = StuckBoots(_snapshot, _time.GetUtcNow(), timeout).Select(e => e.Node.Name).ToList();
        if (stuck.Count == 0)
        {
            return [];
        }

        var result = await WriteAsync<IReadOnlyList<Node>>((snapshot, batch) =>
        {
            var now = _time.GetUtcNow();
            var failed = new List<Node>();
            foreach (var name in stuck)
            {
                if (!snapshot.Nodes.TryGetValue(name, out var entry) || !IsStuck(entry, now, timeout))
                {
                    continue;
                }

                var decision = NodeLifecycle.Decide(entry.Node.State, NodeTrigger.BootTimedOut, ActorKind.Appliance);
                if (!decision.Changes)
                {
                    continue;
                }

                batch.SetState(entry.Id, decision.Next, now);
                var since = entry.StateChangedAt.ToString("u", CultureInfo.InvariantCulture);
                AppendEvent(batch, entry.Node.Name, now, EventKind.BootTimeout, $"no 'up' report within {timeout} of the boot script served at {since}", Actor.Appliance);
                var next = new StoredNode(entry.Id, entry.Node with { State = decision.Next, UpdatedAt = now }, now);
                snapshot = snapshot.WithNode(next);
                failed.Add(next.Node);
            }

            return (RegistryResult<IReadOnlyList<Node>>.Ok(failed), snapshot);
        }, cancellationToken);
        return result.Value ?? [];
    }

    private static IEnumerable<StoredNode> StuckBoots(RegistrySnapshot snapshot, DateTimeOffset now, TimeSpan timeout) =>
        snapshot.Nodes.Values.Where(e => IsStuck(e, now, timeout));

    private static bool IsStuck(StoredNode entry, DateTimeOffset now, TimeSpan timeout) =>
        entry.Node.State == NodeState.Booting && now - entry.StateChangedAt >= timeout;

    public async Task<IReadOnlyList<Node>> RemoveStaleDiscoveredAsync(TimeSpan retention, CancellationToken cancellationToken = default)
    {
        if (_snapshot.DiscoveredCount == 0)
        {
            return [];
        }

        var result = await WriteAsync<IReadOnlyList<Node>>((snapshot, batch) =>
        {
            var now = _time.GetUtcNow();
            var removed = new List<Node>();
            foreach (var entry in snapshot.Nodes.Values.Where(e => e.Node.State == NodeState.Discovered && now - e.Node.CreatedAt >= retention).ToList())
            {
                batch.DeleteNode(entry.Id);
                batch.DeleteEvents(entry.Node.Name);
                snapshot = snapshot.WithoutNode(entry.Node.Name);
                removed.Add(entry.Node);
            }

            return (RegistryResult<IReadOnlyList<Node>>.Ok(removed), snapshot);
        }, cancellationToken);
        return result.Value ?? [];
    }

    public async Task<RegistryHealth> CheckWritableAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await WriteAsync<bool>((snapshot, batch) =>
            {
                batch.ProbeWrite();
                return (RegistryResult<bool>.Ok(true), snapshot);
            }, cancellationToken);
            return new RegistryHealth(true, null);
        }
        catch (RegistryStoreException e)
        {
            return new RegistryHealth(false, e.Message);
        }
    }

    // ---- network writes ----

    public Task<RegistryResult<Network>> AddNetworkAsync(NetworkInput input, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
        {
            var validated = NetworkValidator.Validate(input, snapshot);
            if (!validated.Succeeded)
            {
                return (validated, snapshot);
            }

            batch.InsertNetwork(validated.Value, _time.GetUtcNow());
            return (validated, snapshot with { Networks = snapshot.Networks.SetItem(validated.Value.Name, validated.Value) });
        }, cancellationToken);

    public Task<RegistryResult<Network>> RemoveNetworkAsync(string name, Actor actor, CancellationToken cancellationToken = default) =>
        WriteAsync((snapshot, batch) =>
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

            batch.DeleteNetwork(network.Name);
            return (RegistryResult<Network>.Ok(network), snapshot with { Networks = snapshot.Networks.Remove(network.Name) });
        }, cancellationToken);

    // ---- rules ----

    /// <summary>The state a change leaves the node in. An operator may ask for <c>registered</c> or <c>retired</c>;
    /// giving a discovered node a role or a root adopts it. Every move is the lifecycle table's to allow.</summary>
    private static (NodeState State, FieldError? Problem) OperatorState(Node current, NodeInput changes, Actor actor)
    {
        bool adopting = current.State == NodeState.Discovered && (changes.Role is not null || changes.Root is not null);
        NodeTrigger? trigger = adopting ? NodeTrigger.Adopt : null;
        if (changes.State is not null)
        {
            if (!NodeEnumNames.TryParseState(changes.State, out var wanted))
            {
                return (current.State, new FieldError("state", $"'{changes.State}' is not a state an operator sets: registered or retired"));
            }

            switch (wanted)
            {
                case NodeState.Retired:
                    trigger = NodeTrigger.Retire;
                    break;
                case NodeState.Registered:
                    trigger ??= NodeTrigger.Reregister;
                    break;
                default:
                    return (current.State, new FieldError("state", $"'{wanted.ToWire()}' is set only by {SourceOf(wanted)}; an operator sets registered or retired"));
            }
        }

        if (trigger is not { } operatorTrigger)
        {
            return (current.State, null);
        }

        var decision = NodeLifecycle.Decide(current.State, operatorTrigger, actor.Kind);
        return decision.Allowed
            ? (decision.Next, null)
            : (current.State, new FieldError("state", $"node '{current.Name}' is {current.State.ToWire()}: {decision.Reason}"));
    }

    private static string SourceOf(NodeState state) => state switch
    {
        NodeState.Discovered => "the boot endpoint for unknown MACs",
        NodeState.Provisioning => "provisioning jobs",
        _ => "the node's boot (its boot script, boot reports and the boot timeout)",
    };

    /// <summary>A result with one more problem: a validation problem joins the others (every problem at once).</summary>
    private static RegistryResult<Node> Combine(RegistryResult<Node> result, FieldError problem)
    {
        var errors = result.Succeeded ? [] : result.Error.Errors;
        return new RegistryError(RegistryErrorKind.Validation, [problem, .. errors]);
    }

    /// <summary>Appends an event and keeps only the newest <c>Fabric:Events:MaxPerNode</c> of the node's.</summary>
    private void AppendEvent(IRegistryBatch batch, string node, DateTimeOffset at, EventKind kind, string message, Actor actor)
    {
        batch.InsertEvent(new EventRecord(node, at, kind, message, actor));
        batch.TrimEvents(node, _events.Value.MaxPerNode);
    }

    private static string Key(string name) => name.Trim().ToLowerInvariant();
}
