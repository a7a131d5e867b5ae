using System.Net;
using Fabric.Core;
using Fabric.Registry.Roles;

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

        var module = roleValid ? RoleModules.For(role) : null;
        Node? node = null;
        if (module is not null)
        {
            CheckOwnership(input, module, errors);
            node = module.WithSpec(
                new Node
                {
                    Name = name ?? "",
                    Role = role,
                    Macs = macs,
                    Ip = ip,
                    Network = network?.Name,
                    State = state,
                    Labels = labels,
                    CreatedAt = existing?.CreatedAt ?? default,
                    UpdatedAt = existing?.UpdatedAt ?? default,
                },
                input,
                network,
                errors);
            node = SshFields.WithAccess(node, input, errors);
            node = module.Carry(node, existing);
        }

        // An NFS export that is a hardware node's root stays while that node uses it.
        foreach (var path in (existing?.Storage?.NfsExports ?? []).Except(node?.Storage?.NfsExports ?? [], StringComparer.Ordinal))
        {
            if (RegistryService.NfsRootUsers(snapshot, path) is { Count: > 0 } users)
            {
                conflicts.Add(new FieldError("nfsExports", $"'{path}' is the root of {string.Join(", ", users)}"));
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

        return RegistryResult<Node>.Ok(node!);
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

    /// <summary>A field of another role is a problem naming the roles that have it.</summary>
    private static void CheckOwnership(NodeInput input, RoleModule module, List<FieldError> errors)
    {
        foreach (var field in RoleModules.Fields)
        {
            if (field.Get(input) is not null && !module.Fields.Any(f => f.Name == field.Name))
            {
                var names = string.Join(" and ", RoleModules.Owners(field.Name).Select(o => o.ToWire()));
                errors.Add(new FieldError(field.Name, $"only {names} nodes have {field.Name}"));
            }
        }
    }
}
