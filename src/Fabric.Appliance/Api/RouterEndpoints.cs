using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Router;
using Fabric.Router.Diff;
using Fabric.Router.Rules;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/routers/{name}</c>: a router's plan (read over SSH, nothing changed) and its apply (a
/// <c>router-apply</c> job). Both need the admin token, like starting a job: a plan connects to the router.
/// <c>/api/v1/routers/rules</c>: the operator's rules between instance networks (list; allow with POST; remove with
/// DELETE by id or by the traffic, <c>?from=&amp;to=&amp;protocol=&amp;port=</c>); a rule reaches a router with its
/// next apply.</summary>
internal static class RouterEndpoints
{
    public static RouteGroupBuilder MapRouterEndpoints(this RouteGroupBuilder api)
    {
        var routers = api.MapGroup("/routers").WithTags("routers");

        routers.MapGet("/rules", (IRouterRules rules) => Results.Ok(rules.List().Select(ToDto).ToList()))
            .Produces<List<RouterRuleDto>>();

        routers.MapPost("/rules", async (HttpContext context, IRouterRules rules, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<CreateRouterRuleRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var result = await rules.AllowAsync(new RouterRuleRequest(request!.From, request.To, request.Protocol, request.Port), cancellationToken);
            if (!result.Succeeded)
            {
                return Problems.From(result.Error);
            }

            var (rule, added) = result.Value;
            return added ? Results.Created($"/api/v1/routers/rules/{rule.Id}", ToDto(rule)) : Results.Ok(ToDto(rule));
        }).RequireWriteToken().Accepts<CreateRouterRuleRequest>("application/json").Produces<RouterRuleDto>(201).Produces<RouterRuleDto>()
            .ProducesValidationProblem();

        routers.MapDelete("/rules/{id:long}", async (long id, IRouterRules rules, CancellationToken cancellationToken) =>
        {
            var result = await rules.RemoveAsync(id, cancellationToken);
            return result.Succeeded ? Results.Ok(ToDto(result.Value)) : Problems.From(result.Error);
        }).RequireWriteToken().Produces<RouterRuleDto>().ProducesProblem(404);

        routers.MapDelete("/rules", async (string? from, string? to, string? protocol, string? port, IRouterRules rules, CancellationToken cancellationToken) =>
        {
            int? number = null;
            if (!string.IsNullOrEmpty(port))
            {
                if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
                {
                    return Problems.Field(400, "port", $"'{port}' is not a port (1-65535)");
                }

                number = value;
            }

            var result = await rules.DenyAsync(new RouterRuleRequest(from, to, protocol, number), cancellationToken);
            return result.Succeeded ? Results.Ok(ToDto(result.Value)) : Problems.From(result.Error);
        }).RequireWriteToken().Produces<RouterRuleDto>().ProducesValidationProblem().ProducesProblem(404);

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

    private static RouterRuleDto ToDto(Registry.RouterRules.RouterRule rule) =>
        new(rule.Id, rule.From, rule.To, rule.Protocol, rule.Port, rule.CreatedAt);
}
