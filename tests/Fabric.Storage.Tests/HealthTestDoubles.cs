using System.Collections.Concurrent;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Storage.Tests;

/// <summary>A job context that records steps, progress and log lines.</summary>
internal sealed class RepairJobContext(string kind, string node, IReadOnlyDictionary<string, string> arguments, CancellationToken cancellationToken = default) : IJobContext
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _steps = new();
    private readonly ConcurrentQueue<JobProgress> _progress = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<string> Steps => [.. _steps];

    public IReadOnlyList<JobProgress> Progressed => [.. _progress];

    public Job Job { get; } = new()
    {
        Id = 7,
        Kind = kind,
        Node = node,
        Arguments = arguments,
        State = JobState.Running,
        Actor = "admin",
        CreatedAt = DateTimeOffset.UnixEpoch,
        QueuedAt = DateTimeOffset.UnixEpoch,
    };

    public CancellationToken CancellationToken => cancellationToken;

    public ValueTask StepAsync(string name)
    {
        _steps.Enqueue(name);
        return ValueTask.CompletedTask;
    }

    public void Progress(long done, long? total, string unit) => _progress.Enqueue(new JobProgress(done, total, unit));

    public void Log(string line) => _lines.Enqueue(line);
}

/// <summary>An <see cref="IJobService"/> that records the jobs queued, in order, and answers <see cref="FindAsync"/> from
/// states the test sets.</summary>
internal sealed class QueuedJobsService : IJobService
{
    private readonly ConcurrentQueue<Job> _queued = new();
    private readonly ConcurrentDictionary<long, JobState> _states = new();
    private long _next = 100;

    public IReadOnlyList<Job> Queued => [.. _queued];

    public IReadOnlyCollection<string> Kinds => ["storage-sync", "md-repair"];

    public void SetState(long id, JobState state) => _states[id] = state;

    public Task<JobResult> EnqueueAsync(NewJob job, CancellationToken cancellationToken = default)
    {
        var queued = new Job
        {
            Id = Interlocked.Increment(ref _next),
            Kind = job.Kind,
            Node = job.Node,
            Arguments = job.Arguments,
            State = JobState.Queued,
            Actor = job.Actor,
            CreatedAt = DateTimeOffset.UnixEpoch,
            QueuedAt = DateTimeOffset.UnixEpoch,
        };
        _queued.Enqueue(queued);
        return Task.FromResult<JobResult>(queued);
    }

    public Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        var job = _queued.FirstOrDefault(j => j.Id == id);
        return Task.FromResult(job is null ? null : job with { State = _states.GetValueOrDefault(id, JobState.Queued) });
    }

    public Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default) => Task.FromResult(Queued);

    public Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<JobLogLine>>([]);

    public Task<JobResult> CancelAsync(long id, string actor, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<JobResult> RetryAsync(long id, string actor, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public JobSubscription Subscribe(long id) => throw new NotSupportedException();
}

internal static class WaitFor
{
    /// <summary>Waits (in real time, generously: the machine may be busy) until <paramref name="condition"/> holds.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"timed out waiting for {what}");
            }

            await Task.Delay(10);
        }
    }
}
