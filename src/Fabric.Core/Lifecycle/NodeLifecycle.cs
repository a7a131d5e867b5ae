using System.Collections.Frozen;
using Fabric.Core.Events;

namespace Fabric.Core.Lifecycle;

/// <summary>The outcome of a trigger: allowed (moving to <see cref="Next"/>, which may be the same state) or refused
/// with a reason an operator can read.</summary>
public readonly record struct LifecycleDecision(bool Allowed, NodeState From, NodeState Next, string? Reason)
{
    /// <summary>True when the node moves to another state.</summary>
    public bool Changes => Allowed && Next != From;
}

/// <summary>A node's lifecycle as a table: (state, trigger, actor kind) -&gt; next state. Pure: no clock, no I/O.
/// Everything that changes a node's state (boot scripts, boot reports, the boot timeout, operators, jobs) asks it
/// first; a combination the table does not list is refused.</summary>
/// <remarks>
/// <code>
///   registered --script--&gt; booting --up--&gt; up            discovered --adopt--&gt; registered
///        ^                    |  \--failed/timeout--&gt; failed     any --retire--&gt; retired --reregister--&gt; registered
///        '-- provisioning &lt;--job--'  (registered | failed -&gt; provisioning -&gt; registered | failed)
/// </code>
/// A node that fetches its script again while <c>booting</c> stays <c>booting</c> (its clock keeps running, so a
/// boot loop still times out); a <c>provisioning</c> node that boots stays <c>provisioning</c>: the job owns it.
/// </remarks>
public static class NodeLifecycle
{
    private static readonly IReadOnlySet<ActorKind> BootEndpoint = FrozenSet.Create(ActorKind.Boot);
    private static readonly IReadOnlySet<ActorKind> Reporters = FrozenSet.Create(ActorKind.Node, ActorKind.Admin, ActorKind.Token);
    private static readonly IReadOnlySet<ActorKind> Operators = FrozenSet.Create(ActorKind.Admin, ActorKind.Token);
    private static readonly IReadOnlySet<ActorKind> Appliance = FrozenSet.Create(ActorKind.Appliance);
    private static readonly IReadOnlySet<ActorKind> Jobs = FrozenSet.Create(ActorKind.Job);

    /// <summary>Every allowed transition. Anything else is refused.</summary>
    public static IReadOnlyList<TransitionRule<NodeState, NodeTrigger>> Rules => Table.Rules;

    private static readonly TransitionTable<NodeState, NodeTrigger> Table = new(
    [
        // The boot script: fetched by the node itself, through the anonymous boot endpoint.
        new(NodeState.Registered, NodeTrigger.BootScriptFetched, BootEndpoint, NodeState.Booting),
        new(NodeState.Booting, NodeTrigger.BootScriptFetched, BootEndpoint, NodeState.Booting),
        new(NodeState.Up, NodeTrigger.BootScriptFetched, BootEndpoint, NodeState.Booting),
        new(NodeState.Failed, NodeTrigger.BootScriptFetched, BootEndpoint, NodeState.Booting),
        new(NodeState.Discovered, NodeTrigger.BootScriptFetched, BootEndpoint, NodeState.Discovered),
        new(NodeState.Provisioning, NodeTrigger.BootScriptFetched, BootEndpoint, NodeState.Provisioning),

        // Boot reports: from the node (its boot token) or an operator.
        new(NodeState.Registered, NodeTrigger.ReportedInitramfs, Reporters, NodeState.Booting),
        new(NodeState.Booting, NodeTrigger.ReportedInitramfs, Reporters, NodeState.Booting),
        new(NodeState.Up, NodeTrigger.ReportedInitramfs, Reporters, NodeState.Booting),
        new(NodeState.Failed, NodeTrigger.ReportedInitramfs, Reporters, NodeState.Booting),
        new(NodeState.Provisioning, NodeTrigger.ReportedInitramfs, Reporters, NodeState.Provisioning),
        new(NodeState.Registered, NodeTrigger.ReportedRootMounted, Reporters, NodeState.Booting),
        new(NodeState.Booting, NodeTrigger.ReportedRootMounted, Reporters, NodeState.Booting),
        new(NodeState.Up, NodeTrigger.ReportedRootMounted, Reporters, NodeState.Booting),
        new(NodeState.Failed, NodeTrigger.ReportedRootMounted, Reporters, NodeState.Booting),
        new(NodeState.Provisioning, NodeTrigger.ReportedRootMounted, Reporters, NodeState.Provisioning),
        new(NodeState.Registered, NodeTrigger.ReportedUp, Reporters, NodeState.Up),
        new(NodeState.Booting, NodeTrigger.ReportedUp, Reporters, NodeState.Up),
        new(NodeState.Up, NodeTrigger.ReportedUp, Reporters, NodeState.Up),
        new(NodeState.Failed, NodeTrigger.ReportedUp, Reporters, NodeState.Up),
        new(NodeState.Provisioning, NodeTrigger.ReportedUp, Reporters, NodeState.Provisioning),
        new(NodeState.Registered, NodeTrigger.ReportedFailed, Reporters, NodeState.Failed),
        new(NodeState.Booting, NodeTrigger.ReportedFailed, Reporters, NodeState.Failed),
        new(NodeState.Up, NodeTrigger.ReportedFailed, Reporters, NodeState.Failed),
        new(NodeState.Failed, NodeTrigger.ReportedFailed, Reporters, NodeState.Failed),
        new(NodeState.Provisioning, NodeTrigger.ReportedFailed, Reporters, NodeState.Provisioning),

        // The appliance's boot timeout.
        new(NodeState.Booting, NodeTrigger.BootTimedOut, Appliance, NodeState.Failed),

        // Operators.
        new(NodeState.Registered, NodeTrigger.Retire, Operators, NodeState.Retired),
        new(NodeState.Discovered, NodeTrigger.Retire, Operators, NodeState.Retired),
        new(NodeState.Booting, NodeTrigger.Retire, Operators, NodeState.Retired),
        new(NodeState.Up, NodeTrigger.Retire, Operators, NodeState.Retired),
        new(NodeState.Failed, NodeTrigger.Retire, Operators, NodeState.Retired),
        new(NodeState.Retired, NodeTrigger.Retire, Operators, NodeState.Retired),
        new(NodeState.Registered, NodeTrigger.Reregister, Operators, NodeState.Registered),
        new(NodeState.Booting, NodeTrigger.Reregister, Operators, NodeState.Registered),
        new(NodeState.Up, NodeTrigger.Reregister, Operators, NodeState.Registered),
        new(NodeState.Failed, NodeTrigger.Reregister, Operators, NodeState.Registered),
        new(NodeState.Retired, NodeTrigger.Reregister, Operators, NodeState.Registered),
        new(NodeState.Discovered, NodeTrigger.Adopt, Operators, NodeState.Registered),

        // Jobs.
        new(NodeState.Registered, NodeTrigger.ProvisioningStarted, Jobs, NodeState.Provisioning),
        new(NodeState.Failed, NodeTrigger.ProvisioningStarted, Jobs, NodeState.Provisioning),
        new(NodeState.Provisioning, NodeTrigger.ProvisioningFinished, Jobs, NodeState.Registered),
        new(NodeState.Provisioning, NodeTrigger.ProvisioningFailed, Jobs, NodeState.Failed),
    ],
        Refusal,
        Describe);

    /// <summary>What <paramref name="trigger"/> by an actor of <paramref name="actor"/> kind does to a node in
    /// <paramref name="state"/>.</summary>
    public static LifecycleDecision Decide(NodeState state, NodeTrigger trigger, ActorKind actor)
    {
        var (allowed, next, reason) = Table.Decide(state, trigger, actor);
        return new LifecycleDecision(allowed, state, next, reason);
    }

    private static string Refusal(NodeState state, NodeTrigger trigger) => (state, trigger) switch
    {
        (NodeState.Retired, NodeTrigger.BootScriptFetched) => "a retired node is not booted",
        (NodeState.Retired, _) => $"node is retired; {Describe(trigger)} needs it registered again",
        (NodeState.Discovered, NodeTrigger.Reregister) => "a discovered node is adopted by giving it a role or a root",
        (NodeState.Discovered, _) => $"a discovered node is not booted until an operator adopts it; {Describe(trigger)} does not apply",
        (NodeState.Provisioning, _) => $"a job is provisioning the node; {Describe(trigger)} waits until it is done",
        (_, NodeTrigger.Adopt) => "only a discovered node is adopted",
        (_, NodeTrigger.BootTimedOut) => "only a booting node times out",
        (_, NodeTrigger.ProvisioningStarted) => $"provisioning starts from registered or failed, not {state.ToWire()}",
        (_, NodeTrigger.ProvisioningFinished or NodeTrigger.ProvisioningFailed) => "the node is not provisioning",
        _ => $"{Describe(trigger)} does not apply to a {state.ToWire()} node",
    };

    /// <summary>The trigger in words, for refusals and logs.</summary>
    public static string Describe(NodeTrigger trigger) => trigger switch
    {
        NodeTrigger.BootScriptFetched => "fetching the boot script",
        NodeTrigger.ReportedInitramfs => "the 'initramfs' boot report",
        NodeTrigger.ReportedRootMounted => "the 'root-mounted' boot report",
        NodeTrigger.ReportedUp => "the 'up' boot report",
        NodeTrigger.ReportedFailed => "the 'failed' boot report",
        NodeTrigger.BootTimedOut => "the boot timeout",
        NodeTrigger.Retire => "retiring",
        NodeTrigger.Reregister => "registering again",
        NodeTrigger.Adopt => "adoption",
        NodeTrigger.ProvisioningStarted => "starting provisioning",
        NodeTrigger.ProvisioningFinished => "finishing provisioning",
        NodeTrigger.ProvisioningFailed => "failing provisioning",
        _ => trigger.ToString(),
    };
}
