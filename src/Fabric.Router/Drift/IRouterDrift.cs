namespace Fabric.Router.Drift;

/// <summary>What the last drift check found on a router.</summary>
public enum RouterDriftStatus
{
    /// <summary>Not checked successfully yet (since the appliance started), or not checkable (retired, no pinned host key).</summary>
    Unknown,

    /// <summary>The router matches its plan.</summary>
    InSync,

    /// <summary>The router differs from its plan: apply would make <see cref="RouterDriftState.Changes"/>.</summary>
    Drift,
}

/// <summary>One router's drift: its status and changes as the last successful check found them, since when, and when the
/// last check could not read it (<see cref="Unreachable"/>, the reason; null when the last check read it).</summary>
public sealed record RouterDriftState(
    RouterDriftStatus Status,
    IReadOnlyList<string> Changes,
    DateTimeOffset? Since = null,
    DateTimeOffset? CheckedAt = null,
    string? Unreachable = null)
{
    public static RouterDriftState Unknown { get; } = new(RouterDriftStatus.Unknown, []);
}

/// <summary>The drift of routers as the periodic check found it (kept in memory; see the README).</summary>
public interface IRouterDrift
{
    /// <summary>The router's drift; <see cref="RouterDriftState.Unknown"/> for one not checked yet.</summary>
    RouterDriftState Of(string router);
}
