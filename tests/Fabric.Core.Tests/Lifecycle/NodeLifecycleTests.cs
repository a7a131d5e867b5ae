using Fabric.Core.Events;
using Fabric.Core.Lifecycle;

namespace Fabric.Core.Tests.Lifecycle;

public sealed class NodeLifecycleTests
{
    private const NodeState Registered = NodeState.Registered;
    private const NodeState Discovered = NodeState.Discovered;
    private const NodeState Booting = NodeState.Booting;
    private const NodeState Up = NodeState.Up;
    private const NodeState Failed = NodeState.Failed;
    private const NodeState Retired = NodeState.Retired;
    private const NodeState Provisioning = NodeState.Provisioning;

    private static readonly ActorKind[] Boot = [ActorKind.Boot];
    private static readonly ActorKind[] Reporters = [ActorKind.Node, ActorKind.Admin, ActorKind.Token];
    private static readonly ActorKind[] Operators = [ActorKind.Admin, ActorKind.Token];
    private static readonly ActorKind[] Appliance = [ActorKind.Appliance];
    private static readonly ActorKind[] Jobs = [ActorKind.Job];

    /// <summary>The expected table, written out on its own (not read from the code under test): from, trigger, who, to.</summary>
    private static readonly (NodeState From, NodeTrigger On, ActorKind[] By, NodeState To)[] Expected =
    [
        (Registered, NodeTrigger.BootScriptFetched, Boot, Booting),
        (Booting, NodeTrigger.BootScriptFetched, Boot, Booting),
        (Up, NodeTrigger.BootScriptFetched, Boot, Booting),
        (Failed, NodeTrigger.BootScriptFetched, Boot, Booting),
        (Discovered, NodeTrigger.BootScriptFetched, Boot, Discovered),
        (Provisioning, NodeTrigger.BootScriptFetched, Boot, Provisioning),

        (Registered, NodeTrigger.ReportedInitramfs, Reporters, Booting),
        (Booting, NodeTrigger.ReportedInitramfs, Reporters, Booting),
        (Up, NodeTrigger.ReportedInitramfs, Reporters, Booting),
        (Failed, NodeTrigger.ReportedInitramfs, Reporters, Booting),
        (Provisioning, NodeTrigger.ReportedInitramfs, Reporters, Provisioning),
        (Registered, NodeTrigger.ReportedRootMounted, Reporters, Booting),
        (Booting, NodeTrigger.ReportedRootMounted, Reporters, Booting),
        (Up, NodeTrigger.ReportedRootMounted, Reporters, Booting),
        (Failed, NodeTrigger.ReportedRootMounted, Reporters, Booting),
        (Provisioning, NodeTrigger.ReportedRootMounted, Reporters, Provisioning),
        (Registered, NodeTrigger.ReportedUp, Reporters, Up),
        (Booting, NodeTrigger.ReportedUp, Reporters, Up),
        (Up, NodeTrigger.ReportedUp, Reporters, Up),
        (Failed, NodeTrigger.ReportedUp, Reporters, Up),
        (Provisioning, NodeTrigger.ReportedUp, Reporters, Provisioning),
        (Registered, NodeTrigger.ReportedFailed, Reporters, Failed),
        (Booting, NodeTrigger.ReportedFailed, Reporters, Failed),
        (Up, NodeTrigger.ReportedFailed, Reporters, Failed),
        (Failed, NodeTrigger.ReportedFailed, Reporters, Failed),
        (Provisioning, NodeTrigger.ReportedFailed, Reporters, Provisioning),

        (Booting, NodeTrigger.BootTimedOut, Appliance, Failed),

        (Registered, NodeTrigger.Retire, Operators, Retired),
        (Discovered, NodeTrigger.Retire, Operators, Retired),
        (Booting, NodeTrigger.Retire, Operators, Retired),
        (Up, NodeTrigger.Retire, Operators, Retired),
        (Failed, NodeTrigger.Retire, Operators, Retired),
        (Retired, NodeTrigger.Retire, Operators, Retired),
        (Registered, NodeTrigger.Reregister, Operators, Registered),
        (Booting, NodeTrigger.Reregister, Operators, Registered),
        (Up, NodeTrigger.Reregister, Operators, Registered),
        (Failed, NodeTrigger.Reregister, Operators, Registered),
        (Retired, NodeTrigger.Reregister, Operators, Registered),
        (Discovered, NodeTrigger.Adopt, Operators, Registered),

        (Registered, NodeTrigger.ProvisioningStarted, Jobs, Provisioning),
        (Failed, NodeTrigger.ProvisioningStarted, Jobs, Provisioning),
        (Provisioning, NodeTrigger.ProvisioningFinished, Jobs, Registered),
        (Provisioning, NodeTrigger.ProvisioningFailed, Jobs, Failed),
    ];

    private static IEnumerable<(NodeState, NodeTrigger, ActorKind, NodeState)> AllowedRows() =>
        Expected.SelectMany(row => row.By.Select(by => (row.From, row.On, by, row.To)));

    public static TheoryData<NodeState, NodeTrigger, ActorKind, NodeState> Allowed()
    {
        var data = new TheoryData<NodeState, NodeTrigger, ActorKind, NodeState>();
        foreach (var (from, on, by, to) in AllowedRows())
        {
            data.Add(from, on, by, to);
        }

        return data;
    }

    public static TheoryData<NodeState, NodeTrigger, ActorKind> Refused()
    {
        var allowed = AllowedRows().Select(r => (r.Item1, r.Item2, r.Item3)).ToHashSet();
        var data = new TheoryData<NodeState, NodeTrigger, ActorKind>();
        foreach (var state in Enum.GetValues<NodeState>())
        {
            foreach (var trigger in Enum.GetValues<NodeTrigger>())
            {
                foreach (var actor in Enum.GetValues<ActorKind>())
                {
                    if (!allowed.Contains((state, trigger, actor)))
                    {
                        data.Add(state, trigger, actor);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Allowed))]
    public void Decide_AllowedTransition_MovesToTheTablesNextState(NodeState from, NodeTrigger trigger, ActorKind actor, NodeState to)
    {
        var decision = NodeLifecycle.Decide(from, trigger, actor);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal(to, decision.Next);
        Assert.Equal(from != to, decision.Changes);
        Assert.Null(decision.Reason);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Decide_EveryOtherCombination_RefusedWithAReasonAndNoChange(NodeState from, NodeTrigger trigger, ActorKind actor)
    {
        var decision = NodeLifecycle.Decide(from, trigger, actor);

        Assert.False(decision.Allowed);
        Assert.False(decision.Changes);
        Assert.Equal(from, decision.Next);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Fact]
    public void Rules_SameAsTheExpectedTable_NoRowMissingOrExtra()
    {
        var actual = NodeLifecycle.Rules.SelectMany(r => r.By.Select(by => (r.From, r.On, by, r.To))).ToHashSet();

        Assert.Equal(AllowedRows().ToHashSet(), actual);
    }

    [Fact]
    public void Decide_RetiredFetchesScript_RefusedAsNotBooted()
    {
        Assert.Equal("a retired node is not booted", NodeLifecycle.Decide(Retired, NodeTrigger.BootScriptFetched, ActorKind.Boot).Reason);
    }

    [Fact]
    public void Decide_NodeTriesToRetireItself_RefusedNamingWhoMay()
    {
        var decision = NodeLifecycle.Decide(Up, NodeTrigger.Retire, ActorKind.Node);

        Assert.Equal("retiring is for admin or token, not node", decision.Reason);
    }

    [Fact]
    public void Decide_ProvisioningRoundTrip_RegisteredProvisioningRegistered()
    {
        var start = NodeLifecycle.Decide(Registered, NodeTrigger.ProvisioningStarted, ActorKind.Job);
        var boot = NodeLifecycle.Decide(start.Next, NodeTrigger.BootScriptFetched, ActorKind.Boot);
        var done = NodeLifecycle.Decide(boot.Next, NodeTrigger.ProvisioningFinished, ActorKind.Job);

        Assert.Equal((Provisioning, Provisioning, Registered), (start.Next, boot.Next, done.Next));
    }

    [Fact]
    public void Decide_ProvisioningRetriedAfterItFailed_ProvisioningAgain()
    {
        var failed = NodeLifecycle.Decide(Provisioning, NodeTrigger.ProvisioningFailed, ActorKind.Job);
        var retried = NodeLifecycle.Decide(failed.Next, NodeTrigger.ProvisioningStarted, ActorKind.Job);

        Assert.Equal((Failed, Provisioning), (failed.Next, retried.Next));
        Assert.False(NodeLifecycle.Decide(Up, NodeTrigger.ProvisioningStarted, ActorKind.Job).Allowed);
    }
}
