using Fabric.Jobs.Model;

namespace Fabric.Jobs.Running;

/// <summary>What the API and other features do with jobs: start, read, follow, cancel and retry them.</summary>
public interface IJobService
{
    /// <summary>The kinds of job the appliance can run.</summary>
    IReadOnlyCollection<string> Kinds { get; }

    /// <summary>Queues a job after checking its kind and arguments; 400-style errors otherwise.</summary>
    Task<JobResult> EnqueueAsync(NewJob job, CancellationToken cancellationToken = default);

    /// <summary>The job as it is now (a running job's latest progress included), or null.</summary>
    Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default);

    /// <summary>A queued job is cancelled at once; a running one is asked to stop and ends <c>cancelled</c> when its
    /// handler has stopped. A finished job is a conflict.</summary>
    Task<JobResult> CancelAsync(long id, string actor, CancellationToken cancellationToken = default);

    /// <summary>Queues a failed, cancelled or interrupted job again under the same id, one attempt more.</summary>
    Task<JobResult> RetryAsync(long id, string actor, CancellationToken cancellationToken = default);

    /// <summary>Live updates of one job. Subscribe before reading the job, so nothing falls between the two.</summary>
    JobSubscription Subscribe(long id);
}
