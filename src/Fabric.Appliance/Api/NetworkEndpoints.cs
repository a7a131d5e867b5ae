using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Registry;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/networks</c> and <c>/api/v1/leases</c>.</summary>
internal static class NetworkEndpoints
{
    public static RouteGroupBuilder MapNetworkEndpoints(this RouteGroupBuilder api)
    {
        var networks = api.MapGroup("/networks").WithTags("networks");

        networks.MapGet("", (IRegistry registry) => Results.Ok(registry.ListNetworks().Select(n => n.ToDto()).ToList()))
            .Produces<List<NetworkDto>>();

        networks.MapPost("", async (HttpContext context, IRegistry registry, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<CreateNetworkRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var result = await registry.AddNetworkAsync(request!.ToInput(), NodeEndpoints.ActorOf(context), cancellationToken);
            return result.Succeeded
                ? Results.Created($"/api/v1/networks/{result.Value.Name}", result.Value.ToDto())
                : Problems.From(result.Error);
        }).RequireWriteToken().Accepts<CreateNetworkRequest>("application/json").Produces<NetworkDto>(201)
            .ProducesValidationProblem().ProducesProblem(409);

        networks.MapGet("/{name}", (string name, IRegistry registry) =>
            registry.FindNetwork(name) is { } network ? Results.Ok(network.ToDto()) : Problems.Field(404, "name", $"no network named '{name}'"))
            .Produces<NetworkDto>().ProducesProblem(404);

        networks.MapDelete("/{name}", async (string name, HttpContext context, IRegistry registry, CancellationToken cancellationToken) =>
        {
            var result = await registry.RemoveNetworkAsync(name, NodeEndpoints.ActorOf(context), cancellationToken);
            return result.Succeeded ? Results.NoContent() : Problems.From(result.Error);
        }).RequireWriteToken().Produces(204).ProducesProblem(404).ProducesProblem(409);

        api.MapGet("/leases", async (IServiceProvider services, CancellationToken cancellationToken) =>
        {
            var view = services.GetService<ILeaseView>();
            var leases = view is null ? [] : await view.ListLeasesAsync(cancellationToken);
            return Results.Ok(leases.Select(l => l.ToDto()).ToList());
        }).WithTags("leases").Produces<List<LeaseDto>>();

        return api;
    }
}
