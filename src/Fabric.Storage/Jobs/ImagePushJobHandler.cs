using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry.Images;
using Fabric.Remote.Commands;
using Fabric.Storage.Images;
using Fabric.Storage.Pairs;
using Microsoft.Extensions.Options;

namespace Fabric.Storage.Jobs;

/// <summary>Job kind <c>image-push</c> (arguments <c>name</c>, <c>pair</c>, <c>sizeBytes</c>, <c>sha256</c>, <c>format</c>
/// <c>ext4</c> (the default), <c>disk</c> or <c>tar</c>): copies the image the appliance received (<c>ImageFolder/PAIR/NAME.img</c>) over
/// SFTP to <c>NAME.img</c> (ext4, disk) or <c>NAME.tar</c> (tar) in the image folder of both storage nodes of the pair at once, with byte progress (both copies together). A node whose copy already has the same
/// size and SHA-256 (its <c>NAME.img.sha256</c> or <c>NAME.tar.sha256</c> sidecar) is not sent it again. Each copy is checked with <c>sha256sum</c>
/// before its sidecar is written; the image is recorded only when both copies are complete.</summary>
internal sealed class ImagePushJobHandler(PairHosts pairs, IImageStore images, IOptions<StorageOptions> options, TimeProvider time) : IJobHandler
{
    public const string KindName = StorageJobs.ImagePush;

    private static readonly string[] Keys = ["name", "pair", "sizeBytes", "sha256", "format"];
    private static readonly TimeSpan DigestTimeout = TimeSpan.FromMinutes(30);

    public string Kind => KindName;

    /// <summary>Where the appliance keeps image <paramref name="name"/> of <paramref name="pair"/> before pushing it.</summary>
    public static string LocalFile(string imageFolder, string pair, string name) => StorageJobs.LocalImageFile(imageFolder, pair, name);

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        JobArguments.Name(arguments, "name", "image", required: true, errors);
        JobArguments.Pair(arguments, errors);
        JobArguments.Size(arguments, "sizeBytes", errors);
        if (!arguments.TryGetValue("sha256", out var sha) || sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower))
        {
            errors.Add(new JobFieldError("arguments.sha256", "a SHA-256 is 64 lower-case hex digits"));
        }

        if (arguments.TryGetValue("format", out var format) && !ImageFormats.TryParse(format, out _))
        {
            errors.Add(new JobFieldError("arguments.format", $"'{format}' is not an image format (ext4, disk or tar)"));
        }

        JobArguments.Only(arguments, KindName, Keys, errors);
        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var name = JobArguments.Required(context, "name");
        var size = JobArguments.Bytes(context, "sizeBytes");
        var sha256 = JobArguments.Required(context, "sha256");
        var format = context.Job.Arguments.TryGetValue("format", out var formatText) && ImageFormats.TryParse(formatText, out var parsed) ? parsed : ImageFormat.Ext4;
        var pair = pairs.Resolve(JobArguments.Required(context, "pair"));
        var local = LocalFile(options.Value.ImageFolder, pair.Name, name);
        if (!File.Exists(local) || new FileInfo(local).Length != size)
        {
            throw new JobFailedException($"the appliance has no {size}-byte image at {local}; push it again");
        }

        var cancellationToken = context.CancellationToken;
        var sent = new long[2];
        context.Progress(0, 2 * size, "bytes");
        await context.StepAsync($"copy {name}{format.Extension()} to {pair.A.Name} and {pair.B.Name}");
        var outcomes = await pairs.BothAsync(pair, context, async (node, host) =>
        {
            int index = node == pair.A ? 0 : 1;
            var remote = ImageScripts.FileOf(node.Storage!, name, format);
            var check = await host.RunAsync(ImageScripts.CheckCommand(remote), new RemoteRunOptions(TimeSpan.FromMinutes(1)), cancellationToken);
            if (ImageScripts.ParseCheck(check.EnsureSuccess().StandardOutput) is { } found && found.Size == size && found.Sha256 == sha256)
            {
                context.Log($"{node.Name}: {remote} is there with the same size and SHA-256; not sent again");
                Report(context, sent, index, size, size);
                return;
            }

            context.Log($"{node.Name}: sending {remote} ({size} bytes)");
            await using (var content = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                await host.UploadAsync(content, remote, new Progress(bytes => Report(context, sent, index, bytes, size)), cancellationToken);
            }

            var digest = (await host.RunAsync(ImageScripts.DigestCommand(remote), new RemoteRunOptions(DigestTimeout), cancellationToken)).EnsureSuccess().StandardOutput.Trim();
            if (digest != sha256)
            {
                throw new JobFailedException($"the copy of {remote} has SHA-256 {digest}, not {sha256}");
            }

            await host.WriteFileAsync(ImageScripts.SidecarOf(remote), System.Text.Encoding.ASCII.GetBytes(ImageScripts.SidecarText(remote, sha256)), cancellationToken: cancellationToken);
            Report(context, sent, index, size, size);
            context.Log($"{node.Name}: {remote} complete (SHA-256 {sha256})");
        });
        PairHosts.ThrowIfAnyFailed(outcomes, cancellationToken);

        await context.StepAsync("record the image");
        await images.RecordAsync(new StoredImage(name, pair.Name, size, sha256, time.GetUtcNow(), format), CancellationToken.None);
        context.Log($"image {name} ({format.ToWire()}) recorded on pair {pair.Name}");
    }

    /// <summary>Both copies report from their own threads: the sum is taken and reported under one lock, so a sum made
    /// before the other copy's last report can never be reported after it (the job would end short of its total).</summary>
    private static void Report(IJobContext context, long[] sent, int index, long bytes, long size)
    {
        lock (sent)
        {
            sent[index] = bytes;
            context.Progress(sent[0] + sent[1], 2 * size, "bytes");
        }
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports at once, on the caller's thread (not through a captured
    /// synchronisation context).</summary>
    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
