using System.CommandLine;
using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric render NAME TEMPLATE</c> and <c>fabric lease list</c>.</summary>
internal static class MiscCommands
{
    public static Command Render(CliEnvironment environment)
    {
        var name = new Argument<string>("name") { Description = "Node name" };
        var template = new Argument<string>("template") { Description = "Template, e.g. hardware.ipxe, pxelinux.cfg, grub.cfg" };
        var command = new Command("render", "Show a template rendered for a node") { name, template };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var text = await api.GetTextAsync(
                $"/api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(name)!)}/render/{Uri.EscapeDataString(parse.GetValue(template)!)}", cancellationToken);
            await environment.Output.WriteAsync(text);
        }));
        return command;
    }

    public static Command Lease(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var list = new Command("list", "List DHCP leases") { output };
        list.Aliases.Add("ls");
        list.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var leases = await api.GetAsync<List<LeaseDto>>("/api/v1/leases", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, leases);
                return;
            }

            Table.Write(environment.Output, ["IP", "MAC", "STATE", "NODE", "HOSTNAME", "ENDS"],
                leases.Select(l => (IReadOnlyList<string?>)[l.Ip, l.Mac, l.State, l.Node ?? "-", l.Hostname ?? "-", l.Ends.ToString("u", CultureInfo.InvariantCulture)]));
        }));
        return new Command("lease", "DHCP leases") { list };
    }
}
