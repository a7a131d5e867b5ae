using Fabric.Jobs.Model;
using Fabric.Jobs.Storage;

namespace Fabric.Jobs.Running;

/// <summary>A job while its handler runs: the handler's context, the latest state in memory, and the coalescing of
/// progress and log writes (at most one write per <see cref="JobsOptions.ProgressInterval"/>, plus one at every
/// step and at the end). All writes of the job go through one gate, so a late flush never overwrites the final state.</summary>
internal sealed class RunningJob : IJobContext, IDisposable
{
    private readonly IJobStore _store;
    private readonly JobBroadcast _broadcast;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _cancel = new();
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly Lock _lock = new();
    private readonly List<(DateTimeOffset At, string Line)> _pendingLog = [];
    private Job _job;
    private bool _progressDirty;
    private bool _closed;
    private ITimer? _flushTimer;
    private DateTimeOffset _lastFlush = DateTimeOffset.MinValue;
    private JobProgress? _published;

    public RunningJob(Job job, IJobStore store, JobBroadcast broadcast, TimeProvider time, TimeSpan interval)
    {
        _job = job;
        _store = store;
        _broadcast = broadcast;
        _time = time;
        _interval = interval;
    }

    public Job Job
    {
        get
        {
            lock (_lock)
            {
                return _job;
            }
        }
    }

    public CancellationToken CancellationToken => _cancel.Token;

    /// <summary>Set when the appliance stops while the job runs.</summary>
    public bool Interrupted { get; private set; }

    public Task? Task { get; set; }

    /// <summary>How many times the job row was written while running (for the coalescing tests).</summary>
    internal int Writes { get; private set; }

    public async ValueTask StepAsync(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var now = _time.GetUtcNow();
        JobStep step = new(name, JobStepState.Running, now, null);
        lock (_lock)
        {
            _job = _job with { Steps = [.. _job.Steps.Select(s => s.State == JobStepState.Running ? s with { State = JobStepState.Succeeded, FinishedAt = now } : s), step] };
        }

        _broadcast.Publish(new JobStepUpdate(_job.Id, step));
        await FlushAsync(force: true);
    }

    public void Progress(long done, long? total, string unit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(done);
        if (total is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(total), total, "a total is not negative");
        }

        lock (_lock)
        {
            _job = _job with { Progress = new JobProgress(done, total, unit ?? "") };
            _progressDirty = true;
            ScheduleFlush();
        }
    }

    public void Log(string line)
    {
        var now = _time.GetUtcNow();
        line = (line ?? "").TrimEnd('\r', '\n');
        JobProgress? progress;
        lock (_lock)
        {
            _pendingLog.Add((now, line));
            progress = _job.Progress;
            ScheduleFlush();
        }

        // Subscribers see the progress a line speaks of before the line, even when its write is still pending.
        PublishProgress(progress);
        _broadcast.Publish(new JobLogUpdate(_job.Id, now, line));
    }

    private void PublishProgress(JobProgress? progress)
    {
        lock (_lock)
        {
            if (progress is null || progress == _published)
            {
                return;
            }

            _published = progress;
        }

        _broadcast.Publish(new JobProgressUpdate(_job.Id, progress));
    }

    /// <summary>Records that an operator asked the job to stop, then fires the token.</summary>
    public async Task<Job> RequestCancelAsync(string actor)
    {
        lock (_lock)
        {
            _job = _job with { CancelRequested = true };
        }

        Log($"cancel requested by {actor}");
        await FlushAsync(force: true);
        await _cancel.CancelAsync();
        return Job;
    }

    public void Interrupt()
    {
        Interrupted = true;
        _cancel.Cancel();
    }

    /// <summary>Writes what is pending and the job's final form; later flushes do nothing.</summary>
    public async Task<Job> CompleteAsync(Func<Job, Job> finish)
    {
        await _writes.WaitAsync();
        try
        {
            List<(DateTimeOffset, string)> lines;
            Job final;
            lock (_lock)
            {
                _closed = true;
                _flushTimer?.Dispose();
                _flushTimer = null;
                lines = [.. _pendingLog];
                _pendingLog.Clear();
                final = finish(_job);
            }

            try
            {
                await _store.AppendLogAsync(final.Id, lines);
                await _store.UpdateAsync(final);
                Writes++;
            }
            finally
            {
                // Readers see the final state once it is recorded (or its write failed), never before.
                lock (_lock)
                {
                    _job = final;
                }
            }

            PublishProgress(final.Progress);

            return final;
        }
        finally
        {
            _writes.Release();
        }
    }

    private void ScheduleFlush()
    {
        // Called under _lock.
        if (_flushTimer is not null || _closed)
        {
            return;
        }

        var due = _lastFlush + _interval - _time.GetUtcNow();
        _flushTimer = _time.CreateTimer(_ => _ = FlushAsync(force: false), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private async Task FlushAsync(bool force)
    {
        await _writes.WaitAsync();
        try
        {
            Job job;
            List<(DateTimeOffset, string)> lines;
            bool progress;
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }

                _flushTimer?.Dispose();
                _flushTimer = null;
                progress = _progressDirty;
                if (!force && !progress && _pendingLog.Count == 0)
                {
                    return;
                }

                _progressDirty = false;
                lines = [.. _pendingLog];
                _pendingLog.Clear();
                job = _job;
                _lastFlush = _time.GetUtcNow();
            }

            await _store.AppendLogAsync(job.Id, lines);
            if (force || progress)
            {
                await _store.UpdateAsync(job);
                Writes++;
            }

            if (progress)
            {
                PublishProgress(job.Progress);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failed write of progress or log lines must not kill the job: the final write reports the job's outcome.
            lock (_lock)
            {
                _pendingLog.Insert(0, (_time.GetUtcNow(), $"(could not record progress: {e.Message})"));
            }
        }
        finally
        {
            _writes.Release();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _closed = true;
            _flushTimer?.Dispose();
            _flushTimer = null;
        }

        _cancel.Dispose();
    }
}
