using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric node add|list|show|set|rm|events</c>.</summary>
internal static class NodeCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var node = new Command("node", "Register, change, list and remove nodes");
        node.Add(Add(environment));
        node.Add(List(environment));
        node.Add(Show(environment));
        node.Add(Set(environment));
        node.Add(Remove(environment));
        node.Add(Events(environment));
        node.Add(InstanceCommands.Evacuate(environment));
        return node;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "Node name (host-name rules)" };

    private static Command Add(CliEnvironment environment)
    {
        var name = NameArgument();
        var macs = new Option<string[]>("--mac") { Description = "A MAC address in any common notation; repeat for more NICs", Required = true, AllowMultipleArgumentsPerToken = false };
        var role = new Option<string>("--role", "-r") { Description = "hardware, storage, instance or router", Required = true };
        var fields = new NodeFieldOptions();
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("add", "Register a node (a hardware node without --root gets one made on a storage pair, as a job)") { name, macs, role, wait, output };
        fields.AddTo(command);
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var request = fields.Fill(parse, new CreateNodeRequest
            {
                Name = parse.GetValue(name),
                Role = parse.GetValue(role),
                Mac = parse.GetValue(macs) is [var single] ? single : null,
                Macs = parse.GetValue(macs) is { Length: > 1 } several ? several : null,
            });
            if (string.Equals(request.Role, "hardware", StringComparison.OrdinalIgnoreCase) && (request.Pair is not null || request.Image is not null))
            {
                // For a hardware node --pair and --image say where its root is made: request-only, not node fields.
                request = request with { Provision = new ProvisionRequest { Pair = request.Pair, Image = request.Image }, Pair = null, Image = null };
            }

            var answer = await api.PostAsync<JsonElement>("/api/v1/nodes", request, cancellationToken);
            bool json = CliApp.IsJson(parse, output);
            if (answer.TryGetProperty("job", out _))
            {
                var provisioned = answer.Deserialize<ProvisionedNodeDto>(FabricJson.Options)!;
                var node = provisioned.Node;
                if (!json)
                {
                    environment.Output.WriteLine($"added {node.Role} node {node.Name}: {string.Join(", ", node.Macs)}{(node.Ip is null ? "" : $", {node.Ip}")}; {node.State}: its root is made by job {provisioned.Job.Id}");
                }

                await JobWatch.ReportStartedAsync(environment, api, provisioned.Job, parse.GetValue(wait), json, cancellationToken);
                return;
            }

            var created = answer.Deserialize<NodeDto>(FabricJson.Options)!;
            if (json)
            {
                CliApp.WriteJson(environment, created);
            }
            else
            {
                environment.Output.WriteLine($"added {created.Role} node {created.Name}: {string.Join(", ", created.Macs)}{(created.Ip is null ? "" : $", {created.Ip}")}");
            }
        }));
        return command;
    }

    private static Command List(CliEnvironment environment)
    {
        var role = new Option<string?>("--role", "-r") { Description = "Only nodes of this role" };
        var output = CliApp.OutputOption();
        var command = new Command("list", "List nodes") { role, output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var filter = parse.GetValue(role);
            var path = filter is null ? "/api/v1/nodes" : $"/api/v1/nodes?role={Uri.EscapeDataString(filter)}";
            var nodes = await api.GetAsync<List<NodeDto>>(path, cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, nodes);
                return;
            }

            Table.Write(environment.Output, ["NAME", "ROLE", "STATE", "HEALTH", "IP", "MACS", "ROOT"],
                nodes.Select(n => (IReadOnlyList<string?>)[n.Name, n.Role, n.State, n.Health ?? "-", n.Ip ?? "-", string.Join(",", n.Macs), n.Root ?? (n.AoeShelf is int s ? $"shelf {s}" : "-")]));
        }));
        return command;
    }

    private static Command Show(CliEnvironment environment)
    {
        var name = NameArgument();
        var output = CliApp.OutputOption();
        var command = new Command("show", "Show one node") { name, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var node = await api.GetAsync<NodeDto>($"/api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(name)!)}", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, node);
                return;
            }

            Table.WriteFields(environment.Output,
            [
                ("name", node.Name),
                ("role", node.Role),
                ("state", node.State),
                ("health", node.Health),
                ("macs", string.Join(", ", node.Macs)),
                ("ip", node.Ip),
                ("network", node.Network),
                ("root", node.Root),
                ("cpu cores", node.CpuCores?.ToString(CultureInfo.InvariantCulture)),
                ("memory MiB", node.MemoryMiB?.ToString(CultureInfo.InvariantCulture)),
                ("pair", node.Pair),
                ("aoe shelf", node.AoeShelf?.ToString(CultureInfo.InvariantCulture)),
                ("volumes", node.Volumes is null ? null : string.Join(", ", node.Volumes.Select(v => $"{v.Name} (slot {v.Slot}, {v.BackingPath})"))),
                ("nfs exports", node.NfsExports is null ? null : string.Join(", ", node.NfsExports)),
                ("vcpus", node.VCpus?.ToString(CultureInfo.InvariantCulture)),
                ("disk volume", node.DiskVolume),
                ("hypervisor", node.Hypervisor),
                ("storage path", node.StoragePath),
                ("aoe interface", node.AoeInterface),
                ("image path", node.ImagePath),
                ("trunk interface", node.TrunkInterface),
                ("uplink interface", node.UplinkInterface),
                ("ssh address", node.SshAddress),
                ("ssh port", node.SshPort?.ToString(CultureInfo.InvariantCulture)),
                ("ssh user", node.SshUser),
                ("ssh host key", node.SshHostKey),
                ("labels", string.Join(", ", node.Labels.Select(l => $"{l.Key}={l.Value}"))),
                ("created", node.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
                ("updated", node.UpdatedAt.ToString("u", CultureInfo.InvariantCulture)),
            ]);
        }));
        return command;
    }

    private static Command Set(CliEnvironment environment)
    {
        var name = NameArgument();
        var role = new Option<string?>("--role", "-r") { Description = "New role (drops the old role's fields)" };
        var state = new Option<string?>("--state") { Description = "registered or retired (booting, up and failed come only from the node's boot)" };
        var macs = new Option<string[]?>("--mac") { Description = "Replace the node's MACs; repeat for more NICs" };
        var unset = new Option<string[]?>("--unset")
        {
            Description = "Remove a field (ip, network, labels, root, pair, aoeShelf, volumes, nfsExports, storagePath, aoeInterface, imagePath, cpuCores, memoryMiB, vCpus, diskVolume, hypervisor, image, sshAddress, sshPort, sshUser, sshHostKey); repeat for more",
        };
        var fields = new NodeFieldOptions();
        var output = CliApp.OutputOption();
        var command = new Command("set", "Change a node's fields") { name, role, state, macs, unset, output };
        fields.AddTo(command);
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var request = fields.Fill(parse, new PatchNodeRequest
            {
                Role = parse.GetValue(role),
                State = parse.GetValue(state),
                Macs = parse.GetValue(macs) is { Length: > 0 } m ? m : null,
            });
            // A JSON merge patch: members left out keep their value, members set to null are removed.
            var patch = JsonSerializer.SerializeToNode(request, FabricJson.Options)!.AsObject();
            foreach (var field in parse.GetValue(unset) ?? [])
            {
                patch[field] = null;
            }

            var node = await api.PatchAsync<NodeDto>($"/api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(name)!)}", patch, cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, node);
            }
            else
            {
                environment.Output.WriteLine($"updated node {node.Name}: {node.Role}, {node.State}{(node.Ip is null ? "" : $", {node.Ip}")}{(node.Root is null ? "" : $", root {node.Root}")}");
            }
        }));
        return command;
    }

    private static Command Remove(CliEnvironment environment)
    {
        var name = NameArgument();
        var command = new Command("rm", "Remove a node") { name };
        command.Aliases.Add("remove");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var value = parse.GetValue(name)!;
            await api.DeleteAsync($"/api/v1/nodes/{Uri.EscapeDataString(value)}", cancellationToken);
            environment.Output.WriteLine($"removed node {value}");
        }));
        return command;
    }

    private static Command Events(CliEnvironment environment)
    {
        var name = NameArgument();
        var output = CliApp.OutputOption();
        var command = new Command("events", "Show a node's event log") { name, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var events = await api.GetAsync<List<NodeEventDto>>($"/api/v1/nodes/{Uri.EscapeDataString(parse.GetValue(name)!)}/events", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, events);
                return;
            }

            Table.Write(environment.Output, ["TIME", "KIND", "ACTOR", "MESSAGE"],
                events.Select(e => (IReadOnlyList<string?>)[e.At.ToString("u", CultureInfo.InvariantCulture), e.Kind, e.Actor, e.Message]));
        }));
        return command;
    }

    /// <summary>The optional node fields <c>add</c> and <c>set</c> share.</summary>
    private sealed class NodeFieldOptions
    {
        public Option<string?> Ip { get; } = new("--ip") { Description = "IPv4 address (default: the next free one of the network)" };

        public Option<string?> Network { get; } = new("--network", "-n") { Description = "Managed network the address is in" };

        public Option<string?> Root { get; } = new("--root") { Description = "HardwareNode root: aoe:e0.1, aoe-md:e0.1,e1.1 or nfs:server:/path" };

        public Option<int?> Shelf { get; } = new("--shelf") { Description = "StorageNode AoE shelf number" };

        public Option<string?> Pair { get; } = new("--pair") { Description = "StorageNode: its redundant pair; HardwareNode (add): the pair its root is made on" };

        public Option<string?> Image { get; } = new("--image") { Description = "Instance: its disk image; HardwareNode (add): the image its root is made from" };

        public Option<string?> ImagePath { get; } = new("--image-path") { Description = "StorageNode folder of its images (default /srv/fabric/images)" };

        public Option<int?> CpuCores { get; } = new("--cpu-cores") { Description = "HardwareNode CPU cores" };

        public Option<long?> MemoryMiB { get; } = new("--memory-mib") { Description = "Memory in MiB" };

        public Option<string?> StoragePath { get; } = new("--storage-path") { Description = "StorageNode folder of its volume files (default /srv/fabric/volumes)" };

        public Option<string?> AoeInterface { get; } = new("--aoe-interface") { Description = "StorageNode interface its AoE exports are served on (default eth0)" };

        public Option<string?> Trunk { get; } = new("--trunk") { Description = "Router interface towards the hypervisors, carrying the VLANs (default eth1)" };

        public Option<string?> Uplink { get; } = new("--uplink") { Description = "Router interface towards the outside (default eth2)" };

        public Option<string?> SshAddress { get; } = new("--ssh-address") { Description = "Address Fabric reaches the node at over SSH (default: its ip)" };

        public Option<int?> SshPort { get; } = new("--ssh-port") { Description = "SSH port (default 22)" };

        public Option<string?> SshUser { get; } = new("--ssh-user") { Description = "SSH user (default root)" };

        public Option<string?> SshHostKey { get; } = new("--ssh-host-key") { Description = "The node's SSH host key to pin, e.g. \"ssh-ed25519 AAAA...\"" };

        public Option<string[]?> Label { get; } = new("--label", "-l") { Description = "A label key=value; repeat for more (on set: replaces all labels)" };

        public void AddTo(Command command)
        {
            command.Add(Ip);
            command.Add(Network);
            command.Add(Root);
            command.Add(Shelf);
            command.Add(Pair);
            command.Add(Image);
            command.Add(ImagePath);
            command.Add(CpuCores);
            command.Add(MemoryMiB);
            command.Add(StoragePath);
            command.Add(AoeInterface);
            command.Add(Trunk);
            command.Add(Uplink);
            command.Add(SshAddress);
            command.Add(SshPort);
            command.Add(SshUser);
            command.Add(SshHostKey);
            command.Add(Label);
        }

        /// <summary>The request with the fields these options set (a copy of the same request type).</summary>
        public T Fill<T>(ParseResult parse, T request)
            where T : NodeFieldsRequest =>
            (T)(request with
            {
                Ip = parse.GetValue(Ip),
                Network = parse.GetValue(Network),
                Root = parse.GetValue(Root),
                AoeShelf = parse.GetValue(Shelf),
                Pair = parse.GetValue(Pair),
                Image = parse.GetValue(Image),
                ImagePath = parse.GetValue(ImagePath),
                CpuCores = parse.GetValue(CpuCores),
                MemoryMiB = parse.GetValue(MemoryMiB),
                StoragePath = parse.GetValue(StoragePath),
                AoeInterface = parse.GetValue(AoeInterface),
                TrunkInterface = parse.GetValue(Trunk),
                UplinkInterface = parse.GetValue(Uplink),
                SshAddress = parse.GetValue(SshAddress),
                SshPort = parse.GetValue(SshPort),
                SshUser = parse.GetValue(SshUser),
                SshHostKey = parse.GetValue(SshHostKey),
                Labels = Labels(parse),
            });

        private Dictionary<string, string>? Labels(ParseResult parse)
        {
            var labels = parse.GetValue(Label);
            if (labels is null || labels.Length == 0)
            {
                return null;
            }

            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var label in labels)
            {
                int equals = label.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new CliException($"error: --label: '{label}' is not key=value", CliException.Usage);
                }

                result[label[..equals]] = label[(equals + 1)..];
            }

            return result;
        }
    }
}
