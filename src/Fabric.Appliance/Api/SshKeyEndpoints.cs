using Fabric.Remote.Keys;

namespace Fabric.Appliance.Api;

/// <summary><c>GET /api/v1/ssh-key</c>: Fabric's public SSH key, for operators to put in <c>authorized_keys</c> on hosts
/// Fabric did not boot. Anonymous: the key is public.</summary>
internal static class SshKeyEndpoints
{
    public static RouteGroupBuilder MapSshKeyEndpoints(this RouteGroupBuilder api)
    {
        // Resolved now, so the key pair is made (or found unreadable) when the appliance starts, not on first use.
        var identity = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<SshIdentity>();
        api.MapGet("/ssh-key", () => Results.Text(identity.PublicKey + "\n", "text/plain; charset=utf-8"))
            .WithTags("ssh").Produces<string>(StatusCodes.Status200OK, "text/plain");
        return api;
    }
}
