using System.Text.Json;

namespace Fabric.Instances.Qmp;

/// <summary>What <c>query-migrate</c> returns, the parts a migration job reports: status, RAM bytes sent, remaining and
/// total, the expected downtime while it runs, and the total time and downtime once it completed.</summary>
public sealed record MigrationInfo(
    string Status,
    long TransferredBytes,
    long RemainingBytes,
    long TotalBytes,
    long? ExpectedDowntimeMs,
    long? TotalTimeMs,
    long? DowntimeMs,
    string? Error)
{
    /// <summary>Statuses after which nothing more happens (qapi/migration.json, MigrationStatus).</summary>
    public bool Finished => Status is "completed" or "failed" or "cancelled";

    public bool Succeeded => Status == "completed";

    /// <summary>Reads a <c>query-migrate</c> return value. An empty object (no migration yet) reads as status <c>none</c>.</summary>
    public static bool TryRead(JsonElement value, out MigrationInfo? info, out string? problem)
    {
        info = null;
        problem = null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            problem = "query-migrate returned no object";
            return false;
        }

        string status = value.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "none";
        long transferred = 0, remaining = 0, total = 0;
        if (value.TryGetProperty("ram", out var ram) && ram.ValueKind == JsonValueKind.Object)
        {
            transferred = Long(ram, "transferred") ?? 0;
            remaining = Long(ram, "remaining") ?? 0;
            total = Long(ram, "total") ?? 0;
        }

        string? error = value.TryGetProperty("error-desc", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        info = new MigrationInfo(
            status,
            transferred,
            remaining,
            total,
            Long(value, "expected-downtime"),
            Long(value, "total-time"),
            Long(value, "downtime"),
            error);
        return true;
    }

    private static long? Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;
}
