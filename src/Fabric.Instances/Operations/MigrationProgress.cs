using System.Collections.Concurrent;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Operations;

/// <summary>The last <c>query-migrate</c> of each migration running in this appliance (bytes sent, remaining, expected
/// downtime), for the web page's live view; the job's own progress keeps bytes only. In memory: it describes what runs
/// now and goes with the migration.</summary>
public sealed class MigrationProgress
{
    private readonly ConcurrentDictionary<string, MigrationInfo> _byInstance = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The latest figures of <paramref name="instance"/>'s migration, or null when none runs.</summary>
    public MigrationInfo? Of(string instance) => _byInstance.TryGetValue(instance, out var info) ? info : null;

    public void Report(string instance, MigrationInfo info) => _byInstance[instance] = info;

    public void End(string instance) => _byInstance.TryRemove(instance, out _);
}
