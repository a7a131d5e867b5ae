using System.Globalization;
using Fabric.Core;

namespace Fabric.Boot;

/// <summary>A storage node that serves a HardwareNode's root, as templates see it.</summary>
/// <param name="Name">The storage node's name (template key <c>name</c>).</param>
/// <param name="Ip">Its address, or empty (<c>ip</c>).</param>
/// <param name="Target">The AoE target it serves for this root, e.g. <c>e0.1</c>, or empty for NFS (<c>target</c>).</param>
public sealed record BootStorageTarget(string Name, string Ip, string Target);

/// <summary>One label of a node (<c>key</c>, <c>value</c>).</summary>
public sealed record BootLabel(string Key, string Value);

/// <summary>One volume a storage node exports (<c>name</c>, <c>slot</c>, <c>target</c>).</summary>
public sealed record BootVolume(string Name, string Slot, string Target);

/// <summary>
/// The flat model every template is rendered against. Every value is a plain string (empty when absent, and
/// empty is false in <c>{{ if x }}</c>) or a list of plain records; nothing from the registry is ever parsed as a
/// template. Templates see the properties in snake_case: <c>{{ name }}</c>, <c>{{ mac_hyphen }}</c>,
/// <c>{{ files_url }}</c>, <c>{{ for t in storage_targets }}{{ t.ip }}{{ end }}</c> (templates/README.md lists them).
/// Every value is escaped on output by <see cref="BootText"/>.
/// </summary>
public sealed record BootModel
{
    /// <summary>The root a StorageNode boots with: its initramfs stays in RAM as its root.</summary>
    public const string StorageRoot = "ram";

    /// <summary>Node name (host-name rules), e.g. <c>hnode01</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The host name the node gives itself: the first label of its name.</summary>
    public required string Hostname { get; init; }

    /// <summary><c>storage</c>, <c>hardware</c>, <c>instance</c> or <c>router</c>.</summary>
    public required string Role { get; init; }

    /// <summary><c>registered</c>, <c>discovered</c>, <c>booting</c>, ...</summary>
    public required string State { get; init; }

    /// <summary>The MAC the script is for (the boot NIC): <c>aa:bb:cc:dd:ee:ff</c>.</summary>
    public required string Mac { get; init; }

    /// <summary>The same MAC with hyphens: <c>aa-bb-cc-dd-ee-ff</c>.</summary>
    public required string MacHyphen { get; init; }

    /// <summary>The pxelinux per-MAC file name: <c>01-aa-bb-cc-dd-ee-ff</c> (ARP type 1 = Ethernet).</summary>
    public required string PxelinuxName { get; init; }

    /// <summary>The node's IPv4 address, or empty.</summary>
    public required string Ip { get; init; }

    /// <summary>Dotted netmask of the node's network, e.g. <c>255.255.255.0</c>, or empty.</summary>
    public required string Netmask { get; init; }

    /// <summary>Prefix length of the node's network, e.g. <c>24</c>, or empty.</summary>
    public required string PrefixLength { get; init; }

    /// <summary>Default gateway, or empty.</summary>
    public required string Gateway { get; init; }

    /// <summary>DNS servers, comma-separated, or empty.</summary>
    public required string Dns { get; init; }

    /// <summary>The network's name, or empty.</summary>
    public required string Network { get; init; }

    /// <summary><c>yes</c> when the node boots Fabric's kernel and initramfs from the network: a
    /// HardwareNode with a root, or a StorageNode; empty otherwise (instances, the router, discovered
    /// nodes and HardwareNodes still without a root).</summary>
    public required string NetBoot { get; init; }

    /// <summary>The root spec of a HardwareNode, <c>aoe:e0.1</c>, <c>aoe-md:e0.1,e1.1</c>,
    /// <c>nfs:server:/path</c>; <c>ram</c> for a StorageNode (it runs from its initramfs and serves
    /// its own disks); empty when it has none.</summary>
    public required string Root { get; init; }

    /// <summary>The kernel argument for the root: <c>fabric.root=aoe:e0.1</c>, or empty.</summary>
    public required string RootArg { get; init; }

    /// <summary><c>aoe</c>, <c>aoe-md</c>, <c>nfs</c>, <c>ram</c> or empty.</summary>
    public required string RootTransport { get; init; }

    /// <summary>The storage nodes serving the root (one, or two for <c>aoe-md</c>).</summary>
    public required IReadOnlyList<BootStorageTarget> StorageTargets { get; init; }

    /// <summary>The per-node boot token, or empty when the request did not come from the node itself.</summary>
    public required string Token { get; init; }

    /// <summary>The appliance's HTTP base URL as nodes reach it, without a trailing slash.</summary>
    public required string PublicUrl { get; init; }

    /// <summary>Where boot artifacts are served over HTTP: <c>&lt;publicUrl&gt;/boot/files</c>.</summary>
    public required string FilesUrl { get; init; }

    /// <summary>This node's iPXE script: <c>&lt;publicUrl&gt;/boot/&lt;mac&gt;.ipxe</c>.</summary>
    public required string ScriptUrl { get; init; }

    /// <summary>The TFTP server (next-server) address, or empty when TFTP is off.</summary>
    public required string TftpServer { get; init; }

    /// <summary>Kernel file name inside the boot folder: <c>vmlinuz</c>.</summary>
    public required string Kernel { get; init; }

    /// <summary>Initramfs file name inside the boot folder: <c>initrd.img</c>.</summary>
    public required string Initrd { get; init; }

    /// <summary>Seconds a waiting script (discovery, failed boot) sleeps before it tries again.</summary>
    public required string RetrySeconds { get; init; }

    /// <summary>Seconds the initramfs waits for each boot step: the node's <c>fabric.timeout</c> label when it has
    /// a valid one, else <c>Fabric:Boot:TimeoutSeconds</c>, e.g. <c>30</c>.</summary>
    public required string Timeout { get; init; }

    /// <summary>The node's labels, sorted by key.</summary>
    public required IReadOnlyList<BootLabel> Labels { get; init; }

    /// <summary>StorageNode: its AoE shelf number, or empty.</summary>
    public required string AoeShelf { get; init; }

    /// <summary>StorageNode: its redundant pair's name, or empty.</summary>
    public required string Pair { get; init; }

    /// <summary>StorageNode: the volumes it exports.</summary>
    public required IReadOnlyList<BootVolume> Volumes { get; init; }

    /// <summary>Instance: the HardwareNode it runs on, or empty.</summary>
    public required string Hypervisor { get; init; }

    /// <summary>Builds the model for one node. Pure: no I/O.</summary>
    public static BootModel From(BootContext context, BootRenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var node = context.Node;
        var network = context.Network;
        var publicUrl = context.Endpoints.HttpBase.ToString().TrimEnd('/');
        var mac = context.Mac.ToString();
        var root = node.Hardware?.Root;
        bool discovered = node.State == NodeState.Discovered;
        bool storage = node.Role == NodeRole.Storage;
        string rootText = storage ? StorageRoot : root?.ToString() ?? string.Empty;

        return new BootModel
        {
            Name = node.Name,
            Hostname = node.Name.Split('.')[0],
            Role = node.Role.ToWire(),
            State = node.State.ToWire(),
            Mac = mac,
            MacHyphen = context.Mac.ToString('-'),
            PxelinuxName = "01-" + context.Mac.ToString('-'),
            Ip = node.Ip?.ToString() ?? string.Empty,
            Netmask = network is null ? string.Empty : Ipv4.MaskAddress(network.Cidr).ToString(),
            PrefixLength = network is null ? string.Empty : network.Cidr.PrefixLength.ToString(CultureInfo.InvariantCulture),
            Gateway = network?.Gateway?.ToString() ?? string.Empty,
            Dns = network is null ? string.Empty : string.Join(',', network.Dns.Select(d => d.ToString())),
            Network = node.Network ?? network?.Name ?? string.Empty,
            NetBoot = !discovered && (storage || (node.Role == NodeRole.Hardware && root is not null)) ? "yes" : string.Empty,
            Root = rootText,
            RootArg = rootText.Length == 0 ? string.Empty : "fabric.root=" + rootText,
            RootTransport = storage ? StorageRoot : root?.Transport switch
            {
                Core.RootTransport.Aoe => "aoe",
                Core.RootTransport.AoeMd => "aoe-md",
                Core.RootTransport.Nfs => "nfs",
                _ => string.Empty,
            },
            StorageTargets = StorageTargetsFor(root, context.RootTargets),
            Token = context.BootToken ?? string.Empty,
            PublicUrl = publicUrl,
            FilesUrl = Core.BootUrls.Files(context.Endpoints.FilesBase?.ToString() ?? publicUrl),
            ScriptUrl = Core.BootUrls.Script(publicUrl, mac),
            TftpServer = context.Endpoints.TftpServer ?? string.Empty,
            Kernel = options.KernelName,
            Initrd = options.InitrdName,
            RetrySeconds = options.RetrySeconds.ToString(CultureInfo.InvariantCulture),
            Timeout = BootTimeout(node, network, options).ToString(CultureInfo.InvariantCulture),
            Labels = node.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => new BootLabel(l.Key, l.Value)).ToArray(),
            AoeShelf = node.Storage?.AoeShelf?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            Pair = node.Storage?.Pair ?? string.Empty,
            Volumes = VolumesOf(node.Storage),
            Hypervisor = node.Instance?.Hypervisor ?? string.Empty,
        };
    }

    /// <summary>The node's <c>fabric.timeout</c> label, else its network's boot timeout, else the appliance's default.</summary>
    internal static int BootTimeout(Node node, Network? network, BootRenderOptions options) =>
        node.Labels.TryGetValue(BootWaitLabel.Key, out var wait) && BootWaitLabel.TryParse(wait, out int seconds) ? seconds
        : network?.BootTimeoutSeconds ?? options.TimeoutSeconds;

    private static BootStorageTarget[] StorageTargetsFor(RootSpec? root, IReadOnlyList<Node> storageNodes)
    {
        if (root is null)
        {
            return [];
        }

        var result = new List<BootStorageTarget>();
        if (root.Transport == Core.RootTransport.Nfs)
        {
            var server = storageNodes.Count > 0 ? storageNodes[0] : null;
            result.Add(new BootStorageTarget(server?.Name ?? root.NfsServer ?? string.Empty, server?.Ip?.ToString() ?? root.NfsServer ?? string.Empty, string.Empty));
            return [.. result];
        }

        foreach (var target in root.AoeTargets)
        {
            var server = storageNodes.FirstOrDefault(n => n.Storage?.AoeShelf == target.Shelf);
            result.Add(new BootStorageTarget(server?.Name ?? string.Empty, server?.Ip?.ToString() ?? string.Empty, target.ToString()));
        }

        return [.. result];
    }

    private static BootVolume[] VolumesOf(StorageSpec? storage)
    {
        if (storage is null)
        {
            return [];
        }

        return storage.Volumes
            .OrderBy(v => v.Slot)
            .Select(v => new BootVolume(
                v.Name,
                v.Slot.ToString(CultureInfo.InvariantCulture),
                storage.AoeShelf is int shelf ? new AoeTarget(shelf, v.Slot).ToString() : string.Empty))
            .ToArray();
    }

    /// <summary>The model as templates see it: a read-only Scriban object of plain strings and arrays of plain
    /// objects, keys in snake_case (<c>mac_hyphen</c>, <c>storage_targets</c>). No .NET object reaches a template.</summary>
    internal Rendering.BootModelObject ToScriptObject() => new(this);
}
