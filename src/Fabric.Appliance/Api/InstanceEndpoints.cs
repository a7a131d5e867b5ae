using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Operations;
using Fabric.Registry;
using Microsoft.AspNetCore.Mvc;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/instances</c>: launch, list, start, stop, live-migrate and remove instances, and read their
/// serial console; <c>POST /api/v1/nodes/{name}/evacuate</c> empties a hypervisor. Each request is decided at once
/// (400 naming the field, 404, 409 with the reason: the lifecycle table, placement, the migration checks) and the work
/// is a job: 202 with the job, <c>Location: /api/v1/jobs/{id}</c>.</summary>
internal static class InstanceEndpoints
{
    /// <summary>The console tail's size unless <c>?bytes=</c> says otherwise, and its most.</summary>
    private const int ConsoleBytes = 16 * 1024;

    private const int MaxConsoleBytes = 1024 * 1024;

    public static RouteGroupBuilder MapInstanceEndpoints(this RouteGroupBuilder api)
    {
        var instances = api.MapGroup("/instances").WithTags("instances");

        instances.MapGet("", (IRegistry registry) =>
            Results.Ok(registry.ListNodes(NodeRole.Instance).Select(ToDto).ToList()))
            .Produces<List<InstanceDto>>();

        instances.MapGet("/{name}", (string name, IRegistry registry) =>
            registry.FindNode(name) is { Role: NodeRole.Instance } node ? Results.Ok(ToDto(node)) : NotFound(name))
            .Produces<InstanceDto>().ProducesProblem(404);

        instances.MapPost("", async (HttpContext context, IInstanceOperations operations, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<CreateInstanceRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var input = new InstanceRequest
            {
                Name = request!.Name,
                VCpus = request.VCpus,
                MemoryMiB = request.MemoryMiB,
                Image = request.Image,
                DiskVolume = request.DiskVolume,
                Pair = request.Pair,
                Network = request.Network,
                Ip = request.Ip,
                Hypervisor = request.Hypervisor,
                Labels = request.Labels,
            };
            return Accepted(await operations.CreateAsync(input, Authorization.Actor(context), cancellationToken));
        }).RequireWriteToken().Accepts<CreateInstanceRequest>("application/json").Produces<JobDto>(202)
            .ProducesValidationProblem().ProducesProblem(409).ProducesProblem(413);

        instances.MapPost("/{name}/start", async (string name, HttpContext context, IInstanceOperations operations, CancellationToken cancellationToken) =>
            Accepted(await operations.StartAsync(name, Authorization.Actor(context), cancellationToken)))
            .RequireWriteToken().Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409);

        instances.MapPost("/{name}/stop", async (string name, HttpContext context, IInstanceOperations operations, CancellationToken cancellationToken) =>
            Accepted(await operations.StopAsync(name, Authorization.Actor(context), cancellationToken)))
            .RequireWriteToken().Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409);

        instances.MapPost("/{name}/migrate", async (string name, HttpContext context, IInstanceOperations operations, CancellationToken cancellationToken) =>
        {
            // The body is optional: no body (or {}) lets placement choose the target.
            MigrateInstanceRequest? request = null;
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                (request, var problem) = await JsonBody.ReadAsync<MigrateInstanceRequest>(context.Request, cancellationToken);
                if (problem is not null)
                {
                    return problem;
                }
            }

            return Accepted(await operations.MigrateAsync(name, request?.Target, Authorization.Actor(context), cancellationToken));
        }).RequireWriteToken().Accepts<MigrateInstanceRequest>("application/json").Produces<JobDto>(202)
            .ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        instances.MapDelete("/{name}", async (string name, [FromQuery] string? purgeVolume, HttpContext context, IInstanceOperations operations, CancellationToken cancellationToken) =>
        {
            if (purgeVolume is not (null or "true" or "false"))
            {
                return Problems.Field(400, "purgeVolume", $"'{purgeVolume}' is not true or false");
            }

            var removed = await operations.RemoveAsync(name, purgeVolume == "true", Authorization.Actor(context), cancellationToken);
            if (removed.Unsupported)
            {
                return Problems.Fields(501, "Not implemented", removed.Error!.Errors);
            }

            if (!removed.Succeeded)
            {
                return Problems.From(removed.Error!);
            }

            // With purgeVolume the volume-remove job removes the disk's files once the instance is gone.
            return removed.Job is { } job ? Results.Accepted($"/api/v1/jobs/{job.Id}", job.ToDto()) : Results.NoContent();
        }).RequireWriteToken().Produces(204).Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409).ProducesProblem(501);

        instances.MapGet("/{name}/console", async (string name, [FromQuery] string? bytes, IInstanceOperations operations, CancellationToken cancellationToken) =>
        {
            int count = ConsoleBytes;
            if (bytes is not null && (!int.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxConsoleBytes))
            {
                return Problems.Field(400, "bytes", $"'{bytes}' is not a number from 1 to {MaxConsoleBytes}");
            }

            var tail = await operations.ConsoleAsync(name, count, cancellationToken);
            return tail.Succeeded ? Results.Text(tail.Value, "text/plain; charset=utf-8") : Problems.From(tail.Error!);
        }).Produces<string>(200, "text/plain").ProducesProblem(404).ProducesProblem(409);

        api.MapPost("/nodes/{name}/evacuate", async (string name, HttpContext context, IInstanceOperations operations, CancellationToken cancellationToken) =>
            Accepted(await operations.EvacuateAsync(name, Authorization.Actor(context), cancellationToken)))
            .WithTags("nodes").RequireWriteToken().Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409);

        return api;
    }

    private static IResult Accepted(InstanceOperation operation) =>
        operation.Succeeded
            ? Results.Accepted($"/api/v1/jobs/{operation.Job!.Id}", operation.Job.ToDto())
            : Problems.From(operation.Error!);

    private static IResult NotFound(string name) => Problems.Field(404, "name", $"no instance named '{name}'");

    public static InstanceDto ToDto(Node node) => new()
    {
        Name = node.Name,
        State = (node.Instance?.State ?? InstanceState.Defined).ToWire(),
        VCpus = node.Instance?.VCpus,
        MemoryMiB = node.Instance?.MemoryMiB,
        Image = node.Instance?.Image,
        DiskVolume = node.Instance?.DiskVolume,
        Hypervisor = node.Instance?.Hypervisor,
        Network = node.Network,
        Ip = node.Ip?.ToString(),
        Mac = node.Macs.Count > 0 ? node.Macs[0].ToString() : null,
        Labels = node.Labels,
        CreatedAt = node.CreatedAt,
    };
}
