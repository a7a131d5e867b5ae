using System.Net;
using Fabric.Core;

namespace Fabric.Registry.Validation;

/// <summary>Checks a whole <see cref="NetworkInput"/>, collecting every problem.</summary>
internal static class NetworkValidator
{
    public const int MinLeaseSeconds = 60;

    public static RegistryResult<Network> Validate(NetworkInput input, RegistrySnapshot snapshot)
    {
        var errors = new List<FieldError>();
        var conflicts = new List<FieldError>();

        if (!HostName.TryNormalize(input.Name, out var name, out var nameReason))
        {
            errors.Add(new FieldError("name", nameReason));
        }
        else if (snapshot.Networks.ContainsKey(name))
        {
            conflicts.Add(new FieldError("name", $"a network named '{name}' already exists"));
        }

        IPNetwork? cidr = null;
        if (!Ipv4.TryParseNetwork(input.Cidr, out var parsed))
        {
            errors.Add(new FieldError("cidr", $"'{input.Cidr}' is not an IPv4 network address with a prefix, like 10.0.0.0/24"));
        }
        else if (parsed.PrefixLength > 30)
        {
            errors.Add(new FieldError("cidr", "a managed network is /30 or larger"));
        }
        else if (!IPAddress.Parse(input.Cidr!.Trim().Split('/')[0]).Equals(Ipv4.FromUInt32(Ipv4.ToUInt32(parsed.BaseAddress) & Ipv4.Mask(parsed))))
        {
            errors.Add(new FieldError("cidr", $"'{input.Cidr}' has host bits set; the network would be {Ipv4.FromUInt32(Ipv4.ToUInt32(parsed.BaseAddress) & Ipv4.Mask(parsed))}/{parsed.PrefixLength}"));
        }
        else
        {
            cidr = parsed;
            var overlap = snapshot.Networks.Values.FirstOrDefault(n => n.Cidr.Contains(parsed.BaseAddress) || parsed.Contains(n.Cidr.BaseAddress));
            if (overlap is not null)
            {
                conflicts.Add(new FieldError("cidr", $"{parsed} overlaps network '{overlap.Name}' ({overlap.Cidr})"));
            }
        }

        var gateway = HostAddress(input.Gateway, "gateway", cidr, errors);
        var poolStart = HostAddress(input.PoolStart, "poolStart", cidr, errors);
        var poolEnd = HostAddress(input.PoolEnd, "poolEnd", cidr, errors);
        if ((input.PoolStart is null) != (input.PoolEnd is null))
        {
            errors.Add(new FieldError(input.PoolStart is null ? "poolStart" : "poolEnd", "a dynamic pool needs both poolStart and poolEnd"));
        }
        else if (poolStart is not null && poolEnd is not null)
        {
            if (Ipv4.ToUInt32(poolStart) > Ipv4.ToUInt32(poolEnd))
            {
                errors.Add(new FieldError("poolEnd", $"{poolEnd} comes before poolStart {poolStart}"));
            }
            else if (gateway is not null && Ipv4.ToUInt32(gateway) >= Ipv4.ToUInt32(poolStart) && Ipv4.ToUInt32(gateway) <= Ipv4.ToUInt32(poolEnd))
            {
                errors.Add(new FieldError("gateway", $"{gateway} is inside the dynamic pool"));
            }
        }

        var dns = new List<IPAddress>();
        for (int i = 0; i < (input.Dns?.Count ?? 0); i++)
        {
            if (!Ipv4.TryParse(input.Dns![i], out var server))
            {
                errors.Add(new FieldError($"dns[{i}]", $"'{input.Dns[i]}' is not an IPv4 address"));
            }
            else
            {
                dns.Add(server);
            }
        }

        if (input.Vlan is < 1 or > 4094)
        {
            errors.Add(new FieldError("vlan", "a VLAN id is 1-4094"));
        }

        if (input.LeaseSeconds is < MinLeaseSeconds)
        {
            errors.Add(new FieldError("leaseSeconds", $"a lease is at least {MinLeaseSeconds} seconds"));
        }

        if (input.BootTimeoutSeconds is { } bootTimeout && !BootWaitLabel.TryParse(bootTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture), out _))
        {
            errors.Add(new FieldError("bootTimeoutSeconds", $"{bootTimeout} is not {BootWaitLabel.Rule}"));
        }

        var kind = NetworkKind.Boot;
        if (input.Kind is not null && !NetworkKindNames.TryParse(input.Kind, out kind))
        {
            errors.Add(new FieldError("kind", $"'{input.Kind}' is not a network kind: {string.Join(", ", NetworkKindNames.All)}"));
        }
        else if (kind.IsRouted())
        {
            // The router carries a private or public network on a VLAN sub-interface holding its gateway.
            if (input.Vlan is null)
            {
                errors.Add(new FieldError("vlan", $"a {kind.ToWire()} network needs a VLAN (the router joins it on its trunk)"));
            }
            else if (snapshot.Networks.Values.FirstOrDefault(n => n.Kind.IsRouted() && n.Vlan == input.Vlan) is { } other)
            {
                conflicts.Add(new FieldError("vlan", $"VLAN {input.Vlan} is used by {other.Kind.ToWire()} network '{other.Name}'"));
            }

            if (input.Gateway is null)
            {
                errors.Add(new FieldError("gateway", $"a {kind.ToWire()} network needs a gateway (the router's address on it)"));
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

        var lease = input.LeaseSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : Network.DefaultLeaseTime;
        return RegistryResult<Network>.Ok(new Network(name!, cidr!.Value, gateway, dns, poolStart, poolEnd, input.Vlan, lease, input.ServeUnknown ?? false, input.BootTimeoutSeconds, kind));
    }

    private static IPAddress? HostAddress(string? text, string field, IPNetwork? cidr, List<FieldError> errors)
    {
        if (text is null)
        {
            return null;
        }

        if (!Ipv4.TryParse(text, out var address))
        {
            errors.Add(new FieldError(field, $"'{text}' is not an IPv4 address"));
            return null;
        }

        if (cidr is { } network && !Ipv4.IsHostAddress(network, address))
        {
            errors.Add(new FieldError(field, $"{address} is not a host address of {network}"));
            return null;
        }

        return address;
    }
}
