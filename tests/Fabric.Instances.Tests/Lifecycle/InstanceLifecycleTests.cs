using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Lifecycle;

namespace Fabric.Instances.Tests.Lifecycle;

public sealed class InstanceLifecycleTests
{
    private const InstanceState Defined = InstanceState.Defined;
    private const InstanceState Starting = InstanceState.Starting;
    private const InstanceState Running = InstanceState.Running;
    private const InstanceState Migrating = InstanceState.Migrating;
    private const InstanceState Stopping = InstanceState.Stopping;
    private const InstanceState Stopped = InstanceState.Stopped;
    private const InstanceState Failed = InstanceState.Failed;

    private static readonly ActorKind[] Operators = [ActorKind.Admin, ActorKind.Token];
    private static readonly ActorKind[] Jobs = [ActorKind.Job];
    private static readonly ActorKind[] Appliance = [ActorKind.Appliance];

    /// <summary>The expected table, written out on its own (not read from the code under test): from, trigger, who, to.</summary>
    private static readonly (InstanceState From, InstanceTrigger On, ActorKind[] By, InstanceState To)[] Expected =
    [
        (Defined, InstanceTrigger.Start, Operators, Starting),
        (Stopped, InstanceTrigger.Start, Operators, Starting),
        (Failed, InstanceTrigger.Start, Operators, Starting),
        (Running, InstanceTrigger.Stop, Operators, Stopping),
        (Failed, InstanceTrigger.Stop, Operators, Stopping),
        (Running, InstanceTrigger.Migrate, Operators, Migrating),

        (Starting, InstanceTrigger.Started, Jobs, Running),
        (Starting, InstanceTrigger.StartFailed, Jobs, Failed),
        (Stopping, InstanceTrigger.Stopped, Jobs, Stopped),
        (Stopping, InstanceTrigger.StopFailed, Jobs, Failed),
        (Migrating, InstanceTrigger.MigrationFinished, Jobs, Running),
        (Migrating, InstanceTrigger.MigrationAborted, Jobs, Running),

        (Running, InstanceTrigger.ProcessLost, Appliance, Failed),
        (Migrating, InstanceTrigger.ProcessLost, Appliance, Failed),
    ];

    private static IEnumerable<(InstanceState, InstanceTrigger, ActorKind, InstanceState)> AllowedRows() =>
        Expected.SelectMany(row => row.By.Select(by => (row.From, row.On, by, row.To)));

    public static TheoryData<InstanceState, InstanceTrigger, ActorKind, InstanceState> Allowed()
    {
        var data = new TheoryData<InstanceState, InstanceTrigger, ActorKind, InstanceState>();
        foreach (var (from, on, by, to) in AllowedRows())
        {
            data.Add(from, on, by, to);
        }

        return data;
    }

    public static TheoryData<InstanceState, InstanceTrigger, ActorKind> Refused()
    {
        var allowed = AllowedRows().Select(r => (r.Item1, r.Item2, r.Item3)).ToHashSet();
        var data = new TheoryData<InstanceState, InstanceTrigger, ActorKind>();
        foreach (var state in Enum.GetValues<InstanceState>())
        {
            foreach (var trigger in Enum.GetValues<InstanceTrigger>())
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
    public void Decide_AllowedTransition_MovesToTheTablesNextState(InstanceState from, InstanceTrigger trigger, ActorKind actor, InstanceState to)
    {
        var decision = InstanceLifecycle.Decide(from, trigger, actor);

        Assert.True(decision.Allowed, decision.Reason);
        Assert.Equal(to, decision.Next);
        Assert.Equal(from != to, decision.Changes);
        Assert.Null(decision.Reason);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Decide_EveryOtherCombination_RefusedWithAReasonAndNoChange(InstanceState from, InstanceTrigger trigger, ActorKind actor)
    {
        var decision = InstanceLifecycle.Decide(from, trigger, actor);

        Assert.False(decision.Allowed);
        Assert.False(decision.Changes);
        Assert.Equal(from, decision.Next);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Fact]
    public void Rules_SameAsTheExpectedTable_NoRowMissingOrExtra()
    {
        var actual = InstanceLifecycle.Rules.SelectMany(r => r.By.Select(by => (r.From, r.On, by, r.To))).ToHashSet();

        Assert.Equal(AllowedRows().ToHashSet(), actual);
    }

    [Fact]
    public void Decide_MigrationAborted_BackToRunningNotFailed()
    {
        var decision = InstanceLifecycle.Decide(Migrating, InstanceTrigger.MigrationAborted, ActorKind.Job);

        Assert.Equal(Running, decision.Next);
    }

    [Fact]
    public void Decide_StopWhileMigrating_RefusedSayingToCancelTheMigration()
    {
        var decision = InstanceLifecycle.Decide(Migrating, InstanceTrigger.Stop, ActorKind.Admin);

        Assert.Equal("the instance is migrating; cancel the migration job first", decision.Reason);
    }

    [Fact]
    public void Decide_MigrateStoppedInstance_RefusedNamingTheState()
    {
        var decision = InstanceLifecycle.Decide(Stopped, InstanceTrigger.Migrate, ActorKind.Admin);

        Assert.Equal("only a running instance is migrated, this one is stopped", decision.Reason);
    }

    [Fact]
    public void Decide_OperatorReportsStarted_RefusedNamingWhoMay()
    {
        var decision = InstanceLifecycle.Decide(Starting, InstanceTrigger.Started, ActorKind.Admin);

        Assert.Equal("finishing a start is for job, not admin", decision.Reason);
    }

    [Fact]
    public void Decide_FullLife_DefinedToStoppedThroughAMigration()
    {
        var state = Defined;
        (InstanceTrigger, ActorKind)[] steps =
        [
            (InstanceTrigger.Start, ActorKind.Admin), (InstanceTrigger.Started, ActorKind.Job),
            (InstanceTrigger.Migrate, ActorKind.Token), (InstanceTrigger.MigrationFinished, ActorKind.Job),
            (InstanceTrigger.Stop, ActorKind.Admin), (InstanceTrigger.Stopped, ActorKind.Job),
        ];
        var seen = new List<InstanceState>();
        foreach (var (trigger, actor) in steps)
        {
            var decision = InstanceLifecycle.Decide(state, trigger, actor);
            Assert.True(decision.Allowed, decision.Reason);
            state = decision.Next;
            seen.Add(state);
        }

        Assert.Equal([Starting, Running, Migrating, Running, Stopping, Stopped], seen);
    }

    [Theory]
    [InlineData("defined", InstanceState.Defined)]
    [InlineData("Migrating", InstanceState.Migrating)]
    [InlineData(" stopped ", InstanceState.Stopped)]
    public void TryParse_WireText_GivesTheState(string text, InstanceState expected)
    {
        Assert.True(InstanceStateNames.TryParse(text, out var state));
        Assert.Equal(expected, state);
        Assert.Equal(text.Trim().ToLowerInvariant(), state.ToWire());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("paused")]
    public void TryParse_UnknownText_False(string? text)
    {
        Assert.False(InstanceStateNames.TryParse(text, out _));
    }
}
