using System.Collections.Frozen;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;

namespace Fabric.Instances.Lifecycle;

/// <summary>The outcome of a trigger: allowed (moving to <see cref="Next"/>) or refused with a reason an operator can read.</summary>
public readonly record struct InstanceDecision(bool Allowed, InstanceState From, InstanceState Next, string? Reason)
{
    /// <summary>True when the instance moves to another state.</summary>
    public bool Changes => Allowed && Next != From;
}

/// <summary>An instance's lifecycle as a table: (state, trigger, actor kind) -&gt; next state. Pure: no clock, no I/O.
/// Operators ask for a change, the job doing the work reports how it ended, the appliance reports a lost process;
/// a combination the table does not list is refused and nothing is written.</summary>
/// <remarks>
/// <code>
///   defined|stopped|failed --start--&gt; starting --started--&gt; running --stop--&gt; stopping --stopped--&gt; stopped
///                                      '--start failed--&gt; failed      |  ^             '--stop failed--&gt; failed
///                                                      migrate  |  | migration finished | aborted
///                                                               v  |
///                                                             migrating
///   running|migrating --process lost (appliance)--&gt; failed;   failed --stop--&gt; stopping (clears a stray qemu)
/// </code>
/// A failed migration returns to <c>running</c>, not <c>failed</c>: the source never stopped, which is the promise.
/// </remarks>
public static class InstanceLifecycle
{
    private static readonly IReadOnlySet<ActorKind> Operators = FrozenSet.Create(ActorKind.Admin, ActorKind.Token);
    private static readonly IReadOnlySet<ActorKind> Jobs = FrozenSet.Create(ActorKind.Job);
    private static readonly IReadOnlySet<ActorKind> Appliance = FrozenSet.Create(ActorKind.Appliance);

    /// <summary>Every allowed transition. Anything else is refused.</summary>
    public static IReadOnlyList<TransitionRule<InstanceState, InstanceTrigger>> Rules => Table.Rules;

    private static readonly TransitionTable<InstanceState, InstanceTrigger> Table = new(
    [
        // Operators ask.
        new(InstanceState.Defined, InstanceTrigger.Start, Operators, InstanceState.Starting),
        new(InstanceState.Stopped, InstanceTrigger.Start, Operators, InstanceState.Starting),
        new(InstanceState.Failed, InstanceTrigger.Start, Operators, InstanceState.Starting),
        new(InstanceState.Running, InstanceTrigger.Stop, Operators, InstanceState.Stopping),
        new(InstanceState.Failed, InstanceTrigger.Stop, Operators, InstanceState.Stopping),
        new(InstanceState.Running, InstanceTrigger.Migrate, Operators, InstanceState.Migrating),

        // The job doing the work says how it ended.
        new(InstanceState.Starting, InstanceTrigger.Started, Jobs, InstanceState.Running),
        new(InstanceState.Starting, InstanceTrigger.StartFailed, Jobs, InstanceState.Failed),
        new(InstanceState.Stopping, InstanceTrigger.Stopped, Jobs, InstanceState.Stopped),
        new(InstanceState.Stopping, InstanceTrigger.StopFailed, Jobs, InstanceState.Failed),
        new(InstanceState.Migrating, InstanceTrigger.MigrationFinished, Jobs, InstanceState.Running),
        new(InstanceState.Migrating, InstanceTrigger.MigrationAborted, Jobs, InstanceState.Running),

        // The appliance finds a qemu gone.
        new(InstanceState.Running, InstanceTrigger.ProcessLost, Appliance, InstanceState.Failed),
        new(InstanceState.Migrating, InstanceTrigger.ProcessLost, Appliance, InstanceState.Failed),
    ],
        Refusal,
        Describe);

    /// <summary>What <paramref name="trigger"/> by an actor of <paramref name="actor"/> kind does to an instance in
    /// <paramref name="state"/>.</summary>
    public static InstanceDecision Decide(InstanceState state, InstanceTrigger trigger, ActorKind actor)
    {
        var (allowed, next, reason) = Table.Decide(state, trigger, actor);
        return new InstanceDecision(allowed, state, next, reason);
    }

    private static string Refusal(InstanceState state, InstanceTrigger trigger) => (state, trigger) switch
    {
        (InstanceState.Running or InstanceState.Starting, InstanceTrigger.Start) => $"the instance is already {state.ToWire()}",
        (InstanceState.Migrating, InstanceTrigger.Start) => "the instance is running (and migrating)",
        (InstanceState.Stopping, InstanceTrigger.Start) => "the instance is stopping; start it once it is stopped",
        (InstanceState.Stopped or InstanceState.Stopping or InstanceState.Defined, InstanceTrigger.Stop) => $"the instance is {state.ToWire()}, not running",
        (InstanceState.Starting, InstanceTrigger.Stop) => "the instance is starting; stop it once it runs",
        (InstanceState.Migrating, InstanceTrigger.Stop) => "the instance is migrating; cancel the migration job first",
        (InstanceState.Migrating, InstanceTrigger.Migrate) => "the instance is already migrating",
        (_, InstanceTrigger.Migrate) => $"only a running instance is migrated, this one is {state.ToWire()}",
        (_, InstanceTrigger.Started or InstanceTrigger.StartFailed) => "the instance is not starting",
        (_, InstanceTrigger.Stopped or InstanceTrigger.StopFailed) => "the instance is not stopping",
        (_, InstanceTrigger.MigrationFinished or InstanceTrigger.MigrationAborted) => "the instance is not migrating",
        (_, InstanceTrigger.ProcessLost) => $"a {state.ToWire()} instance has no process to lose",
        _ => $"{Describe(trigger)} does not apply to a {state.ToWire()} instance",
    };

    /// <summary>The trigger in words, for refusals and logs.</summary>
    public static string Describe(InstanceTrigger trigger) => trigger switch
    {
        InstanceTrigger.Start => "starting",
        InstanceTrigger.Started => "finishing a start",
        InstanceTrigger.StartFailed => "failing a start",
        InstanceTrigger.Stop => "stopping",
        InstanceTrigger.Stopped => "finishing a stop",
        InstanceTrigger.StopFailed => "failing a stop",
        InstanceTrigger.Migrate => "migrating",
        InstanceTrigger.MigrationFinished => "finishing a migration",
        InstanceTrigger.MigrationAborted => "aborting a migration",
        InstanceTrigger.ProcessLost => "losing the process",
        _ => trigger.ToString(),
    };
}
