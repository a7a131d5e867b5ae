namespace Fabric.Storage.Health;

/// <summary>What Fabric knows of a storage node's reachability.</summary>
public enum StorageHealth
{
    /// <summary>Not checked yet (since the appliance started), or not checkable (retired, no SSH target or host key).</summary>
    Unknown,

    /// <summary>The last check ran its command.</summary>
    Ok,

    /// <summary>The last check could not run its command (unreachable, refused, timed out, host key mismatch).</summary>
    Down,
}

public static class StorageHealthNames
{
    /// <summary><c>unknown</c>, <c>ok</c> or <c>down</c>, as the API shows it.</summary>
    public static string ToWire(this StorageHealth health) => health switch
    {
        StorageHealth.Ok => "ok",
        StorageHealth.Down => "down",
        _ => "unknown",
    };
}

/// <summary>One storage node's health: since when it is in this state, why (when down) and when it was last checked.</summary>
public sealed record StorageNodeHealth(StorageHealth Health, DateTimeOffset? Since = null, string? Reason = null, DateTimeOffset? CheckedAt = null)
{
    public static StorageNodeHealth Unknown { get; } = new(StorageHealth.Unknown);
}

/// <summary>The health of storage nodes as the last checks found it (kept in memory; see the README).</summary>
public interface IStorageHealth
{
    /// <summary>The node's health; <see cref="StorageNodeHealth.Unknown"/> for a node not checked yet.</summary>
    StorageNodeHealth Of(string node);
}
