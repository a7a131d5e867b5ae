using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Fabric.Jobs.Model;
using Fabric.Jobs.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Jobs.Running;

/// <summary>Runs queued jobs: first queued first, one at a time per node, up to <see cref="JobsOptions.MaxParallel"/>
/// at once. Every state change (enqueue, start, finish, cancel, retry) happens under one gate and follows
/// <see cref="JobTransitions"/>; a job's progress and log go through its <see cref="RunningJob"/>.</summary>
internal sealed partial class JobRunner : BackgroundService, IJobService
{
    private readonly IJobStore _store;
    private readonly JobBroadcast _broadcast;
    private readonly TimeProvider _time;
    private readonly JobsOptions _options;
    private readonly ILogger<JobRunner> _logger;
    private readonly Dictionary<string, IJobHandler> _handlers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<long, RunningJob> _running = new();
    private readonly HashSet<string> _busyNodes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    private readonly JobMetrics _metrics;

    public JobRunner(IJobStore store, JobBroadcast broadcast, IEnumerable<IJobHandler> handlers, TimeProvider time, IOptions<JobsOptions> options, ILogger<JobRunner> logger, JobMetrics? metrics = null)
    {
        _metrics = metrics ?? new JobMetrics();
        _metrics.Observe(() => _running.Count);
        _store = store;
        _broadcast = broadcast;
        _time = time;
        _options = options.Value;
        _logger = logger;
        foreach (var handler in handlers)
        {
            if (!KindPattern().IsMatch(handler.Kind))
            {
                throw new InvalidOperationException($"job kind '{handler.Kind}' ({handler.GetType().Name}) is not lower-case words joined by '-'");
            }

            if (!_handlers.TryAdd(handler.Kind, handler))
            {
                throw new InvalidOperationException($"two handlers for job kind '{handler.Kind}': {_handlers[handler.Kind].GetType().Name} and {handler.GetType().Name}");
            }
        }
    }

    public IReadOnlyCollection<string> Kinds => _handlers.Keys.Order(StringComparer.Ordinal).ToList();

    internal int RunningCount => _running.Count;

    // ---- the scheduler ----

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await ScheduleAsync(stoppingToken);
                await _wake.Reader.ReadAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // The appliance stops: what runs is interrupted (and can be retried after the restart). Under the gate,
            // so no job finishes (and disposes its token) in between.
            List<RunningJob> running;
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                running = [.. _running.Values];
                foreach (var job in running)
                {
                    job.Interrupt();
                }
            }
            finally
            {
                _gate.Release();
            }

            await Task.WhenAll(running.Select(r => r.Task ?? Task.CompletedTask));
        }
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task ScheduleAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var job in await _store.QueuedAsync(cancellationToken))
            {
                if (_running.Count >= _options.MaxParallel)
                {
                    break;
                }

                if (job.Node is { } node && _busyNodes.Contains(node))
                {
                    continue;
                }

                await StartAsync(job);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartAsync(Job queued)
    {
        // Called under the gate.
        var now = _time.GetUtcNow();
        var job = queued with { State = Next(queued, JobTrigger.Start), StartedAt = now, FinishedAt = null };
        if (!_handlers.TryGetValue(job.Kind, out var handler))
        {
            job = job with { State = Next(job, JobTrigger.Fail), FinishedAt = now, Error = $"this appliance has no handler for job kind '{job.Kind}'" };
            await _store.UpdateAsync(job);
            _metrics.Finished(job);
            _broadcast.Publish(new JobStateUpdate(job));
            return;
        }

        await _store.UpdateAsync(job);
        var running = new RunningJob(job, _store, _broadcast, _time, _options.ProgressInterval);
        _running[job.Id] = running;
        if (job.Node is { } node)
        {
            _busyNodes.Add(node);
        }

        Log.Started(_logger, job.Id, job.Kind, job.Node, job.Attempt);
        _broadcast.Publish(new JobStateUpdate(job));
        running.Task = Task.Run(() => RunAsync(running, handler));
    }

    private async Task RunAsync(RunningJob running, IJobHandler handler)
    {
        JobTrigger outcome;
        string? error = null;
        try
        {
            await handler.RunAsync(running);
            outcome = JobTrigger.Succeed;
        }
        catch (OperationCanceledException) when (running.CancellationToken.IsCancellationRequested)
        {
            outcome = running.Interrupted ? JobTrigger.Interrupt : JobTrigger.Cancel;
        }
        catch (Exception e) when (running.CancellationToken.IsCancellationRequested && e is not JobFailedException)
        {
            // The handler stopped on the token with an error of its own (e.g. a closed connection).
            outcome = running.Interrupted ? JobTrigger.Interrupt : JobTrigger.Cancel;
        }
        catch (JobFailedException e)
        {
            outcome = JobTrigger.Fail;
            error = e.Message;
        }
        catch (Exception e)
        {
            outcome = JobTrigger.Fail;
            error = $"{e.GetType().Name}: {e.Message}";
            Log.HandlerThrew(_logger, e, running.Job.Id, handler.Kind);
        }

        await FinishAsync(running, outcome, error);
    }

    private async Task FinishAsync(RunningJob running, JobTrigger outcome, string? error)
    {
        await _gate.WaitAsync();
        try
        {
            var now = _time.GetUtcNow();
            var stepState = outcome switch
            {
                JobTrigger.Succeed => JobStepState.Succeeded,
                JobTrigger.Cancel => JobStepState.Cancelled,
                JobTrigger.Interrupt => JobStepState.Interrupted,
                _ => JobStepState.Failed,
            };
            error ??= outcome == JobTrigger.Interrupt ? SqliteJobStore.InterruptedError : null;
            Job final;
            try
            {
                final = await running.CompleteAsync(job => job with
                {
                    State = Next(job, outcome),
                    FinishedAt = now,
                    Error = error,
                    Steps = job.Steps.Select(s => s.State == JobStepState.Running ? s with { State = stepState, FinishedAt = now } : s).ToList(),
                });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The store refused the final write; the job stays 'running' in the database and becomes
                // 'interrupted' at the next start. Say so rather than lose the outcome silently.
                Log.FinalWriteFailed(_logger, e, running.Job.Id);
                final = running.Job;
            }

            _running.TryRemove(final.Id, out _);
            if (final.Node is { } node)
            {
                _busyNodes.Remove(node);
            }

            running.Dispose();
            Log.Finished(_logger, final.Id, final.Kind, final.State.Name(), final.Error);
            _metrics.Finished(final);
            _broadcast.Publish(new JobStateUpdate(final));
        }
        finally
        {
            _gate.Release();
            Wake();
        }
    }

    private static JobState Next(Job job, JobTrigger trigger) =>
        JobTransitions.Next(job.State, trigger) ?? throw new InvalidOperationException($"job {job.Id}: {trigger} is not allowed from {job.State.Name()}");

    // ---- the service ----

    public async Task<JobResult> EnqueueAsync(NewJob job, CancellationToken cancellationToken = default)
    {
        var errors = new List<JobFieldError>();
        IJobHandler? handler = null;
        if (string.IsNullOrWhiteSpace(job.Kind))
        {
            errors.Add(new JobFieldError("kind", "a job needs a kind"));
        }
        else if (!_handlers.TryGetValue(job.Kind, out handler))
        {
            errors.Add(new JobFieldError("kind", $"no job kind '{job.Kind}'; this appliance runs: {string.Join(", ", Kinds)}"));
        }

        if (job.Node is { } node && string.IsNullOrWhiteSpace(node))
        {
            errors.Add(new JobFieldError("node", "a node name is not blank"));
        }

        if (handler is not null)
        {
            errors.AddRange(handler.Validate(job.Arguments));
        }

        if (errors.Count > 0)
        {
            return new JobError(JobErrorKind.Validation, errors);
        }

        var created = await _store.CreateAsync(job, _time.GetUtcNow(), cancellationToken);
        Log.Queued(_logger, created.Id, created.Kind, created.Node, created.Actor);
        _broadcast.Publish(new JobStateUpdate(created));
        Wake();
        return created;
    }

    public async Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default) =>
        _running.TryGetValue(id, out var running) ? running.Job : await _store.FindAsync(id, cancellationToken);

    public async Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        var jobs = await _store.ListAsync(query, cancellationToken);
        return jobs.Select(j => _running.TryGetValue(j.Id, out var running) ? running.Job : j).ToList();
    }

    public Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default) =>
        _store.LogAsync(id, afterSeq, cancellationToken);

    public async Task<JobResult> CancelAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_running.TryGetValue(id, out var running))
            {
                return await running.RequestCancelAsync(actor);
            }

            var job = await _store.FindAsync(id, cancellationToken);
            if (job is null)
            {
                return JobError.NotFound(id);
            }

            if (JobTransitions.Next(job.State, JobTrigger.Cancel) is not { } next)
            {
                return JobError.Conflict("state", $"job {id} is {job.State.Name()}; only queued or running jobs are cancelled");
            }

            var now = _time.GetUtcNow();
            job = job with { State = next, FinishedAt = now };
            await _store.UpdateAsync(job, cancellationToken);
            await _store.AppendLogAsync(id, [(now, $"cancelled by {actor} before it started")], cancellationToken);
            Log.Finished(_logger, job.Id, job.Kind, job.State.Name(), null);
            _metrics.Finished(job);
            _broadcast.Publish(new JobStateUpdate(job));
            return job;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<JobResult> RetryAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var job = _running.TryGetValue(id, out var running) ? running.Job : await _store.FindAsync(id, cancellationToken);
            if (job is null)
            {
                return JobError.NotFound(id);
            }

            if (JobTransitions.Next(job.State, JobTrigger.Retry) is not { } next)
            {
                return JobError.Conflict("state", $"job {id} is {job.State.Name()}; only failed, cancelled or interrupted jobs are retried");
            }

            var now = _time.GetUtcNow();
            job = job with
            {
                State = next,
                Attempt = job.Attempt + 1,
                QueuedAt = now,
                StartedAt = null,
                FinishedAt = null,
                CancelRequested = false,
                Steps = [],
                Progress = null,
                Error = null,
            };
            await _store.UpdateAsync(job, cancellationToken);
            await _store.AppendLogAsync(id, [(now, $"retried by {actor}: attempt {job.Attempt}")], cancellationToken);
            Log.Queued(_logger, job.Id, job.Kind, job.Node, actor);
            _broadcast.Publish(new JobStateUpdate(job));
            Wake();
            return job;
        }
        finally
        {
            _gate.Release();
        }
    }

    public JobSubscription Subscribe(long id) => _broadcast.Subscribe(id);

    [GeneratedRegex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$")]
    private static partial Regex KindPattern();

    public override void Dispose()
    {
        base.Dispose();
        _gate.Dispose();
    }
}
