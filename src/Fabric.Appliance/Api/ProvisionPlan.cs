using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Registry.Images;
using Fabric.Storage;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Api;

/// <summary>"Add a MAC, nothing else": a hardware node registered without a root gets one made on a storage pair. The pair
/// and image come from the request's <c>provision</c> or the settings <c>Fabric:Storage:DefaultPair</c> /
/// <c>DefaultImage</c>. The node is stored <c>provisioning</c> (with a slot held for its root volume <c>NAME-root</c> when
/// the image is an ext4 image; a tar image makes an NFS root, which has no slot), and a <c>provision-root</c> job on the
/// node makes it (202 with the node and the job).</summary>
internal sealed record ProvisionPlan(string? Pair, string? Image)
{
    /// <summary>The plan when the request asks (or the settings make it) for a provisioned root; null for a plain add.
    /// A hardware node with no root, no <c>provision</c> and no <c>Fabric:Storage:DefaultPair</c> is a plain add: a host
    /// Fabric drives but does not netboot (a hypervisor installed on its own disk), or one whose root is set later.</summary>
    public static ProvisionPlan? For(CreateNodeRequest request, IServiceProvider services)
    {
        if (request.Provision is not null)
        {
            return Resolve(request, services);
        }

        bool hardware = NodeEnumNames.TryParseRole(request.Role, out var role) && role == NodeRole.Hardware;
        bool defaultPair = !string.IsNullOrEmpty(services.GetRequiredService<IOptions<StorageOptions>>().Value.DefaultPair);
        return hardware && request.Root is null && defaultPair ? Resolve(request, services) : null;
    }

    private static ProvisionPlan Resolve(CreateNodeRequest request, IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        return new ProvisionPlan(
            request.Provision?.Pair is { Length: > 0 } pair ? pair : NullIfEmpty(settings.DefaultPair),
            request.Provision?.Image is { Length: > 0 } image ? image : NullIfEmpty(settings.DefaultImage));
    }

    public static async Task<IResult> AddAsync(CreateNodeRequest request, ProvisionPlan plan, HttpContext context, IRegistry registry, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        bool hardware = NodeEnumNames.TryParseRole(request.Role, out var role) && role == NodeRole.Hardware;
        if (request.Provision is not null && !hardware)
        {
            errors.Add(new FieldError("provision", "only a hardware node has its root provisioned"));
        }

        if (request.Provision is not null && request.Root is not null)
        {
            errors.Add(new FieldError("root", "give a root or ask for one to be provisioned, not both"));
        }

        if (plan.Pair is null)
        {
            errors.Add(new FieldError("root", $"a hardware node needs a root, or a pair to make one on (provision.pair, or the setting {StorageOptions.Section}:DefaultPair)"));
        }

        if (plan.Image is null)
        {
            errors.Add(new FieldError("provision.image", $"a provisioned root is made from an image: give provision.image or set {StorageOptions.Section}:DefaultImage"));
        }
        else if (StorageNames.Problem(plan.Image, "image") is { } imageProblem)
        {
            errors.Add(new FieldError("provision.image", imageProblem));
        }

        var pairProblem = plan.Pair is null ? null : StorageEndpoints.PairProblem(registry, plan.Pair);
        if (pairProblem is { Status: 400 })
        {
            errors.Add(new FieldError("provision.pair", pairProblem.Value.Reason));
        }
        StoredImage? image = null;
        if (pairProblem is null && plan.Pair is not null && plan.Image is not null && StorageNames.Problem(plan.Image, "image") is null
            && (image = context.RequestServices.GetRequiredService<IImageStore>().Find(plan.Pair, plan.Image)) is null)
        {
            errors.Add(new FieldError("provision.image", $"pair '{plan.Pair}' has no image '{plan.Image}' (fabric image push {plan.Image} --file F --pair {plan.Pair})"));
        }
        else if (image is not null && StorageJobs.RootImageProblem(image) is { } rootImageProblem)
        {
            errors.Add(new FieldError("provision.image", rootImageProblem));
        }

        if (errors.Count > 0)
        {
            return Problems.Fields(400, "The request has invalid fields", errors);
        }

        if (pairProblem is { Status: 404 })
        {
            return Problems.Field(404, "provision.pair", pairProblem.Value.Reason);
        }

        var pairName = plan.Pair!.ToLowerInvariant();
        var input = request.ToInput();
        // The node's name as the registry will store it; a bad name is refused by the registry before any slot is held.
        var volume = StorageJobs.RootVolumeOf(HostName.TryNormalize(input.Name, out var stored, out _) ? stored : input.Name ?? "");
        // A tar image makes an NFS root, which needs no AoE slot.
        var chooser = image?.Format == ImageFormat.Tar ? null : StorageServiceCollectionExtensions.SlotChooserOf(pairName);
        var added = await registry.AddProvisioningNodeAsync(input, pairName, volume, chooser, NodeEndpoints.ActorOf(context), cancellationToken);
        if (!added.Succeeded)
        {
            return Problems.From(added.Error with { Errors = [.. added.Error.Errors.Select(e => e.Field == "pair" ? e with { Field = "provision.pair" } : e)] });
        }

        var node = added.Value.Node;
        var jobs = context.RequestServices.GetRequiredService<IJobService>();
        var job = await jobs.EnqueueAsync(
            new NewJob(StorageJobs.ProvisionRoot, node.Name, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["pair"] = pairName,
                ["image"] = plan.Image!,
            }, Authorization.Actor(context)),
            cancellationToken);
        if (!job.Succeeded)
        {
            await registry.ReleaseSlotAsync(pairName, volume, CancellationToken.None);
            await registry.ApplyAsync(node.Name, Core.Lifecycle.NodeTrigger.ProvisioningFailed, Core.Events.EventKind.ProvisioningFailed, $"the provision-root job could not start: {job.Error}", Core.Events.Actor.Appliance, CancellationToken.None);
            return JobEndpoints.From(job.Error!);
        }

        return Results.Accepted($"/api/v1/jobs/{job.Value!.Id}", new ProvisionedNodeDto(node.ToDto(), job.Value.ToDto()));
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
