using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry;
using Fabric.Remote.Keys;

namespace Fabric.Appliance.Api;

/// <summary><c>GET /api/v1/nodes/{name}/ssh-host-key</c>: the SSH host key Fabric keeps for a node whose root is in RAM
/// (role <c>router</c>), in dropbear's file format, for that node only: the bearer token must be the node's boot token
/// (not even the admin token reads it). The key pair is made the first time and is the same at every boot, so the key
/// the registry pinned keeps matching after a reboot; when the node has no pinned key yet, the public half is pinned here
/// (an <c>ssh-host-key-pinned</c> event), before the node's <c>up</c> report. A node of another role keeps its own key
/// on its root: 404 naming <c>role</c>, and its init makes one as before.</summary>
internal static class NodeHostKeyEndpoints
{
    public static RouteGroupBuilder MapNodeHostKeyEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/nodes/{name}/ssh-host-key", async (string name, HttpContext context, IRegistry registry, BootTokens tokens, NodeHostKeys keys, CancellationToken cancellationToken) =>
        {
            var token = Authorization.BearerToken(context);
            if (!tokens.Matches(name, token))
            {
                return Problems.Unauthorized(context, token is null
                    ? "a node's host key needs 'Authorization: Bearer TOKEN' with the node's boot token"
                    : $"the bearer token is not the boot token of node '{name}'");
            }

            var node = registry.FindNode(name);
            if (node is null)
            {
                return NodeEndpoints.NotFound(name);
            }

            if (!KeptByFabric(node))
            {
                return Problems.Field(404, "role", $"node '{node.Name}' is a {node.Role.ToWire()} node: it keeps its own host key on its root (Fabric keeps the keys of routers, whose root is in RAM)");
            }

            var key = keys.GetOrCreate(node.Name);
            if (node.Ssh.HostKey is null)
            {
                var pinned = await registry.PinSshHostKeyAsync(node.Name, key.PublicKey, Actor.Node(node.Name), cancellationToken);
                if (!pinned.Succeeded)
                {
                    return Problems.From(pinned.Error);
                }
            }

            context.Response.Headers.CacheControl = "no-store";
            return Results.Bytes(key.DropbearPrivateKey, "application/octet-stream");
        }).WithTags("ssh").Produces<byte[]>(StatusCodes.Status200OK, "application/octet-stream").ProducesProblem(401).ProducesProblem(404);
        return api;
    }

    /// <summary>Whether Fabric keeps the node's host key: nodes whose root is in RAM (routers: <c>fabric.root=ram</c>).</summary>
    public static bool KeptByFabric(Node node) => node.Role == NodeRole.Router;
}
