using Fabric.Appliance.Api;
using Fabric.Appliance.Hosting;
using Fabric.Core;
using Microsoft.AspNetCore.StaticFiles;

namespace Fabric.Appliance.Boot;

/// <summary>The anonymous HTTP boot endpoints: <c>/boot/{mac}.ipxe</c> and <c>/boot/files/{path}</c>.</summary>
internal static class BootEndpoints
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static IEndpointRouteBuilder MapBootEndpoints(this IEndpointRouteBuilder app)
    {
        var boot = app.MapGroup(BootUrls.Prefix).WithTags("boot");

        boot.MapGet(BootUrls.ScriptRoute, async (string mac, HttpContext context, IBootScripts scripts, CancellationToken cancellationToken) =>
        {
            var (status, script) = await scripts.ForMacAsync(mac, context.Connection.RemoteIpAddress, cancellationToken);
            return Results.Text(script, "text/plain; charset=utf-8", statusCode: status);
        }).Produces<string>(200, "text/plain");

        boot.MapMethods(BootUrls.FilesRoute + "/{**path}", ["GET", "HEAD"], (string? path, FabricOptions options) =>
        {
            if (path is null || !SafePath.TryResolve(options.BootDir, path, out var full) || !File.Exists(full))
            {
                return Problems.Field(404, "path", $"no boot file '{path}'");
            }

            var type = ContentTypes.TryGetContentType(full, out var known) ? known : "application/octet-stream";
            return Results.File(full, type, enableRangeProcessing: true, lastModified: File.GetLastWriteTimeUtc(full));
        }).Produces(200).Produces(206).ProducesProblem(404);

        return app;
    }
}
