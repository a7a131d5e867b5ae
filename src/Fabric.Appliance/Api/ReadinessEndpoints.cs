using Fabric.Registry;

namespace Fabric.Appliance.Api;

/// <summary><c>/readyz</c>: whether the appliance can do its work, check by check. <c>/healthz</c> stays liveness only.</summary>
internal static class ReadinessEndpoints
{
    /// <summary>One check: its name, <c>ok</c> or <c>failed</c>, and why.</summary>
    public sealed record Check(string Name, string Status, string? Detail);

    public sealed record Readiness(string Status, IReadOnlyList<Check> Checks);

    public static IEndpointRouteBuilder MapReadiness(this IEndpointRouteBuilder app)
    {
        app.MapGet("/readyz", async (IRegistry registry, CancellationToken cancellationToken) =>
        {
            var health = await registry.CheckWritableAsync(cancellationToken);
            var registryCheck = health.Writable
                ? new Check("registry", "ok", "writable")
                : new Check("registry", "failed", $"not writable: {health.Problem}");
            var checks = new[] { registryCheck };
            bool ready = checks.All(c => c.Status == "ok");
            return Results.Json(new Readiness(ready ? "ready" : "not ready", checks), statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).WithTags("appliance").Produces<Readiness>().Produces<Readiness>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}
