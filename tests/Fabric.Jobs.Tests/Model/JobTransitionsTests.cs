using Fabric.Jobs.Model;

namespace Fabric.Jobs.Tests.Model;

public sealed class JobTransitionsTests
{
    private static readonly Dictionary<(JobState, JobTrigger), JobState> Expected = new()
    {
        [(JobState.Queued, JobTrigger.Start)] = JobState.Running,
        [(JobState.Queued, JobTrigger.Cancel)] = JobState.Cancelled,
        [(JobState.Running, JobTrigger.Succeed)] = JobState.Succeeded,
        [(JobState.Running, JobTrigger.Fail)] = JobState.Failed,
        [(JobState.Running, JobTrigger.Cancel)] = JobState.Cancelled,
        [(JobState.Running, JobTrigger.Interrupt)] = JobState.Interrupted,
        [(JobState.Failed, JobTrigger.Retry)] = JobState.Queued,
        [(JobState.Cancelled, JobTrigger.Retry)] = JobState.Queued,
        [(JobState.Interrupted, JobTrigger.Retry)] = JobState.Queued,
    };

    public static TheoryData<JobState, JobTrigger, JobState> AllowedCases()
    {
        var data = new TheoryData<JobState, JobTrigger, JobState>();
        foreach (var ((from, trigger), to) in Expected)
        {
            data.Add(from, trigger, to);
        }

        return data;
    }

    public static TheoryData<JobState, JobTrigger> RefusedCases()
    {
        var data = new TheoryData<JobState, JobTrigger>();
        foreach (var from in Enum.GetValues<JobState>())
        {
            foreach (var trigger in Enum.GetValues<JobTrigger>())
            {
                if (!Expected.ContainsKey((from, trigger)))
                {
                    data.Add(from, trigger);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllowedCases))]
    public void Next_AllowedTransition_GivesTheNextState(JobState from, JobTrigger trigger, JobState to) =>
        Assert.Equal(to, JobTransitions.Next(from, trigger));

    [Theory]
    [MemberData(nameof(RefusedCases))]
    public void Next_RefusedTransition_IsNull(JobState from, JobTrigger trigger) =>
        Assert.Null(JobTransitions.Next(from, trigger));

    [Fact]
    public void Allowed_ListsExactlyTheTable() =>
        Assert.Equal(Expected.Count, JobTransitions.Allowed.Count());

    [Theory]
    [InlineData(JobState.Queued, false)]
    [InlineData(JobState.Running, false)]
    [InlineData(JobState.Succeeded, true)]
    [InlineData(JobState.Failed, true)]
    [InlineData(JobState.Cancelled, true)]
    [InlineData(JobState.Interrupted, true)]
    public void IsFinished_EachState_OnlyEndStates(JobState state, bool finished) =>
        Assert.Equal(finished, JobTransitions.IsFinished(state));

    [Fact]
    public void TryParse_EveryName_RoundTrips()
    {
        foreach (var state in Enum.GetValues<JobState>())
        {
            Assert.True(JobStateNames.TryParse(state.Name(), out var parsed));
            Assert.Equal(state, parsed);
        }

        Assert.False(JobStateNames.TryParse("Running", out _));
        Assert.False(JobStateNames.TryParse(null, out _));
    }
}
