using System.Globalization;
using System.Net;
using Fabric.Core;
using Fabric.Registry.Storage;

namespace Fabric.Registry.Validation;

/// <summary>Checks a whole <see cref="NodeInput"/> against the registry and turns it into a <see cref="Node"/>,
/// collecting every problem: malformed fields are validation errors, taken names, MACs and addresses conflicts.</summary>
internal static class NodeValidator
{
    public const int MaxLabels = 64;
    public const int MaxLabelValueLength = 253;
    public const int MaxMacs = 16;

    /// <param name="input">The requested node.</param>
    /// <param name="snapshot">The registry as it is now.</param>
    /// <param name="existing">The node being changed (its own name, MACs and address are not conflicts), or null.</param>
    public static RegistryResult<Node> Validate(NodeInput input, RegistrySnapshot snapshot, Node? existing)
    {
        var errors = new List<FieldError>();
        var conflicts = new List<FieldError>();

        string? name = null;
        if (!HostName.TryNormalize(input.Name, out name, out var nameReason))
        {
            errors.Add(new FieldError("name", nameReason));
        }
        else if (existing is null && snapshot.Nodes.ContainsKey(name))
        {
            conflicts.Add(new FieldError("name", $"a node named '{name}' already exists"));
        }

        NodeRole role = default;
        bool roleValid = false;
        if (string.IsNullOrWhiteSpace(input.Role))
        {
            errors.Add(new FieldError("role", "a role is required: storage, hardware, instance or router"));
        }
        else if (!NodeEnumNames.TryParseRole(input.Role, out role))
        {
            errors.Add(new FieldError("role", $"'{input.Role}' is not a role: storage, hardware, instance or router"));
        }
        else
        {
            roleValid = true;
        }

        var macs = ValidateMacs(input, snapshot, existing, errors, conflicts);

        var state = existing?.State ?? NodeState.Registered;
        if (input.State is not null && !NodeEnumNames.TryParseState(input.State, out state))
        {
            errors.Add(new FieldError("state", $"'{input.State}' is not a state: registered, discovered, booting, up, failed or retired"));
        }

        var labels = ValidateLabels(input.Labels, errors);
        var (ip, network) = ValidateAddress(input, snapshot, existing, errors, conflicts);

        StorageSpec? storage = null;
        HardwareSpec? hardware = null;
        InstanceSpec? instance = null;
        if (roleValid)
        {
            CheckOwnership(input, role, errors);
            switch (role)
            {
                case NodeRole.Hardware:
                    hardware = ValidateHardware(input, errors);
                    break;
                case NodeRole.Storage:
                    storage = ValidateStorage(input, errors);
                    break;
                case NodeRole.Instance:
                    instance = ValidateInstance(input, network, errors);
                    break;
            }
        }

        if (errors.Count > 0)
        {
            errors.AddRange(conflicts);
            return new RegistryError(RegistryErrorKind.Validation, errors);
        }

        if (conflicts.Count > 0)
        {
            return new RegistryError(RegistryErrorKind.Conflict, conflicts);
        }

        return RegistryResult<Node>.Ok(new Node
        {
            Name = name!,
            Role = role,
            Macs = macs,
            Ip = ip,
            Network = network?.Name,
            State = state,
            Labels = labels,
            Storage = storage,
            Hardware = hardware,
            Instance = instance,
            CreatedAt = existing?.CreatedAt ?? default,
            UpdatedAt = existing?.UpdatedAt ?? default,
        });
    }

    private static List<MacAddress> ValidateMacs(NodeInput input, RegistrySnapshot snapshot, Node? existing, List<FieldError> errors, List<FieldError> conflicts)
    {
        var macs = new List<MacAddress>();
        var field = input.MacField;
        if (input.Macs is null || input.Macs.Count == 0)
        {
            errors.Add(new FieldError(field, "at least one MAC address is required"));
            return macs;
        }

        if (input.Macs.Count > MaxMacs)
        {
            errors.Add(new FieldError(field, $"a node has at most {MaxMacs} MAC addresses"));
            return macs;
        }

        for (int i = 0; i < input.Macs.Count; i++)
        {
            var itemField = input.Macs.Count == 1 && field == "mac" ? field : $"{field}[{i}]";
            var text = input.Macs[i];
            if (!MacAddress.TryParse(text, out var mac))
            {
                errors.Add(new FieldError(itemField, $"'{text}' is not a MAC address (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)"));
                continue;
            }

            if (mac.IsZero || mac.IsMulticast)
            {
                errors.Add(new FieldError(itemField, $"{mac} is not a unicast MAC address"));
                continue;
            }

            if (macs.Contains(mac))
            {
                errors.Add(new FieldError(itemField, $"{mac} is listed twice"));
                continue;
            }

            if (snapshot.Macs.TryGetValue(mac, out var owner) && owner != existing?.Name)
            {
                conflicts.Add(new FieldError(itemField, $"{mac} is already registered to node '{owner}'"));
            }

            macs.Add(mac);
        }

        return macs;
    }

    private static Dictionary<string, string> ValidateLabels(IReadOnlyDictionary<string, string>? labels, List<FieldError> errors)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (labels is null)
        {
            return result;
        }

        if (labels.Count > MaxLabels)
        {
            errors.Add(new FieldError("labels", $"a node has at most {MaxLabels} labels"));
            return result;
        }

        foreach (var (key, value) in labels)
        {
            if (!IsLabelKey(key))
            {
                errors.Add(new FieldError($"labels.{key}", "a label key is 1-63 letters, digits, '.', '_', '-' or '/', starting with a letter or digit"));
            }
            else if (value is null || value.Length > MaxLabelValueLength || value.Any(char.IsControl))
            {
                errors.Add(new FieldError($"labels.{key}", $"a label value is at most {MaxLabelValueLength} characters without control characters"));
            }
            else if (key == BootWaitLabel.Key && !BootWaitLabel.TryParse(value, out _))
            {
                errors.Add(new FieldError($"labels.{key}", $"'{value}' is not {BootWaitLabel.Rule}"));
            }
            else
            {
                result[key] = value;
            }
        }

        return result;
    }

    private static bool IsLabelKey(string key) =>
        key.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(key[0])
        && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/');

    private static (IPAddress? Ip, Network? Network) ValidateAddress(NodeInput input, RegistrySnapshot snapshot, Node? existing, List<FieldError> errors, List<FieldError> conflicts)
    {
        Network? network = null;
        if (!string.IsNullOrWhiteSpace(input.Network))
        {
            if (!snapshot.Networks.TryGetValue(input.Network.Trim().ToLowerInvariant(), out network))
            {
                errors.Add(new FieldError("network", $"unknown network '{input.Network}'"));
                return (null, null);
            }
        }

        if (!string.IsNullOrWhiteSpace(input.Ip))
        {
            if (!Ipv4.TryParse(input.Ip, out var ip))
            {
                errors.Add(new FieldError("ip", $"'{input.Ip}' is not an IPv4 address"));
                return (null, network);
            }

            network ??= snapshot.Networks.Values.FirstOrDefault(n => n.Cidr.Contains(ip));
            if (network is null)
            {
                errors.Add(new FieldError("ip", $"{ip} is not inside any managed network"));
                return (null, null);
            }

            if (!network.Cidr.Contains(ip))
            {
                errors.Add(new FieldError("ip", $"{ip} is outside network '{network.Name}' ({network.Cidr})"));
                return (null, network);
            }

            if (!Ipv4.IsHostAddress(network.Cidr, ip))
            {
                var what = ip.Equals(network.Cidr.BaseAddress) ? "network" : "broadcast";
                errors.Add(new FieldError("ip", $"{ip} is the {what} address of network '{network.Name}'"));
                return (null, network);
            }

            if (ip.Equals(network.Gateway))
            {
                errors.Add(new FieldError("ip", $"{ip} is the gateway of network '{network.Name}'"));
                return (null, network);
            }

            if (snapshot.Ips.TryGetValue(Ipv4.ToUInt32(ip), out var owner) && owner != existing?.Name)
            {
                conflicts.Add(new FieldError("ip", $"{ip} is already taken by node '{owner}'"));
            }

            return (ip, network);
        }

        if (network is null && snapshot.Networks.Count == 1)
        {
            network = snapshot.Networks.Values.First();
        }

        if (network is null)
        {
            return (null, null);
        }

        var free = NextFreeAddress(network, snapshot);
        if (free is null)
        {
            conflicts.Add(new FieldError("ip", $"network '{network.Name}' has no free address outside its dynamic pool"));
        }

        return (free, network);
    }

    /// <summary>The lowest host address of the network that is not its gateway, not in its dynamic pool and not taken.</summary>
    public static IPAddress? NextFreeAddress(Network network, RegistrySnapshot snapshot)
    {
        uint first = Ipv4.ToUInt32(network.Cidr.BaseAddress);
        uint last = Ipv4.ToUInt32(Ipv4.Broadcast(network.Cidr));
        if (network.Cidr.PrefixLength < 31)
        {
            first++;
            last--;
        }

        uint gateway = network.Gateway is null ? 0 : Ipv4.ToUInt32(network.Gateway);
        uint poolStart = network.PoolStart is null ? 1 : Ipv4.ToUInt32(network.PoolStart);
        uint poolEnd = network.PoolEnd is null ? 0 : Ipv4.ToUInt32(network.PoolEnd);
        for (ulong candidate = first; candidate <= last; candidate++)
        {
            uint value = (uint)candidate;
            if (value == gateway || (value >= poolStart && value <= poolEnd) || snapshot.Ips.ContainsKey(value))
            {
                continue;
            }

            return Ipv4.FromUInt32(value);
        }

        return null;
    }

    private static void CheckOwnership(NodeInput input, NodeRole role, List<FieldError> errors)
    {
        void Only(bool present, string field, params NodeRole[] owners)
        {
            if (present && !owners.Contains(role))
            {
                var names = string.Join(" and ", owners.Select(o => o.ToWire()));
                errors.Add(new FieldError(field, $"only {names} nodes have {field}"));
            }
        }

        Only(input.CpuCores is not null, "cpuCores", NodeRole.Hardware);
        Only(input.MemoryMiB is not null, "memoryMiB", NodeRole.Hardware, NodeRole.Instance);
        Only(input.Root is not null, "root", NodeRole.Hardware);
        Only(input.Pair is not null, "pair", NodeRole.Storage);
        Only(input.AoeShelf is not null, "aoeShelf", NodeRole.Storage);
        Only(input.Volumes is not null, "volumes", NodeRole.Storage);
        Only(input.NfsExports is not null, "nfsExports", NodeRole.Storage);
        Only(input.VCpus is not null, "vCpus", NodeRole.Instance);
        Only(input.DiskVolume is not null, "diskVolume", NodeRole.Instance);
        Only(input.Hypervisor is not null, "hypervisor", NodeRole.Instance);
    }

    private static HardwareSpec ValidateHardware(NodeInput input, List<FieldError> errors)
    {
        Positive(input.CpuCores, "cpuCores", 4096, errors);
        Positive(input.MemoryMiB, "memoryMiB", 1L << 32, errors);
        RootSpec? root = null;
        if (input.Root is not null && !RootSpec.TryParse(input.Root, out root, out var reason))
        {
            errors.Add(new FieldError("root", $"'{input.Root}' is not a root: {reason}"));
        }

        return new HardwareSpec(input.CpuCores, input.MemoryMiB, root);
    }

    private static StorageSpec ValidateStorage(NodeInput input, List<FieldError> errors)
    {
        string? pair = null;
        if (input.Pair is not null && !HostName.TryNormalize(input.Pair, out pair, out var reason))
        {
            errors.Add(new FieldError("pair", reason));
        }

        if (input.AoeShelf is < 0 or > AoeTarget.MaxShelf)
        {
            errors.Add(new FieldError("aoeShelf", $"an AoE shelf is 0-{AoeTarget.MaxShelf}"));
        }

        var volumes = new List<StorageVolume>();
        var slots = new HashSet<int>();
        for (int i = 0; i < (input.Volumes?.Count ?? 0); i++)
        {
            var v = input.Volumes![i];
            var field = $"volumes[{i}]";
            if (v is null)
            {
                errors.Add(new FieldError(field, "a volume is required"));
                continue;
            }

            if (string.IsNullOrWhiteSpace(v.Name) || !v.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add(new FieldError($"{field}.name", "a volume name is letters, digits, '-', '_' and '.'"));
            }

            if (v.Slot is < 0 or > AoeTarget.MaxSlot)
            {
                errors.Add(new FieldError($"{field}.slot", $"an AoE slot is 0-{AoeTarget.MaxSlot}"));
            }
            else if (!slots.Add(v.Slot))
            {
                errors.Add(new FieldError($"{field}.slot", $"slot {v.Slot} is used by another volume of this node"));
            }

            if (v.SizeBytes <= 0)
            {
                errors.Add(new FieldError($"{field}.sizeBytes", "a volume size is positive"));
            }

            if (!IsAbsolutePath(v.BackingPath))
            {
                errors.Add(new FieldError($"{field}.backingPath", "a backing path is an absolute path without '..'"));
            }

            volumes.Add(new StorageVolume(v.Name ?? "", v.Slot, v.SizeBytes, v.BackingPath ?? ""));
        }

        var exports = new List<string>();
        for (int i = 0; i < (input.NfsExports?.Count ?? 0); i++)
        {
            var path = input.NfsExports![i];
            if (!IsAbsolutePath(path))
            {
                errors.Add(new FieldError($"nfsExports[{i}]", $"'{path}' is not an absolute path without '..'"));
            }
            else
            {
                exports.Add(path);
            }
        }

        return new StorageSpec(pair, input.AoeShelf, volumes, exports);
    }

    private static InstanceSpec ValidateInstance(NodeInput input, Network? network, List<FieldError> errors)
    {
        Positive(input.VCpus, "vCpus", 1024, errors);
        Positive(input.MemoryMiB, "memoryMiB", 1L << 32, errors);
        string? hypervisor = null;
        if (input.Hypervisor is not null && !HostName.TryNormalize(input.Hypervisor, out hypervisor, out var reason))
        {
            errors.Add(new FieldError("hypervisor", reason));
        }

        if (input.DiskVolume is not null && (input.DiskVolume.Length is 0 or > 255 || input.DiskVolume.Any(char.IsControl)))
        {
            errors.Add(new FieldError("diskVolume", "a disk volume is 1-255 characters without control characters"));
        }

        return new InstanceSpec(input.VCpus, input.MemoryMiB, input.DiskVolume, network?.Name, hypervisor);
    }

    private static void Positive(long? value, string field, long max, List<FieldError> errors)
    {
        if (value is not null && (value <= 0 || value > max))
        {
            errors.Add(new FieldError(field, string.Create(CultureInfo.InvariantCulture, $"{field} is 1-{max}")));
        }
    }

    private static bool IsAbsolutePath(string? path) =>
        !string.IsNullOrWhiteSpace(path) && path.StartsWith('/') && !path.Split('/').Contains("..") && !path.Any(char.IsControl);
}
