using System.Collections.Concurrent;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Instances.Tests.Jobs;

/// <summary>An <see cref="IJobService"/> that queues nothing: it records every job asked for (so a test sees what a
/// request queued, and runs the handler itself with a <see cref="TestJobContext"/>). Reading jobs back is not part of
/// what the instance operations do, so those members (but the list) are not supported.</summary>
internal sealed class RecordingJobService : IJobService
{
    private long _nextId = 100;

    public ConcurrentQueue<Job> Queued { get; } = new();

    public IReadOnlyCollection<string> Kinds => [];

    public Task<JobResult> EnqueueAsync(NewJob job, CancellationToken cancellationToken = default)
    {
        var queued = new Job
        {
            Id = Interlocked.Increment(ref _nextId),
            Kind = job.Kind,
            Node = job.Node,
            Arguments = job.Arguments,
            State = JobState.Queued,
            Actor = job.Actor,
            CreatedAt = DateTimeOffset.UnixEpoch,
            QueuedAt = DateTimeOffset.UnixEpoch,
        };
        Queued.Enqueue(queued);
        return Task.FromResult<JobResult>(queued);
    }

    public Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    /// <summary>The recorded jobs (all still queued) that match the query's node and state.</summary>
    public Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<Job>>([.. Queued.Where(j => (query.State is null || j.State == query.State)
            && (query.Node is null || string.Equals(j.Node, query.Node, StringComparison.OrdinalIgnoreCase)))]);

    public Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<JobResult> CancelAsync(long id, string actor, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<JobResult> RetryAsync(long id, string actor, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public JobSubscription Subscribe(long id) => throw new NotSupportedException();
}

/// <summary>What a handler sees of its job, recording steps, progress and log lines.</summary>
internal sealed class TestJobContext(Job job, CancellationToken cancellationToken = default) : IJobContext
{
    public Job Job { get; } = job with { State = JobState.Running };

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public ConcurrentQueue<string> Steps { get; } = new();

    public ConcurrentQueue<JobProgress> Progresses { get; } = new();

    public ConcurrentQueue<string> Lines { get; } = new();

    public ValueTask StepAsync(string name)
    {
        Steps.Enqueue(name);
        return ValueTask.CompletedTask;
    }

    public void Progress(long done, long? total, string unit) => Progresses.Enqueue(new JobProgress(done, total, unit));

    public void Log(string line) => Lines.Enqueue(line);

    public string Text => string.Join('\n', Lines);
}
