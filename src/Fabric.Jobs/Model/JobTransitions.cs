namespace Fabric.Jobs.Model;

/// <summary>The job life cycle as one table (state, trigger -> next state). Anything not in the table is refused:
/// a finished job is not cancelled, a running or queued one is not retried, a succeeded one stays succeeded.</summary>
public static class JobTransitions
{
    private static readonly Dictionary<(JobState, JobTrigger), JobState> Table = new()
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

    /// <summary>Every allowed transition, for documentation and tests.</summary>
    public static IEnumerable<(JobState From, JobTrigger Trigger, JobState To)> Allowed =>
        Table.Select(e => (e.Key.Item1, e.Key.Item2, e.Value));

    /// <summary>The state <paramref name="trigger"/> leads to from <paramref name="from"/>, or null when the table refuses it.</summary>
    public static JobState? Next(JobState from, JobTrigger trigger) =>
        Table.TryGetValue((from, trigger), out var to) ? to : null;

    /// <summary>True for the states a job ends in (until a retry).</summary>
    public static bool IsFinished(JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled or JobState.Interrupted;
}
