using Fabric.Appliance.Api;
using Fabric.Registry.Tokens;

namespace Fabric.Appliance.Security;

/// <summary>Bearer-token checks for the API's writes.</summary>
internal static class Authorization
{
    private const string ActorKey = "fabric.actor";

    public static string? BearerToken(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    /// <summary>Who made the request, for the event log.</summary>
    public static string Actor(HttpContext context) => context.Items[ActorKey] as string ?? Actors.Anonymous;

    public static void SetActor(HttpContext context, string actor) => context.Items[ActorKey] = actor;

    /// <summary>The endpoint answers 401 unless the request carries the admin token (actor <c>admin</c>) or a named
    /// API token (actor <c>token:NAME</c>).</summary>
    public static RouteHandlerBuilder RequireWriteToken(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var token = BearerToken(context);
            if (context.RequestServices.GetRequiredService<AdminToken>().Matches(token))
            {
                SetActor(context, Actors.Admin);
            }
            else if (context.RequestServices.GetRequiredService<IApiTokenStore>().Authenticate(token) is { } named)
            {
                SetActor(context, Actors.Token(named.Name));
            }
            else
            {
                return Problems.Unauthorized(context, token is null
                    ? "writes need 'Authorization: Bearer TOKEN' with the admin token or an API token"
                    : "the bearer token is not the admin token or a current API token");
            }

            return await next(invocation);
        }).ProducesProblem(StatusCodes.Status401Unauthorized);

    /// <summary>The endpoint answers 401 unless the request carries the admin token; named API tokens are refused.</summary>
    public static RouteHandlerBuilder RequireAdminToken(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            var admin = context.RequestServices.GetRequiredService<AdminToken>();
            var token = BearerToken(context);
            if (!admin.Matches(token))
            {
                return Problems.Unauthorized(context, token is null
                    ? "this needs 'Authorization: Bearer TOKEN' with the admin token"
                    : "this needs the admin token; API tokens cannot manage tokens");
            }

            SetActor(context, Actors.Admin);
            return await next(invocation);
        }).ProducesProblem(StatusCodes.Status401Unauthorized);
}
