using Fabric.Api.Contracts;
using Fabric.Appliance.Security;
using Fabric.Registry.Tokens;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/tokens</c>: named API tokens, managed with the admin token only.</summary>
internal static class TokenEndpoints
{
    public static RouteGroupBuilder MapTokenEndpoints(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("tokens");

        tokens.MapGet("", (IApiTokenStore store) => Results.Ok(store.List().Select(ToDto).ToList()))
            .RequireAdminToken().Produces<List<TokenDto>>();

        tokens.MapPost("", async (HttpContext context, IApiTokenStore store, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<CreateTokenRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var result = await store.CreateAsync(request!.Name, cancellationToken);
            if (!result.Succeeded)
            {
                return Problems.From(result.Error);
            }

            var (token, secret) = (result.Value.Token, result.Value.Secret);
            return Results.Created($"/api/v1/tokens/{Uri.EscapeDataString(token.Name)}", new CreatedTokenDto(token.Name, secret, token.CreatedAt));
        }).RequireAdminToken().Accepts<CreateTokenRequest>("application/json").Produces<CreatedTokenDto>(201)
            .ProducesValidationProblem().ProducesProblem(409);

        tokens.MapDelete("/{name}", async (string name, IApiTokenStore store, CancellationToken cancellationToken) =>
        {
            var result = await store.RevokeAsync(name, cancellationToken);
            return result.Succeeded ? Results.NoContent() : Problems.From(result.Error);
        }).RequireAdminToken().Produces(204).ProducesProblem(404);

        return api;
    }

    private static TokenDto ToDto(ApiToken token) => new(token.Name, token.CreatedAt, token.LastUsedAt);
}
