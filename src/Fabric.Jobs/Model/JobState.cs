namespace Fabric.Jobs.Model;

/// <summary>Where a job is in its life: <c>queued -> running -> succeeded | failed | cancelled</c>, and
/// <c>interrupted</c> for a job that was running when the appliance stopped.</summary>
public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

/// <summary>What happens to a job; <see cref="JobTransitions"/> says which state each one leads to.</summary>
public enum JobTrigger
{
    /// <summary>The runner takes the job from the queue.</summary>
    Start,

    /// <summary>The handler returned.</summary>
    Succeed,

    /// <summary>The handler failed.</summary>
    Fail,

    /// <summary>An operator cancelled the job (a running one once its handler stopped).</summary>
    Cancel,

    /// <summary>The appliance stopped while the job ran.</summary>
    Interrupt,

    /// <summary>An operator queued a finished, unsuccessful job again.</summary>
    Retry,
}

/// <summary>The state of one step of a job.</summary>
public enum JobStepState
{
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

/// <summary>The lower-case names used in the database, the API and the CLI.</summary>
public static class JobStateNames
{
    public static string Name(this JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        JobState.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static string Name(this JobStepState state) => state switch
    {
        JobStepState.Running => "running",
        JobStepState.Succeeded => "succeeded",
        JobStepState.Failed => "failed",
        JobStepState.Cancelled => "cancelled",
        JobStepState.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static IReadOnlyList<string> All { get; } = Enum.GetValues<JobState>().Select(s => s.Name()).ToArray();

    public static bool TryParse(string? text, out JobState state)
    {
        foreach (var candidate in Enum.GetValues<JobState>())
        {
            if (string.Equals(candidate.Name(), text, StringComparison.Ordinal))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }

    public static JobStepState ParseStep(string text) =>
        Enum.GetValues<JobStepState>().First(s => string.Equals(s.Name(), text, StringComparison.Ordinal));
}
