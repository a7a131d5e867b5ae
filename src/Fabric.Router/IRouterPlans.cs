using Fabric.Router.Diff;

namespace Fabric.Router;

/// <summary>Why a router could not be planned: <see cref="Kind"/> says whose problem it is.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Field">The node field the operator fixes (<c>name</c>, <c>sshHostKey</c>, <c>sshAddress</c>), or null.</param>
/// <param name="Message">One line naming the router and the reason (the address when it could not be reached).</param>
public sealed record RouterPlanError(RouterPlanErrorKind Kind, string? Field, string Message);

public enum RouterPlanErrorKind
{
    /// <summary>No router of that name.</summary>
    NotFound,

    /// <summary>The router cannot be connected to as registered (no address, no pinned host key).</summary>
    NotReachable,

    /// <summary>Connecting or reading failed: unreachable, host key mismatch, a command failed or printed nonsense.</summary>
    Failed,
}

/// <summary>A router's plan or why there is none.</summary>
public sealed record RouterPlanResult(string Router, IReadOnlyList<RouterAction>? Actions, RouterPlanError? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>Plans a router by name without changing anything on it or in the registry (what <c>fabric router plan</c>
/// shows); a host key mismatch is recorded as the node's <c>ssh-host-key-mismatch</c> event.</summary>
public interface IRouterPlans
{
    Task<RouterPlanResult> PlanAsync(string router, CancellationToken cancellationToken = default);
}
