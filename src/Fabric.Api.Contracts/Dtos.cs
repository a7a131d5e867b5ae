using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fabric.Api.Contracts;

/// <summary>The JSON wire format of the REST API: camelCase names, enums as lower-case strings,
/// nulls omitted on output.</summary>
public static class FabricJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        return options;
    }
}

/// <summary>A storage volume, exported over AoE as slot <see cref="Slot"/> of the node's shelf.</summary>
public sealed record VolumeDto(string Name, int Slot, long SizeBytes, string BackingPath);

/// <summary>A node as the API returns it.</summary>
public sealed record NodeDto
{
    public required string Name { get; init; }

    /// <summary><c>storage</c>, <c>hardware</c>, <c>instance</c> or <c>router</c>.</summary>
    public required string Role { get; init; }

    /// <summary>Canonical MACs, <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public required IReadOnlyList<string> Macs { get; init; }

    public string? Ip { get; init; }

    public string? Network { get; init; }

    /// <summary><c>registered</c>, <c>discovered</c>, <c>booting</c>, <c>up</c>, <c>failed</c>, <c>retired</c>.</summary>
    public required string State { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    // hardware
    public int? CpuCores { get; init; }

    public long? MemoryMiB { get; init; }

    /// <summary><c>aoe:e0.1</c>, <c>aoe-md:e0.1,e1.1</c> or <c>nfs:server:/path</c>.</summary>
    public string? Root { get; init; }

    // storage
    public string? Pair { get; init; }

    public int? AoeShelf { get; init; }

    public IReadOnlyList<VolumeDto>? Volumes { get; init; }

    public IReadOnlyList<string>? NfsExports { get; init; }

    // instance
    public int? VCpus { get; init; }

    public string? DiskVolume { get; init; }

    public string? Hypervisor { get; init; }

    // storage: volume folder (default /srv/fabric/volumes) and the interface AoE is served on (default eth0)
    public string? StoragePath { get; init; }

    public string? AoeInterface { get; init; }

    /// <summary>Storage: the folder of the node's images (default /srv/fabric/images).</summary>
    public string? ImagePath { get; init; }

    // every role: SSH access (address defaults to ip, port to 22, user to root) and the pinned host key
    public string? SshAddress { get; init; }

    public int? SshPort { get; init; }

    public string? SshUser { get; init; }

    /// <summary>The pinned host key, <c>ssh-ed25519 AAAA...</c>.</summary>
    public string? SshHostKey { get; init; }

    public string? Image { get; init; }

    // router: the interface towards the hypervisors carrying the VLANs (default eth1) and the one towards the outside (eth2)
    public string? TrunkInterface { get; init; }

    public string? UplinkInterface { get; init; }

    /// <summary>An instance's lifecycle state: defined, starting, running, migrating, stopping, stopped or failed.</summary>
    public string? InstanceState { get; init; }

    /// <summary>A storage node's health from Fabric's checks: <c>ok</c>, <c>down</c> or <c>unknown</c> (not checked yet).</summary>
    public string? Health { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The node fields a registration and a change have in common.</summary>
public abstract record NodeFieldsRequest
{
    public string? Role { get; init; }

    public IReadOnlyList<string>? Macs { get; init; }

    public string? Ip { get; init; }

    public string? Network { get; init; }

    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public int? CpuCores { get; init; }

    public long? MemoryMiB { get; init; }

    public string? Root { get; init; }

    public string? Pair { get; init; }

    public int? AoeShelf { get; init; }

    public IReadOnlyList<VolumeDto>? Volumes { get; init; }

    public IReadOnlyList<string>? NfsExports { get; init; }

    public int? VCpus { get; init; }

    public string? DiskVolume { get; init; }

    public string? Hypervisor { get; init; }

    // storage: volume folder (default /srv/fabric/volumes) and the interface AoE is served on (default eth0)
    public string? StoragePath { get; init; }

    public string? AoeInterface { get; init; }

    /// <summary>Storage: the folder of the node's images (default /srv/fabric/images).</summary>
    public string? ImagePath { get; init; }

    // every role: SSH access (address defaults to ip, port to 22, user to root) and the pinned host key
    public string? SshAddress { get; init; }

    public int? SshPort { get; init; }

    public string? SshUser { get; init; }

    /// <summary>The pinned host key, <c>ssh-ed25519 AAAA...</c>.</summary>
    public string? SshHostKey { get; init; }

    public string? Image { get; init; }

    // router: the interface towards the hypervisors carrying the VLANs (default eth1) and the one towards the outside (eth2)
    public string? TrunkInterface { get; init; }

    public string? UplinkInterface { get; init; }
}

/// <summary>POST /api/v1/nodes. Either <see cref="Mac"/> or <c>Macs</c>; <c>Ip</c> is the
/// next free address of <c>Network</c> when omitted.</summary>
public sealed record CreateNodeRequest : NodeFieldsRequest
{
    public string? Name { get; init; }

    public string? Mac { get; init; }

    /// <summary>A hardware node without a root: make it on a storage pair (see <see cref="ProvisionRequest"/>).</summary>
    public ProvisionRequest? Provision { get; init; }
}

/// <summary>PATCH /api/v1/nodes/{name}, a JSON merge patch: present fields replace stored ones, fields set to null
/// are removed.</summary>
public sealed record PatchNodeRequest : NodeFieldsRequest
{
    public string? State { get; init; }
}

/// <summary>A managed network.</summary>
public sealed record NetworkDto
{
    public required string Name { get; init; }

    public required string Cidr { get; init; }

    public string? Gateway { get; init; }

    public IReadOnlyList<string> Dns { get; init; } = [];

    public string? PoolStart { get; init; }

    public string? PoolEnd { get; init; }

    public int? Vlan { get; init; }

    /// <summary>DHCP lease time in seconds.</summary>
    public int LeaseSeconds { get; init; }

    /// <summary>Whether unknown MACs get a pool address (and PXE into discovery).</summary>
    public bool ServeUnknown { get; init; }

    /// <summary>Seconds its nodes' initramfs waits for each boot step (<c>fabric.timeout</c>), unless a node's own
    /// <c>fabric.timeout</c> label says otherwise; null for the appliance's default.</summary>
    public int? BootTimeoutSeconds { get; init; }

    /// <summary><c>boot</c>, <c>private</c> or <c>public</c>: the router carries private and public networks.</summary>
    public string Kind { get; init; } = "boot";
}

/// <summary>POST /api/v1/networks.</summary>
public sealed record CreateNetworkRequest
{
    public string? Name { get; init; }

    public string? Cidr { get; init; }

    public string? Gateway { get; init; }

    public IReadOnlyList<string>? Dns { get; init; }

    public string? PoolStart { get; init; }

    public string? PoolEnd { get; init; }

    public int? Vlan { get; init; }

    public int? LeaseSeconds { get; init; }

    public bool? ServeUnknown { get; init; }

    /// <summary>1-3600 seconds, or null for the appliance's default.</summary>
    public int? BootTimeoutSeconds { get; init; }

    /// <summary><c>boot</c> (the default), <c>private</c> or <c>public</c>; a private or public network needs a VLAN and a
    /// gateway (the router's address on it).</summary>
    public string? Kind { get; init; }
}

/// <summary>One entry of a node's event log.</summary>
public sealed record NodeEventDto(long Id, string Node, DateTimeOffset At, string Kind, string Message, string Actor);

/// <summary>A DHCP lease as GET /api/v1/leases returns it.</summary>
public sealed record LeaseDto(string Ip, string Mac, string? Hostname, string? Node, string State, DateTimeOffset Starts, DateTimeOffset Ends);

/// <summary>POST /api/v1/nodes/{name}/boot-events, sent by a booting node's initramfs and init with the
/// per-node boot token from its kernel command line (<c>Authorization: Bearer</c>).</summary>
/// <param name="Stage">e.g. <c>initramfs</c>, <c>root-mounted</c>, <c>up</c>, <c>failed</c>.</param>
/// <param name="Message">Free text: for <c>failed</c>, what the node waited for.</param>
/// <param name="UptimeSeconds">Seconds since the node's kernel started, if known.</param>
/// <summary>A boot report. <see cref="SshHostKey"/> (with <c>up</c> only) is the node's SSH host key: pinned when the node
/// has none yet, refused (409, an <c>ssh-host-key-mismatch</c> event) when it differs from the pinned one.</summary>
public sealed record BootEventRequest(string Stage, string? Message, double? UptimeSeconds, string? SshHostKey = null);

/// <summary>One change of a router's plan (GET /api/v1/routers/{name}/plan).</summary>
/// <param name="Kind"><c>add-link</c>, <c>set-link-up</c>, <c>del-addr</c>, <c>add-addr</c>, <c>set-sysctl</c>,
/// <c>replace-table</c> or <c>del-link</c>.</param>
/// <param name="Target">The interface, sysctl key or table it changes.</param>
/// <param name="Description">One line, e.g. <c>add link eth1.100 (vlan 100, network pub1)</c>.</param>
/// <param name="Commands">The commands it runs on the router, as shell text.</param>
public sealed record RouterChangeDto(string Kind, string Target, string Description, IReadOnlyList<string> Commands);

/// <summary>What applying a router would change now: empty <see cref="Changes"/> when it matches the registry.</summary>
public sealed record RouterPlanDto(string Router, IReadOnlyList<RouterChangeDto> Changes);

/// <summary>An operator's rule between two instance networks (GET /api/v1/routers/rules): instances of
/// <see cref="From"/> may open connections to the instances of <see cref="To"/> through the router.</summary>
/// <param name="Id">The rule's number.</param>
/// <param name="From">The network the connections come from.</param>
/// <param name="To">The network they go to.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c> or <c>icmp</c>; null for any.</param>
/// <param name="Port">The destination port; null for any.</param>
/// <param name="CreatedAt">When it was recorded.</param>
public sealed record RouterRuleDto(long Id, string From, string To, string? Protocol, int? Port, DateTimeOffset CreatedAt);

/// <summary>POST /api/v1/routers/rules: allow connections from one instance network to another.</summary>
public sealed record CreateRouterRuleRequest
{
    public string? From { get; init; }

    public string? To { get; init; }

    /// <summary><c>tcp</c>, <c>udp</c>, <c>icmp</c> or <c>any</c> (the default).</summary>
    public string? Protocol { get; init; }

    /// <summary>A destination port (with tcp or udp); absent for any.</summary>
    public int? Port { get; init; }
}
