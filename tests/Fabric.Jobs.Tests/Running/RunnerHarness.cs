using System.Collections.Concurrent;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Jobs.Storage;
using Fabric.Jobs.Tests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Jobs.Tests.Running;

/// <summary>A job kind the test drives: each job starts a step and holds until the test releases it (or its token
/// fires); a job with argument <c>fail=first</c> fails its first attempt, <c>progress=N</c> reports N values first.</summary>
internal sealed class GateHandler : IJobHandler
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _gates = new();
    private int _concurrent;

    public string Kind => "gate";

    public ConcurrentQueue<long> Started { get; } = new();

    public int MaxConcurrent { get; private set; }

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments) =>
        arguments.ContainsKey("bad") ? [new JobFieldError("arguments.bad", "refused")] : [];

    public async Task RunAsync(IJobContext context)
    {
        var job = context.Job;
        Started.Enqueue(job.Id);
        lock (Started)
        {
            MaxConcurrent = Math.Max(MaxConcurrent, ++_concurrent);
        }

        try
        {
            await context.StepAsync("hold");
            context.Log($"attempt {job.Attempt} holding");
            if (job.Arguments.TryGetValue("progress", out var count))
            {
                for (int i = 1; i <= int.Parse(count, System.Globalization.CultureInfo.InvariantCulture); i++)
                {
                    context.Progress(i, 1_000_000, "bytes");
                }
            }

            await Gate(job.Id).Task.WaitAsync(context.CancellationToken);
            if (job.Arguments.TryGetValue("fail", out var fail) && fail == "first" && job.Attempt == 1)
            {
                throw new JobFailedException("planned failure of the first attempt");
            }

            await context.StepAsync("finish");
        }
        finally
        {
            lock (Started)
            {
                _concurrent--;
            }
        }
    }

    public void Release(long id) => Gate(id).TrySetResult();

    private TaskCompletionSource Gate(long id) => _gates.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Counts the store's job writes, to check that progress is coalesced.</summary>
internal sealed class CountingStore(IJobStore inner) : IJobStore
{
    private int _updates;

    public int Updates => _updates;

    public Task<Job> CreateAsync(NewJob job, DateTimeOffset at, CancellationToken cancellationToken = default) => inner.CreateAsync(job, at, cancellationToken);

    public Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default) => inner.FindAsync(id, cancellationToken);

    public Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default) => inner.ListAsync(query, cancellationToken);

    public Task<IReadOnlyList<Job>> QueuedAsync(CancellationToken cancellationToken = default) => inner.QueuedAsync(cancellationToken);

    public Task UpdateAsync(Job job, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _updates);
        return inner.UpdateAsync(job, cancellationToken);
    }

    public Task<IReadOnlyList<JobLogLine>> AppendLogAsync(long id, IReadOnlyList<(DateTimeOffset At, string Line)> lines, CancellationToken cancellationToken = default) =>
        inner.AppendLogAsync(id, lines, cancellationToken);

    public Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default) => inner.LogAsync(id, afterSeq, cancellationToken);

    public void Dispose() => inner.Dispose();
}

/// <summary>A runner on a real SQLite store in a throwaway registry database, with a fake clock.</summary>
internal sealed class RunnerHarness : IAsyncDisposable
{
    private readonly TestDatabase _db = new();
    private bool _stopped;

    public RunnerHarness(int maxParallel = 4, params IJobHandler[] extra)
    {
        Store = new CountingStore(SqliteJobStore.Open(_db.Path, Time.GetUtcNow()));
        Runner = new JobRunner(Store, Broadcast, [Gate, .. extra], Time, Options.Create(new JobsOptions { MaxParallel = maxParallel }), NullLogger<JobRunner>.Instance);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public GateHandler Gate { get; } = new();

    public JobBroadcast Broadcast { get; } = new();

    public CountingStore Store { get; }

    public JobRunner Runner { get; }

    public string DatabasePath => _db.Path;

    public Task StartAsync() => Runner.StartAsync(CancellationToken.None);

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Runner.StopAsync(CancellationToken.None);
        }
    }

    public async Task<Job> EnqueueAsync(string? node, params (string Key, string Value)[] arguments)
    {
        var result = await Runner.EnqueueAsync(new NewJob("gate", node, arguments.ToDictionary(a => a.Key, a => a.Value), "admin"));
        Assert.True(result.Succeeded, result.Error?.ToString());
        return result.Value!;
    }

    public async Task<Job> WaitForAsync(long id, Func<Job, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var job = await Runner.FindAsync(id);
            if (job is not null && condition(job))
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"job {id} never became {what}; it is {job?.State.Name()}");
            }

            await Task.Delay(10);
        }
    }

    public Task<Job> WaitForStateAsync(long id, JobState state) => WaitForAsync(id, j => j.State == state, state.Name());

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Runner.Dispose();
        Store.Dispose();
        _db.Dispose();
    }
}
