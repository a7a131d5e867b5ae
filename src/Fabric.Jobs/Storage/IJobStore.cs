using Fabric.Jobs.Model;

namespace Fabric.Jobs.Storage;

/// <summary>Where jobs, their steps, progress and logs are kept. The runner is the only writer.</summary>
public interface IJobStore : IDisposable
{
    /// <summary>Records a new <c>queued</c> job and returns it with its id.</summary>
    Task<Job> CreateAsync(NewJob job, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Jobs matching <paramref name="query"/>, newest first.</summary>
    Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default);

    /// <summary>The queue: every <c>queued</c> job, first queued first.</summary>
    Task<IReadOnlyList<Job>> QueuedAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes a job's state, times, steps, progress and error.</summary>
    Task UpdateAsync(Job job, CancellationToken cancellationToken = default);

    /// <summary>Appends log lines, dropping the oldest beyond the store's bound; returns the lines as stored.</summary>
    Task<IReadOnlyList<JobLogLine>> AppendLogAsync(long id, IReadOnlyList<(DateTimeOffset At, string Line)> lines, CancellationToken cancellationToken = default);

    /// <summary>The job's log lines after <paramref name="afterSeq"/>, oldest first.</summary>
    Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default);
}
