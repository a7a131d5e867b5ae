using System.CommandLine;
using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric image push|list</c>: root images on storage pairs.</summary>
internal static class ImageCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var image = new Command("image", "Root images on storage pairs");
        image.Add(Push(environment));
        image.Add(List(environment));
        return image;
    }

    private static Command Push(CliEnvironment environment)
    {
        var name = new Argument<string>("name") { Description = "Image name (letters, digits, '-', '_', '.')" };
        var file = new Option<string>("--file", "-f") { Description = "The image file: an ext4 file system image (AoE roots and volumes), a disk image with a boot sector (instances' disks) or a tar of a root tree (NFS roots); the appliance tells which from its first bytes", Required = true };
        var pair = new Option<string>("--pair", "-p") { Description = "The storage pair to copy it to (both nodes)", Required = true };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("push", "Send an image to the appliance, which copies it to both storage nodes of the pair as a job")
        {
            name, file, pair, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var path = Path.Combine(environment.WorkingDirectory, parse.GetValue(file)!);
            if (!File.Exists(path))
            {
                throw new CliException($"error: --file: no file '{parse.GetValue(file)}'", CliException.Usage);
            }

            await using var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var job = await api.PutFileAsync<JobDto>(
                $"/api/v1/images/{Uri.EscapeDataString(parse.GetValue(name)!)}?pair={Uri.EscapeDataString(parse.GetValue(pair)!)}",
                content,
                cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Command List(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var command = new Command("list", "List the images of every pair") { output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var images = await api.GetAsync<List<ImageDto>>("/api/v1/images", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, images);
                return;
            }

            Table.Write(environment.Output, ["NAME", "PAIR", "FORMAT", "SIZE", "SHA256", "PUSHED"],
                images.Select(i => (IReadOnlyList<string?>)[i.Name, i.Pair, i.Format, Sizes.Format(i.SizeBytes), i.Sha256[..16], i.PushedAt.ToString("u", CultureInfo.InvariantCulture)]));
        }));
        return command;
    }
}
