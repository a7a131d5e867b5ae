using Fabric.Api.Contracts;
using Fabric.Appliance.Boot;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry;
using Fabric.Storage.Health;
using Microsoft.AspNetCore.Mvc;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/nodes</c>: the node registry, its event log, render previews and boot reports.</summary>
internal static class NodeEndpoints
{
    public static RouteGroupBuilder MapNodeEndpoints(this RouteGroupBuilder api)
    {
        var nodes = api.MapGroup("/nodes").WithTags("nodes");

        nodes.MapGet("", (IRegistry registry, IStorageHealth health, [FromQuery] string? role) =>
        {
            NodeRole? filter = null;
            if (role is not null)
            {
                if (!NodeEnumNames.TryParseRole(role, out var parsed))
                {
                    return Problems.Field(400, "role", $"'{role}' is not a role: storage, hardware, instance or router");
                }

                filter = parsed;
            }

            return Results.Ok(registry.ListNodes(filter).Select(n => n.ToDto(health)).ToList());
        }).Produces<List<NodeDto>>().ProducesValidationProblem();

        nodes.MapPost("", async (HttpContext context, IRegistry registry, IStorageHealth health, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<CreateNodeRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            if (ProvisionPlan.For(request!, context.RequestServices) is { } plan)
            {
                return await ProvisionPlan.AddAsync(request!, plan, context, registry, cancellationToken);
            }

            var result = await registry.AddNodeAsync(request!.ToInput(), ActorOf(context), cancellationToken);
            return result.Succeeded
                ? Results.Created($"/api/v1/nodes/{result.Value.Name}", result.Value.ToDto(health))
                : Problems.From(result.Error);
        }).RequireWriteToken().Accepts<CreateNodeRequest>("application/json").Produces<NodeDto>(201).Produces<ProvisionedNodeDto>(202)
            .ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409).ProducesProblem(413);

        nodes.MapGet("/{name}", (string name, IRegistry registry, IStorageHealth health) =>
            registry.FindNode(name) is { } node ? Results.Ok(node.ToDto(health)) : NotFound(name))
            .Produces<NodeDto>().ProducesProblem(404);

        nodes.MapPatch("/{name}", async (string name, HttpContext context, IRegistry registry, IStorageHealth health, CancellationToken cancellationToken) =>
        {
            var (request, removed, problem) = await JsonBody.ReadMergePatchAsync<PatchNodeRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var result = await registry.UpdateNodeAsync(name, request!.ToChanges() with { Clear = removed }, ActorOf(context), cancellationToken);
            return result.Succeeded ? Results.Ok(result.Value.ToDto(health)) : Problems.From(result.Error);
        }).RequireWriteToken().Accepts<PatchNodeRequest>("application/json").Produces<NodeDto>()
            .ProducesValidationProblem().ProducesProblem(404).ProducesProblem(409);

        nodes.MapDelete("/{name}", async (string name, HttpContext context, IRegistry registry, CancellationToken cancellationToken) =>
        {
            var result = await registry.RemoveNodeAsync(name, ActorOf(context), cancellationToken);
            return result.Succeeded ? Results.NoContent() : Problems.From(result.Error);
        }).RequireWriteToken().Produces(204).ProducesProblem(404);

        nodes.MapGet("/{name}/events", async (string name, IRegistry registry, CancellationToken cancellationToken) =>
        {
            var result = await registry.ListEventsAsync(name, cancellationToken: cancellationToken);
            return result.Succeeded ? Results.Ok(result.Value.Select(e => e.ToDto()).ToList()) : Problems.From(result.Error);
        }).Produces<List<NodeEventDto>>().ProducesProblem(404);

        // Anyone may preview; only the admin is shown where a broken template lives on the appliance.
        nodes.MapGet("/{name}/render/{template}", async (string name, string template, HttpContext context, IBootScripts scripts, AdminToken admin, CancellationToken cancellationToken) =>
            await scripts.PreviewAsync(name, template, context.Connection.RemoteIpAddress, withPaths: admin.Matches(Authorization.BearerToken(context)), cancellationToken: cancellationToken))
            .Produces<string>(200, "text/plain").ProducesProblem(404).ProducesProblem(500);

        nodes.MapPost("/{name}/boot-events", async (string name, HttpContext context, BootReports reports, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<BootEventRequest>(context.Request, cancellationToken);
            return problem ?? await reports.ReportAsync(name, request!, context, cancellationToken);
        }).Accepts<BootEventRequest>("application/json").Produces(204)
            .ProducesValidationProblem().ProducesProblem(401).ProducesProblem(404).ProducesProblem(409);

        return api;
    }

    public static IResult NotFound(string name) => Problems.Field(404, "name", $"no node named '{name}'");

    /// <summary>Who made an authorised write, for the event log.</summary>
    public static Actor ActorOf(HttpContext context) =>
        Actor.TryParse(Authorization.Actor(context), out var actor)
            ? actor
            : throw new InvalidOperationException($"a write reached the registry without an actor ('{Authorization.Actor(context)}')");
}
