using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Router;
using Fabric.Router.Diff;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/routers/{name}</c>: a router's plan (read over SSH, nothing changed) and its apply (a
/// <c>router-apply</c> job). Both need the admin token, like starting a job: a plan connects to the router.</summary>
internal static class RouterEndpoints
{
    public static RouteGroupBuilder MapRouterEndpoints(this RouteGroupBuilder api)
    {
        var routers = api.MapGroup("/routers").WithTags("routers");

        routers.MapGet("/{name}/plan", async (string name, IRouterPlans plans, CancellationToken cancellationToken) =>
        {
            var result = await plans.PlanAsync(name, cancellationToken);
            if (result.Error is { } error)
            {
                return error.Kind switch
                {
                    RouterPlanErrorKind.NotFound => Problems.Field(404, error.Field ?? "name", error.Message),
                    RouterPlanErrorKind.NotReachable => Problems.Field(409, error.Field ?? "sshAddress", error.Message, "The router cannot be reached as registered"),
                    _ => Results.Problem(detail: error.Message, statusCode: StatusCodes.Status502BadGateway, title: "The router could not be read", type: "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.3"),
                };
            }

            return Results.Ok(new RouterPlanDto(
                result.Router,
                [.. result.Actions!.Select(a => new RouterChangeDto(a.Kind.ToWire(), a.Target, a.Description, [.. a.Commands.Select(c => c.ShellText)]))]));
        }).RequireAdminToken().Produces<RouterPlanDto>().ProducesProblem(404).ProducesProblem(409).ProducesProblem(502);

        routers.MapPost("/{name}/apply", async (string name, HttpContext context, IRegistry registry, IJobService jobs, CancellationToken cancellationToken) =>
        {
            if (registry.FindNode(name) is not { Role: NodeRole.Router } router)
            {
                return Problems.Field(404, "name", $"no router named '{name}'");
            }

            var result = await jobs.EnqueueAsync(new NewJob("router-apply", router.Name, new Dictionary<string, string>(), Authorization.Actor(context)), cancellationToken);
            return result.Succeeded
                ? Results.Accepted($"/api/v1/jobs/{result.Value!.Id}", result.Value.ToDto())
                : Problems.Fields(409, "The job could not be started", result.Error!.Errors.Select(e => new FieldError(e.Field, e.Reason)));
        }).RequireAdminToken().Produces<JobDto>(202).ProducesProblem(404);

        return api;
    }
}
