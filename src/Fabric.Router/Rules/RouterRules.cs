using System.Globalization;
using Fabric.Core;
using Fabric.Registry;
using Fabric.Registry.RouterRules;

namespace Fabric.Router.Rules;

/// <summary>A rule as an operator asks for it: <c>fabric router allow FROM TO [--proto P] [--port N]</c>.</summary>
/// <param name="From">The network whose instances open the connections.</param>
/// <param name="To">The network whose instances are reached.</param>
/// <param name="Protocol"><c>tcp</c>, <c>udp</c>, <c>icmp</c>, or null (or <c>any</c>) for any protocol.</param>
/// <param name="Port">A destination port from 1 to 65535, with <c>tcp</c> or <c>udp</c>; null for any.</param>
public sealed record RouterRuleRequest(string? From, string? To, string? Protocol = null, int? Port = null);

/// <summary>The operator's rules between instance networks. Instances of two networks never reach each other through
/// the router but by a rule here; each rule lets one network's instances open connections to another's (replies
/// included). A rule is put on a router by its next apply.</summary>
public interface IRouterRules
{
    IReadOnlyList<RouterRule> List();

    /// <summary>Records a rule after checking it (both networks carried by the router: <c>private</c> or <c>public</c>
    /// with a VLAN and a gateway; not the same network; a known protocol; a port only with tcp or udp). The same rule
    /// again returns the one there (<c>Added</c> false).</summary>
    Task<RegistryResult<(RouterRule Rule, bool Added)>> AllowAsync(RouterRuleRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes the rule that allows exactly this traffic (not found when there is none).</summary>
    Task<RegistryResult<RouterRule>> DenyAsync(RouterRuleRequest request, CancellationToken cancellationToken = default);

    /// <summary>Removes a rule by id.</summary>
    Task<RegistryResult<RouterRule>> RemoveAsync(long id, CancellationToken cancellationToken = default);
}

internal sealed class RouterRules(IRegistry registry, IRouterRuleStore store, TimeProvider time) : IRouterRules
{
    private static readonly string[] Protocols = ["tcp", "udp", "icmp"];

    public IReadOnlyList<RouterRule> List() => store.List();

    public async Task<RegistryResult<(RouterRule Rule, bool Added)>> AllowAsync(RouterRuleRequest request, CancellationToken cancellationToken = default)
    {
        var (checkedRule, error) = Check(request);
        if (error is not null)
        {
            return error;
        }

        var (from, to, protocol, port) = checkedRule;
        return RegistryResult<(RouterRule, bool)>.Ok(await store.AddAsync(from, to, protocol, port, time.GetUtcNow(), cancellationToken));
    }

    public async Task<RegistryResult<RouterRule>> DenyAsync(RouterRuleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (protocol, port, errors) = CheckTraffic(request);
        if (string.IsNullOrWhiteSpace(request.From))
        {
            errors.Insert(0, new FieldError("from", "a rule needs the network its connections come from"));
        }

        if (string.IsNullOrWhiteSpace(request.To))
        {
            errors.Insert(errors.Count(e => e.Field == "from"), new FieldError("to", "a rule needs the network its connections go to"));
        }

        if (errors.Count > 0)
        {
            return new RegistryError(RegistryErrorKind.Validation, errors);
        }

        var rule = store.List().FirstOrDefault(r => r.SameTraffic(request.From!.Trim(), request.To!.Trim(), protocol, port));
        return rule is null
            ? RegistryError.NotFound("rule", $"no rule allows {request.From!.Trim()} -> {request.To!.Trim()} {Traffic(protocol, port)}")
            : await RemoveAsync(rule.Id, cancellationToken);
    }

    public async Task<RegistryResult<RouterRule>> RemoveAsync(long id, CancellationToken cancellationToken = default) =>
        await store.RemoveAsync(id, cancellationToken) is { } removed
            ? RegistryResult<RouterRule>.Ok(removed)
            : RegistryError.NotFound("id", $"no router rule #{id.ToString(CultureInfo.InvariantCulture)}");

    private static string Traffic(string? protocol, int? port) =>
        protocol is null ? "any" : port is null ? protocol : $"{protocol}/{port.Value.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Every problem of the request at once, or the rule with the networks' registered names.</summary>
    private ((string From, string To, string? Protocol, int? Port) Rule, RegistryError? Error) Check(RouterRuleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (protocol, port, traffic) = CheckTraffic(request);
        var errors = new List<FieldError>();
        var from = Carried(request.From, "from", errors);
        var to = Carried(request.To, "to", errors);
        if (from is not null && to is not null && string.Equals(from.Name, to.Name, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new FieldError("to", $"'{to.Name}' is the network the connections come from: instances of one network reach each other without the router"));
        }

        errors.AddRange(traffic);
        return errors.Count > 0
            ? (default, new RegistryError(RegistryErrorKind.Validation, errors))
            : ((from!.Name, to!.Name, protocol, port), null);
    }

    private Network? Carried(string? name, string field, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(new FieldError(field, field == "from" ? "a rule needs the network its connections come from" : "a rule needs the network its connections go to"));
            return null;
        }

        var network = registry.FindNetwork(name.Trim());
        if (network is null)
        {
            errors.Add(new FieldError(field, $"no network named '{name.Trim()}'"));
            return null;
        }

        if (!network.Kind.IsRouted() || network.Vlan is null || network.Gateway is null)
        {
            errors.Add(new FieldError(field, $"network '{network.Name}' is not carried by the router (it needs kind private or public, a vlan and a gateway)"));
            return null;
        }

        return network;
    }

    private static (string? Protocol, int? Port, List<FieldError> Errors) CheckTraffic(RouterRuleRequest request)
    {
        var errors = new List<FieldError>();
        var protocol = request.Protocol?.Trim().ToLowerInvariant();
        if (protocol is "" or "any")
        {
            protocol = null;
        }

        if (protocol is not null && !Protocols.Contains(protocol))
        {
            errors.Add(new FieldError("protocol", $"'{request.Protocol}' is not a protocol a rule takes (tcp, udp, icmp or any)"));
        }

        if (request.Port is { } port)
        {
            if (port is < 1 or > 65535)
            {
                errors.Add(new FieldError("port", $"{port.ToString(CultureInfo.InvariantCulture)} is not a port (1-65535)"));
            }
            else if (protocol is not ("tcp" or "udp"))
            {
                errors.Add(new FieldError("port", "a port needs protocol tcp or udp"));
            }
        }

        return (protocol, request.Port, errors);
    }
}
