using System.Collections.Concurrent;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Testing;

namespace Fabric.Router.Tests;

/// <summary>Remote hosts that hand out one <see cref="FakeRouterHost"/>, or, while <see cref="Failure"/> is set, a host
/// whose every command throws it (a router that cannot be reached).</summary>
internal sealed class RouterHosts(FakeRouterHost router) : IRemoteHosts
{
    public Exception? Failure { get; set; }

    public IRemoteHost For(SshTarget target)
    {
        if (target != router.Target)
        {
            throw new InvalidOperationException($"unexpected target {target}");
        }

        return Failure is { } failure ? new FailingHost(target, failure) : router;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class FailingHost(SshTarget target, Exception failure) : IRemoteHost
    {
        public SshTarget Target => target;

        public Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromException<RemoteCommandResult>(failure);

        public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
            Task.FromException(failure);

        public Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default) =>
            Task.FromException(failure);
    }
}

/// <summary>An <see cref="IJobService"/> that keeps the jobs queued, in order, lists them by node and state as the real
/// one does, and lets the test move a job to another state.</summary>
internal sealed class RecordingJobs : IJobService
{
    private readonly ConcurrentDictionary<long, Job> _jobs = new();
    private long _next;

    public IReadOnlyList<Job> All => [.. _jobs.Values.OrderBy(j => j.Id)];

    public IReadOnlyList<Job> OfKind(string kind) => [.. All.Where(j => j.Kind == kind)];

    public IReadOnlyCollection<string> Kinds => ["router-apply", "instance-create"];

    public void SetState(long id, JobState state) => _jobs[id] = _jobs[id] with { State = state };

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
        _jobs[queued.Id] = queued;
        return Task.FromResult<JobResult>(queued);
    }

    public Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default) => Task.FromResult(_jobs.GetValueOrDefault(id));

    public Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<Job>>([.. All
            .Where(j => query.Node is null || string.Equals(j.Node, query.Node, StringComparison.OrdinalIgnoreCase))
            .Where(j => query.State is null || j.State == query.State)
            .OrderByDescending(j => j.Id)
            .Take(query.Limit)]);

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
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
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
