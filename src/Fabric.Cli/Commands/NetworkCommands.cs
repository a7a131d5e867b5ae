using System.CommandLine;
using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric network add|list|show|rm</c>.</summary>
internal static class NetworkCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var network = new Command("network", "Manage networks");
        network.Add(Add(environment));
        network.Add(List(environment));
        network.Add(Show(environment));
        network.Add(Remove(environment));
        return network;
    }

    private static Command Add(CliEnvironment environment)
    {
        var name = new Argument<string>("name") { Description = "Network name" };
        var cidr = new Option<string>("--cidr") { Description = "IPv4 network, e.g. 10.0.0.0/24", Required = true };
        var gateway = new Option<string?>("--gateway") { Description = "Default router" };
        var dns = new Option<string[]?>("--dns") { Description = "DNS server; repeat for more" };
        var poolStart = new Option<string?>("--pool-start") { Description = "First address of the dynamic pool" };
        var poolEnd = new Option<string?>("--pool-end") { Description = "Last address of the dynamic pool" };
        var vlan = new Option<int?>("--vlan") { Description = "802.1Q VLAN id" };
        var lease = new Option<int?>("--lease-seconds") { Description = "DHCP lease time" };
        var serveUnknown = new Option<bool>("--serve-unknown") { Description = "Give unknown MACs a pool address (PXE into discovery)" };
        var bootTimeout = new Option<int?>("--boot-timeout") { Description = "Seconds its nodes wait for each boot step (fabric.timeout; a node's label wins)" };
        var kind = new Option<string?>("--kind") { Description = "boot (default), private or public: the router carries private and public networks (they need --vlan and --gateway)" };
        var output = CliApp.OutputOption();
        var command = new Command("add", "Add a network") { name, cidr, gateway, dns, poolStart, poolEnd, vlan, lease, serveUnknown, bootTimeout, kind, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var created = await api.PostAsync<NetworkDto>("/api/v1/networks", new CreateNetworkRequest
            {
                Name = parse.GetValue(name),
                Cidr = parse.GetValue(cidr),
                Gateway = parse.GetValue(gateway),
                Dns = parse.GetValue(dns),
                PoolStart = parse.GetValue(poolStart),
                PoolEnd = parse.GetValue(poolEnd),
                Vlan = parse.GetValue(vlan),
                LeaseSeconds = parse.GetValue(lease),
                ServeUnknown = parse.GetValue(serveUnknown),
                BootTimeoutSeconds = parse.GetValue(bootTimeout),
                Kind = parse.GetValue(kind),
            }, cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, created);
            }
            else
            {
                environment.Output.WriteLine($"added network {created.Name}: {created.Cidr}");
            }
        }));
        return command;
    }

    private static Command List(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var command = new Command("list", "List networks") { output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var networks = await api.GetAsync<List<NetworkDto>>("/api/v1/networks", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, networks);
                return;
            }

            Table.Write(environment.Output, ["NAME", "KIND", "CIDR", "GATEWAY", "POOL", "VLAN", "UNKNOWN MACS"],
                networks.Select(n => (IReadOnlyList<string?>)[n.Name, n.Kind, n.Cidr, n.Gateway ?? "-", n.PoolStart is null ? "-" : $"{n.PoolStart}-{n.PoolEnd}",
                    n.Vlan?.ToString(CultureInfo.InvariantCulture) ?? "-", n.ServeUnknown ? "served" : "ignored"]));
        }));
        return command;
    }

    private static Command Show(CliEnvironment environment)
    {
        var name = new Argument<string>("name");
        var output = CliApp.OutputOption();
        var command = new Command("show", "Show one network") { name, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var n = await api.GetAsync<NetworkDto>($"/api/v1/networks/{Uri.EscapeDataString(parse.GetValue(name)!)}", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, n);
                return;
            }

            Table.WriteFields(environment.Output,
            [
                ("name", n.Name),
                ("kind", n.Kind),
                ("cidr", n.Cidr),
                ("gateway", n.Gateway),
                ("dns", string.Join(", ", n.Dns)),
                ("pool", n.PoolStart is null ? null : $"{n.PoolStart}-{n.PoolEnd}"),
                ("vlan", n.Vlan?.ToString(CultureInfo.InvariantCulture)),
                ("lease", $"{n.LeaseSeconds} s"),
                ("unknown MACs", n.ServeUnknown ? "served" : "ignored"),
                ("boot timeout", n.BootTimeoutSeconds is { } t ? $"{t} s" : "appliance default"),
            ]);
        }));
        return command;
    }

    private static Command Remove(CliEnvironment environment)
    {
        var name = new Argument<string>("name");
        var command = new Command("rm", "Remove a network") { name };
        command.Aliases.Add("remove");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var value = parse.GetValue(name)!;
            await api.DeleteAsync($"/api/v1/networks/{Uri.EscapeDataString(value)}", cancellationToken);
            environment.Output.WriteLine($"removed network {value}");
        }));
        return command;
    }
}
