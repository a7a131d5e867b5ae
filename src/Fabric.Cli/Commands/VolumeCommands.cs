using System.CommandLine;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric volume create|list|rm</c>: volumes on both storage nodes of a pair.</summary>
internal static class VolumeCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var volume = new Command("volume", "Volumes on both storage nodes of a pair");
        volume.Add(CreateVolume(environment));
        volume.Add(List(environment));
        volume.Add(Remove(environment));
        return volume;
    }

    private static Command CreateVolume(CliEnvironment environment)
    {
        var name = new Argument<string>("name") { Description = "Volume name (letters, digits, '-', '_', '.')" };
        var pair = new Option<string>("--pair", "-p") { Description = "The storage pair", Required = true };
        var size = new Option<string>("--size") { Description = "Size: bytes, or with K, M, G, T (or KiB, MiB, GiB, TiB; KB, MB, GB, TB are powers of 1000), e.g. 256M or 2GiB", Required = true };
        var image = new Option<string?>("--image") { Description = "Make the volume a sparse copy of this image of the pair (default: empty)" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("create", "Make a volume on both storage nodes of a pair and export it, as a job")
        {
            name, pair, size, image, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            if (!Sizes.TryParse(parse.GetValue(size), out var bytes))
            {
                throw new CliException($"error: --size: '{parse.GetValue(size)}' is not a size (bytes, or a number with K, M, G or T, e.g. 256M)", CliException.Usage);
            }

            var request = new CreateVolumeRequest { Name = parse.GetValue(name), Pair = parse.GetValue(pair), SizeBytes = bytes, Image = parse.GetValue(image) };
            var job = await api.PostAsync<JobDto>("/api/v1/volumes", request, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Command List(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var command = new Command("list", "List the volumes of every pair") { output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var volumes = await api.GetAsync<List<PairVolumeDto>>("/api/v1/volumes", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, volumes);
                return;
            }

            Table.Write(environment.Output, ["NAME", "PAIR", "SLOT", "SIZE", "ROOT", "USED BY"],
                volumes.Select(v => (IReadOnlyList<string?>)[v.Name, v.Pair, v.Slot.ToString(System.Globalization.CultureInfo.InvariantCulture), Sizes.Format(v.SizeBytes), v.Root ?? "-", v.UsedBy.Count == 0 ? "-" : string.Join(",", v.UsedBy)]));
        }));
        return command;
    }

    private static Command Remove(CliEnvironment environment)
    {
        var name = new Argument<string>("name") { Description = "The volume" };
        var pair = new Option<string?>("--pair", "-p") { Description = "The pair, when two pairs have a volume of that name" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("rm", "Remove a volume no node uses: from the registry, then its exports and files, as a job") { name, pair, wait, output };
        command.Aliases.Add("remove");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var path = $"/api/v1/volumes/{Uri.EscapeDataString(parse.GetValue(name)!)}";
            if (parse.GetValue(pair) is { Length: > 0 } p)
            {
                path += $"?pair={Uri.EscapeDataString(p)}";
            }

            var job = await api.DeleteAsync<JobDto>(path, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }
}
