namespace Fabric.Jobs.Model;

/// <summary>A durable job: what runs (<see cref="Kind"/> with its <see cref="Arguments"/>), on which node, who asked,
/// and how far it got.</summary>
public sealed record Job
{
    public required long Id { get; init; }

    /// <summary>The handler's kind name, e.g. <c>wait</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The node the job works on; one job at a time runs per node. Null for jobs that lock no node.</summary>
    public string? Node { get; init; }

    public IReadOnlyDictionary<string, string> Arguments { get; init; } = new Dictionary<string, string>();

    public required JobState State { get; init; }

    /// <summary>Who started the job (<c>admin</c>, <c>appliance</c>, ...).</summary>
    public required string Actor { get; init; }

    /// <summary>1 for the first run, one more for each retry.</summary>
    public int Attempt { get; init; } = 1;

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the job last entered the queue; the queue is served in this order.</summary>
    public required DateTimeOffset QueuedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>An operator asked a running job to stop; it ends <c>cancelled</c> once its handler stops.</summary>
    public bool CancelRequested { get; init; }

    public IReadOnlyList<JobStep> Steps { get; init; } = [];

    public JobProgress? Progress { get; init; }

    public string? Error { get; init; }

    /// <summary>How many of the oldest log lines were dropped to keep the log within its bound.</summary>
    public long LogDropped { get; init; }

    public bool IsFinished => JobTransitions.IsFinished(State);
}

/// <summary>One named step of a job.</summary>
public sealed record JobStep(string Name, JobStepState State, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>How much of the current work is done, e.g. bytes copied of a total.</summary>
public sealed record JobProgress(long Done, long? Total, string Unit);

/// <summary>One line of a job's log; <see cref="Seq"/> grows across retries.</summary>
public sealed record JobLogLine(long Seq, DateTimeOffset At, string Line);

/// <summary>What a new job needs.</summary>
public sealed record NewJob(string Kind, string? Node, IReadOnlyDictionary<string, string> Arguments, string Actor);

/// <summary>A filter for listing jobs; null fields match everything.</summary>
public sealed record JobQuery(string? Node = null, JobState? State = null, int Limit = 500);
