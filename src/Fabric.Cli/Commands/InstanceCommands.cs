using System.CommandLine;
using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;
using Fabric.Core;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric instance create|list|show|start|stop|migrate|rm|console</c> and <c>fabric node evacuate HV</c>.
/// Verbs that start work print the job (<c>job 12 queued: instance-create on web</c>) and follow it with <c>--wait</c>.</summary>
internal static class InstanceCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var instance = new Command("instance", "Launch, stop, live-migrate and remove instances (VMs on the hypervisors)");
        instance.Add(Launch(environment));
        instance.Add(List(environment));
        instance.Add(Show(environment));
        instance.Add(Action(environment, "start", "Start a stopped or failed instance (placed again), as a job", "start"));
        instance.Add(Action(environment, "stop", "Power an instance off (qemu is quit after a timeout), as a job", "stop"));
        instance.Add(Migrate(environment));
        instance.Add(Remove(environment));
        instance.Add(Console(environment));
        return instance;
    }

    /// <summary><c>fabric node evacuate HV</c>: added to <c>fabric node</c>.</summary>
    public static Command Evacuate(CliEnvironment environment)
    {
        var hypervisor = new Argument<string>("hypervisor") { Description = "The hypervisor to empty" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("evacuate", "Cordon a hypervisor (nothing new lands there) and live-migrate every running instance off it, as a job")
        {
            hypervisor, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var job = await api.PostAsync<JobDto>($"/api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(hypervisor)!)}/evacuate", new { }, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "Instance name (host-name rules)" };

    private static string PathOf(string name) => $"/api/v1/instances/{Uri.EscapeDataString(name)}";

    private static Command Launch(CliEnvironment environment)
    {
        var name = NameArgument();
        var vcpus = new Option<int?>("--vcpus") { Description = "Virtual CPUs", Required = true };
        var memory = new Option<long?>("--memory-mib") { Description = "Memory in MiB (never overcommitted)", Required = true };
        var disk = new Option<string?>("--disk-volume") { Description = "The instance's disk: a volume of a pair, or a volume file's path on the hypervisors (default: made from --image)" };
        var image = new Option<string?>("--image") { Description = "The image the disk is made from (as volume NAME-disk on --pair)" };
        var pair = new Option<string?>("--pair") { Description = "The storage pair the disk is made on (default: the setting Fabric:Storage:DefaultPair)" };
        var network = new Option<string?>("--network") { Description = "The instance's network" };
        var ip = new Option<string?>("--ip") { Description = "Its address (default: the network's lowest free one outside the DHCP pool)" };
        var hypervisor = new Option<string?>("--hypervisor") { Description = "Put it on this hypervisor (default: the one with the most free memory)" };
        var labels = new Option<string[]?>("--label") { Description = "KEY=VALUE; repeat for more" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("create", "Launch an instance: place it, register it and start it, as a job")
        {
            name, vcpus, memory, disk, image, pair, network, ip, hypervisor, labels, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var request = new CreateInstanceRequest
            {
                Name = parse.GetValue(name),
                VCpus = parse.GetValue(vcpus),
                MemoryMiB = parse.GetValue(memory),
                DiskVolume = parse.GetValue(disk),
                Image = parse.GetValue(image),
                Pair = parse.GetValue(pair),
                Network = parse.GetValue(network),
                Ip = parse.GetValue(ip),
                Hypervisor = parse.GetValue(hypervisor),
                Labels = ParseLabels(parse.GetValue(labels)),
            };
            var job = await api.PostAsync<JobDto>("/api/v1/instances", request, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Dictionary<string, string>? ParseLabels(string[]? values)
    {
        if (values is null or { Length: 0 })
        {
            return null;
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"error: --label: '{value}' is not KEY=VALUE", CliException.Usage);
            }

            labels[value[..equals]] = value[(equals + 1)..];
        }

        return labels;
    }

    private static Command List(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var command = new Command("list", "List instances") { output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var instances = await api.GetAsync<List<InstanceDto>>("/api/v1/instances", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, instances);
                return;
            }

            Table.Write(environment.Output, ["NAME", "STATE", "HYPERVISOR", "VCPUS", "MEMORY", "IP", "MAC"],
                instances.Select(i => (IReadOnlyList<string?>)
                [
                    i.Name, i.State, i.Hypervisor ?? "-", i.VCpus?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    i.MemoryMiB is long m ? string.Create(CultureInfo.InvariantCulture, $"{m} MiB") : "-", i.Ip ?? "-", i.Mac ?? "-",
                ]));
        }));
        return command;
    }

    private static Command Show(CliEnvironment environment)
    {
        var name = NameArgument();
        var output = CliApp.OutputOption();
        var command = new Command("show", "Show one instance") { name, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var instance = await api.GetAsync<InstanceDto>(PathOf(parse.GetValue(name)!), cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, instance);
                return;
            }

            Table.WriteFields(environment.Output,
            [
                ("name", instance.Name),
                ("state", instance.State),
                ("hypervisor", instance.Hypervisor),
                ("vcpus", instance.VCpus?.ToString(CultureInfo.InvariantCulture)),
                ("memory MiB", instance.MemoryMiB?.ToString(CultureInfo.InvariantCulture)),
                ("image", instance.Image),
                ("disk volume", instance.DiskVolume),
                ("network", instance.Network),
                ("ip", instance.Ip),
                ("mac", instance.Mac),
                ("labels", string.Join(", ", instance.Labels.Select(l => $"{l.Key}={l.Value}"))),
                ("created", instance.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
            ]);
        }));
        return command;
    }

    private static Command Action(CliEnvironment environment, string verb, string description, string path)
    {
        var name = NameArgument();
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command(verb, description) { name, wait, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var job = await api.PostAsync<JobDto>($"{PathOf(parse.GetValue(name)!)}/{path}", new { }, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Command Migrate(CliEnvironment environment)
    {
        var name = NameArgument();
        var target = new Option<string?>("--target") { Description = "The hypervisor to move to (default: placement chooses)" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("migrate", "Live-migrate a running instance to another hypervisor, as a job (progress in bytes with --wait)")
        {
            name, target, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var job = await api.PostAsync<JobDto>($"{PathOf(parse.GetValue(name)!)}/migrate", new MigrateInstanceRequest { Target = parse.GetValue(target) }, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Command Remove(CliEnvironment environment)
    {
        var name = NameArgument();
        var purge = new Option<bool>("--purge-volume") { Description = "Also remove the instance's disk volume" };
        var command = new Command("rm", "Remove a stopped instance") { name, purge };
        command.Aliases.Add("remove");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var value = parse.GetValue(name)!;
            if (!parse.GetValue(purge))
            {
                await api.DeleteAsync(PathOf(value), cancellationToken);
                environment.Output.WriteLine($"removed instance {value}");
                return;
            }

            var job = await api.DeleteAsync<JobDto>(PathOf(value) + "?purgeVolume=true", cancellationToken);
            environment.Output.WriteLine($"removed instance {value}; job {job.Id} queued: {job.Kind} {job.Arguments.GetValueOrDefault("name")}");
        }));
        return command;
    }

    private static Command Console(CliEnvironment environment)
    {
        var name = NameArgument();
        var bytes = new Option<int?>("--bytes") { Description = "How much of the end of the console to show (default 16384)" };
        var command = new Command("console", "Show the tail of an instance's serial console") { name, bytes };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var path = $"{PathOf(parse.GetValue(name)!)}/console" + (parse.GetValue(bytes) is int n ? string.Create(CultureInfo.InvariantCulture, $"?bytes={n}") : "");
            var text = await api.GetTextAsync(path, cancellationToken);

            // The guest writes what it likes: every line is shown with control characters escaped.
            foreach (var line in text.TrimEnd('\n').Split('\n'))
            {
                environment.Output.WriteLine(LogText.Escape(line.TrimEnd('\r')));
            }
        }));
        return command;
    }
}
