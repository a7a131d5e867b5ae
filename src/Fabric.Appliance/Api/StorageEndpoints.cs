using System.Security.Cryptography;
using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Registry.Volumes;
using Fabric.Storage;
using Fabric.Storage.Volumes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/images</c> and <c>/api/v1/volumes</c>: root images pushed to storage pairs, and volumes made on
/// both storage nodes of a pair. Each change is a job: the answer is 202 with the job.</summary>
internal static class StorageEndpoints
{
    /// <summary>The path prefix of image uploads: their bodies are images, not bounded by <c>Fabric:Http:MaxRequestBodyBytes</c>.</summary>
    public const string ImagesPath = "/api/v1/images";

    public static RouteGroupBuilder MapStorageEndpoints(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("/images").WithTags("storage");
        images.MapGet("", (IImageStore store) => Results.Ok(store.List().Select(ToDto).ToList())).Produces<List<ImageDto>>();
        images.MapPut("/{name}", PushImageAsync).RequireWriteToken()
            .Accepts<Stream>("application/octet-stream").Produces<JobDto>(202).ProducesValidationProblem().ProducesProblem(404);

        var volumes = api.MapGroup("/volumes").WithTags("storage");
        volumes.MapGet("", (IRegistry registry) => Results.Ok(registry.ListVolumes().Select(v => v.ToDto(registry)).ToList())).Produces<List<PairVolumeDto>>();
        volumes.MapPost("", CreateVolumeAsync).RequireWriteToken()
            .Accepts<CreateVolumeRequest>("application/json").Produces<JobDto>(202).ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);
        volumes.MapDelete("/{name}", RemoveVolumeAsync).RequireWriteToken()
            .Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409);
        return api;
    }

    /// <summary><c>PUT /api/v1/images/{name}?pair=P</c>, the body the image: streamed to <c>DataDir/images/PAIR/NAME.img</c>
    /// (never held in memory) with its SHA-256, then an <c>image-push</c> job copies it to both storage nodes.</summary>
    private static async Task<IResult> PushImageAsync(
        string name,
        [FromQuery] string? pair,
        HttpContext context,
        IRegistry registry,
        IJobService jobs,
        IOptions<StorageOptions> options,
        CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (StorageNames.Problem(name, "image") is { } nameProblem)
        {
            errors.Add(new FieldError("name", nameProblem));
        }

        if (PairProblem(registry, pair) is { } pairProblem)
        {
            if (pairProblem.Status == 404 && errors.Count == 0)
            {
                return Problems.Field(404, "pair", pairProblem.Reason);
            }

            errors.Add(new FieldError("pair", pairProblem.Reason));
        }

        if (errors.Count > 0)
        {
            return Problems.Fields(400, "The request has invalid fields", errors);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var file = StorageJobs.LocalImageFile(options.Value.ImageFolder, pair!, name);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var partial = $"{file}.upload-{Guid.NewGuid():N}";
        long size;
        string sha256;
        ImageFormat? format;
        try
        {
            (size, sha256, format) = await ReceiveImageAsync(context.Request.Body, partial, cancellationToken);
            if (size == 0)
            {
                File.Delete(partial);
                return Problems.Field(400, "body", "the image is empty: send the image file as the body");
            }

            if (format is null)
            {
                File.Delete(partial);
                return Problems.Field(400, "body", $"the image is neither an ext4 file system image (magic 0xEF53 at byte {ImageFormats.Ext4MagicOffset}), a disk image (boot signature 0x55AA at byte {ImageFormats.BootSignatureOffset}) nor a tar (\"ustar\" at byte {ImageFormats.TarMagicOffset})");
            }

            File.Move(partial, file, overwrite: true);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }

        var job = await jobs.EnqueueAsync(
            new NewJob(StorageJobs.ImagePush, null, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["name"] = name,
                ["pair"] = pair!.ToLowerInvariant(),
                ["sizeBytes"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["sha256"] = sha256,
                ["format"] = format.Value.ToWire(),
            }, Authorization.Actor(context)),
            cancellationToken);
        return job.Succeeded ? Results.Accepted($"/api/v1/jobs/{job.Value!.Id}", job.Value.ToDto()) : JobEndpoints.From(job.Error!);
    }

    /// <summary>Streams <paramref name="body"/> to <paramref name="partial"/> with its SHA-256, detecting the image's format
    /// from its first <see cref="ImageFormats.HeadLength"/> bytes. Once the head is known not to be an image, the rest is
    /// read (so the client gets its answer) but not written: a refused upload takes no disk space.</summary>
    private static async Task<(long Size, string Sha256, ImageFormat? Format)> ReceiveImageAsync(Stream body, string partial, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = new byte[ImageFormats.HeadLength];
        int headLength = 0;
        bool decided = false;
        ImageFormat? format = null;
        long size = 0;
        await using var output = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            size += read;
            if (!decided)
            {
                int take = Math.Min(read, head.Length - headLength);
                buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                headLength += take;
                if (headLength == head.Length)
                {
                    format = ImageFormats.Detect(head);
                    decided = true;
                }
            }

            if (decided && format is null)
            {
                continue;
            }

            hash.AppendData(buffer, 0, read);
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        if (!decided)
        {
            format = ImageFormats.Detect(head.AsSpan(0, headLength));
        }

        await output.FlushAsync(cancellationToken);
        return (size, Convert.ToHexStringLower(hash.GetHashAndReset()), format);
    }

    /// <summary><c>POST /api/v1/volumes</c>: holds a slot of the pair (409 when none is free), then a <c>volume-create</c>
    /// job makes the volume on both storage nodes.</summary>
    private static async Task<IResult> CreateVolumeAsync(HttpContext context, IRegistry registry, IImageStore images, IJobService jobs, CancellationToken cancellationToken)
    {
        var (request, problem) = await JsonBody.ReadAsync<CreateVolumeRequest>(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new List<FieldError>();
        if (StorageNames.Problem(request!.Name, "volume") is { } nameProblem)
        {
            errors.Add(new FieldError("name", nameProblem));
        }

        var pairProblem = PairProblem(registry, request.Pair);
        if (pairProblem is { Status: 400 })
        {
            errors.Add(new FieldError("pair", pairProblem.Value.Reason));
        }

        if (request.SizeBytes is not > 0)
        {
            errors.Add(new FieldError("sizeBytes", "a volume size in bytes is required and positive"));
        }

        StoredImage? image = null;
        if (request.Image is not null)
        {
            if (StorageNames.Problem(request.Image, "image") is { } imageProblem)
            {
                errors.Add(new FieldError("image", imageProblem));
            }
            else if (pairProblem is null && (image = images.Find(request.Pair!, request.Image)) is null)
            {
                errors.Add(new FieldError("image", $"pair '{request.Pair}' has no image '{request.Image}' (fabric image list)"));
            }
            else if (image is not null && !image.Format.MakesVolumes())
            {
                errors.Add(new FieldError("image", $"image '{image.Name}' is a {image.Format.ToWire()} image (an NFS root); a volume is made from an ext4 or disk image"));
            }
            else if (image is not null && request.SizeBytes < image.SizeBytes)
            {
                errors.Add(new FieldError("sizeBytes", $"the volume ({request.SizeBytes} bytes) is smaller than image {image.Name} ({image.SizeBytes} bytes)"));
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Fields(400, "The request has invalid fields", errors);
        }

        if (pairProblem is not null)
        {
            return Problems.Field(404, "pair", pairProblem.Value.Reason);
        }

        var pair = request.Pair!.ToLowerInvariant();
        var reserved = await registry.ReserveVolumeSlotAsync(pair, request.Name!, cancellationToken);
        if (!reserved.Succeeded)
        {
            return Problems.From(reserved.Error);
        }

        var arguments = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["name"] = request.Name!,
            ["pair"] = pair,
            ["sizeBytes"] = request.SizeBytes!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (request.Image is not null)
        {
            arguments["image"] = request.Image;
        }

        var job = await jobs.EnqueueAsync(new NewJob(StorageJobs.VolumeCreate, null, arguments, Authorization.Actor(context)), cancellationToken);
        if (!job.Succeeded)
        {
            await registry.ReleaseSlotAsync(pair, request.Name!, CancellationToken.None);
            return JobEndpoints.From(job.Error!);
        }

        return Results.Accepted($"/api/v1/jobs/{job.Value!.Id}", job.Value.ToDto());
    }

    /// <summary><c>DELETE /api/v1/volumes/{name}[?pair=P]</c>: removes the volume from the registry (409 while a node's root
    /// or an instance's disk is on it), then a <c>volume-remove</c> job stops its exports and removes its files.</summary>
    private static async Task<IResult> RemoveVolumeAsync(string name, [FromQuery] string? pair, HttpContext context, IPairVolumes volumes, CancellationToken cancellationToken)
    {
        var removed = await volumes.RemoveAsync(name, pair, Authorization.Actor(context), cancellationToken);
        if (removed.Error is not null)
        {
            return Problems.From(removed.Error);
        }

        var job = removed.Job!.Value;
        return job.Succeeded ? Results.Accepted($"/api/v1/jobs/{job.Value!.Id}", job.Value.ToDto()) : JobEndpoints.From(job.Error!);
    }

    /// <summary>Why <paramref name="pair"/> cannot take images or volumes: 400 when it is missing or not a pair name, or
    /// its storage nodes do not make a pair; 404 when no storage node has it. Null when it is a pair.</summary>
    public static (int Status, string Reason)? PairProblem(IRegistry registry, string? pair)
    {
        if (string.IsNullOrWhiteSpace(pair))
        {
            return (400, "a pair is required");
        }

        if (!HostName.TryNormalize(pair, out var normal, out var reason))
        {
            return (400, reason);
        }

        var nodes = registry.ListNodes(NodeRole.Storage);
        if (!nodes.Any(n => string.Equals(n.Storage?.Pair, normal, StringComparison.OrdinalIgnoreCase) && n.State != NodeState.Retired))
        {
            return (404, $"no storage node is in pair '{normal}'");
        }

        return Storage.Pairs.StoragePair.TryResolve(nodes, normal, out _, out var why) ? null : (400, why);
    }

    private static ImageDto ToDto(StoredImage image) => new(image.Name, image.Pair, image.SizeBytes, image.Sha256, image.PushedAt, image.Format.ToWire());

    private static PairVolumeDto ToDto(this PairVolume volume, IRegistry registry)
    {
        var copies = volume.Copies
            .Select(c => (Copy: c, Shelf: registry.FindNode(c.Node)?.Storage?.AoeShelf))
            .OrderBy(c => c.Shelf ?? int.MaxValue)
            .ToList();
        string? root = copies is [{ Shelf: int a }, { Shelf: int b }] && a != b
            ? RootSpec.AoeMd(new AoeTarget(a, volume.Slot), new AoeTarget(b, volume.Slot)).ToString()
            : null;
        return new PairVolumeDto
        {
            Name = volume.Name,
            Pair = volume.Pair,
            Slot = volume.Slot,
            SizeBytes = volume.SizeBytes,
            Root = root,
            Copies = [.. copies.Select(c => new VolumeCopyDto(c.Copy.Node, c.Shelf is int s ? new AoeTarget(s, volume.Slot).ToString() : null, c.Copy.BackingPath))],
            UsedBy = volume.UsedBy,
        };
    }
}
