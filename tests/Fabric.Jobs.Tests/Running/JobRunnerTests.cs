using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Jobs.Storage;

namespace Fabric.Jobs.Tests.Running;

public sealed class JobRunnerTests
{
    [Fact]
    public async Task Enqueue_SameNode_OneAtATimeInQueueOrder()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var a = await h.EnqueueAsync("n1");
        var b = await h.EnqueueAsync("n1");
        var c = await h.EnqueueAsync("n1");

        await h.WaitForStateAsync(a.Id, JobState.Running);
        Assert.Equal(JobState.Queued, (await h.Runner.FindAsync(b.Id))!.State);
        h.Gate.Release(a.Id);
        await h.WaitForStateAsync(b.Id, JobState.Running);
        Assert.Equal(JobState.Queued, (await h.Runner.FindAsync(c.Id))!.State);
        h.Gate.Release(b.Id);
        h.Gate.Release(c.Id);
        await h.WaitForStateAsync(c.Id, JobState.Succeeded);

        Assert.Equal([a.Id, b.Id, c.Id], h.Gate.Started);
        Assert.Equal(1, h.Gate.MaxConcurrent);
    }

    [Fact]
    public async Task Enqueue_DifferentNodes_ParallelUpToMaxParallel()
    {
        await using var h = new RunnerHarness(maxParallel: 2);
        await h.StartAsync();
        var jobs = new List<Job>();
        foreach (var node in new[] { "n1", "n2", "n3" })
        {
            jobs.Add(await h.EnqueueAsync(node));
        }

        await h.WaitForStateAsync(jobs[0].Id, JobState.Running);
        await h.WaitForStateAsync(jobs[1].Id, JobState.Running);
        Assert.Equal(JobState.Queued, (await h.Runner.FindAsync(jobs[2].Id))!.State);
        Assert.Equal(2, h.Runner.RunningCount);

        h.Gate.Release(jobs[0].Id);
        await h.WaitForStateAsync(jobs[2].Id, JobState.Running);
        h.Gate.Release(jobs[1].Id);
        h.Gate.Release(jobs[2].Id);
        foreach (var job in jobs)
        {
            await h.WaitForStateAsync(job.Id, JobState.Succeeded);
        }

        Assert.Equal(2, h.Gate.MaxConcurrent);
    }

    [Fact]
    public async Task Run_Succeeds_StepsAndTimesRecorded()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync(null);
        await h.WaitForStateAsync(job.Id, JobState.Running);
        h.Gate.Release(job.Id);

        var done = await h.WaitForStateAsync(job.Id, JobState.Succeeded);
        var stored = (await h.Store.FindAsync(job.Id))!;

        Assert.Equal(JobState.Succeeded, stored.State);
        Assert.Equal(["hold", "finish"], stored.Steps.Select(s => s.Name));
        Assert.All(stored.Steps, s => Assert.Equal(JobStepState.Succeeded, s.State));
        Assert.Equal(h.Time.GetUtcNow(), stored.FinishedAt);
        Assert.NotNull(stored.StartedAt);
        Assert.Contains("attempt 1 holding", (await h.Runner.LogAsync(job.Id)).Select(l => l.Line));
        Assert.Null(done.Error);
    }

    [Fact]
    public async Task Cancel_Queued_CancelledAtOnceAndNeverRuns()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var first = await h.EnqueueAsync("n1");
        var second = await h.EnqueueAsync("n1");
        await h.WaitForStateAsync(first.Id, JobState.Running);

        var result = await h.Runner.CancelAsync(second.Id, "admin");

        Assert.True(result.Succeeded);
        Assert.Equal(JobState.Cancelled, result.Value!.State);
        Assert.Equal(JobState.Cancelled, (await h.Store.FindAsync(second.Id))!.State);
        h.Gate.Release(first.Id);
        await h.WaitForStateAsync(first.Id, JobState.Succeeded);
        Assert.DoesNotContain(second.Id, h.Gate.Started);
    }

    [Fact]
    public async Task Cancel_Running_TokenFiresAndJobCancelled()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync("n1");
        await h.WaitForStateAsync(job.Id, JobState.Running);

        var result = await h.Runner.CancelAsync(job.Id, "admin");
        Assert.True(result.Succeeded);
        Assert.True(result.Value!.CancelRequested);

        var cancelled = await h.WaitForStateAsync(job.Id, JobState.Cancelled);
        Assert.Equal(JobStepState.Cancelled, Assert.Single(cancelled.Steps).State);
        Assert.Contains("cancel requested by admin", (await h.Runner.LogAsync(job.Id)).Select(l => l.Line));
        Assert.Equal(JobState.Cancelled, (await h.Store.FindAsync(job.Id))!.State);
    }

    [Fact]
    public async Task Cancel_FinishedOrUnknown_ConflictOrNotFound()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync(null);
        h.Gate.Release(job.Id);
        await h.WaitForStateAsync(job.Id, JobState.Succeeded);

        var finished = await h.Runner.CancelAsync(job.Id, "admin");
        var unknown = await h.Runner.CancelAsync(job.Id + 1000, "admin");

        Assert.Equal(JobErrorKind.Conflict, finished.Error!.Kind);
        Assert.Contains("succeeded", finished.Error.ToString(), StringComparison.Ordinal);
        Assert.Equal(JobErrorKind.NotFound, unknown.Error!.Kind);
        Assert.Equal(JobState.Succeeded, (await h.Store.FindAsync(job.Id))!.State);
    }

    [Fact]
    public async Task Retry_FailedJob_SameIdNextAttemptSucceeds()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync("n1", ("fail", "first"));
        h.Gate.Release(job.Id);
        var failed = await h.WaitForStateAsync(job.Id, JobState.Failed);
        Assert.Equal("planned failure of the first attempt", failed.Error);
        Assert.Equal(JobStepState.Failed, Assert.Single(failed.Steps).State);

        var retried = await h.Runner.RetryAsync(job.Id, "admin");
        Assert.True(retried.Succeeded, retried.Error?.ToString());
        Assert.Equal((job.Id, 2), (retried.Value!.Id, retried.Value.Attempt));

        var done = await h.WaitForStateAsync(job.Id, JobState.Succeeded);
        Assert.Equal(2, done.Attempt);
        Assert.Null(done.Error);
        Assert.Equal(["hold", "finish"], done.Steps.Select(s => s.Name));
        var log = (await h.Runner.LogAsync(job.Id)).Select(l => l.Line).ToList();
        Assert.Contains("retried by admin: attempt 2", log);
        Assert.Contains("attempt 2 holding", log);
    }

    [Fact]
    public async Task Retry_RunningOrSucceeded_Conflict()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync("n1");
        await h.WaitForStateAsync(job.Id, JobState.Running);

        var running = await h.Runner.RetryAsync(job.Id, "admin");
        Assert.Equal(JobErrorKind.Conflict, running.Error!.Kind);

        h.Gate.Release(job.Id);
        await h.WaitForStateAsync(job.Id, JobState.Succeeded);
        Assert.Equal(JobErrorKind.Conflict, (await h.Runner.RetryAsync(job.Id, "admin")).Error!.Kind);
        Assert.Equal(JobErrorKind.NotFound, (await h.Runner.RetryAsync(job.Id + 1000, "admin")).Error!.Kind);
        Assert.Equal(1, (await h.Store.FindAsync(job.Id))!.Attempt);
    }

    [Fact]
    public async Task Enqueue_UnknownKindBadArgumentsBlankNode_EveryErrorAndNothingStored()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();

        var unknown = await h.Runner.EnqueueAsync(new NewJob("nope", null, new Dictionary<string, string>(), "admin"));
        var bad = await h.Runner.EnqueueAsync(new NewJob("gate", " ", new Dictionary<string, string> { ["bad"] = "1" }, "admin"));

        Assert.Equal(JobErrorKind.Validation, unknown.Error!.Kind);
        Assert.Equal("kind", Assert.Single(unknown.Error.Errors).Field);
        Assert.Contains("gate", unknown.Error.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Equal(["node", "arguments.bad"], bad.Error!.Errors.Select(e => e.Field));
        Assert.Empty(await h.Store.ListAsync(new JobQuery()));
    }

    [Fact]
    public async Task Progress_ManyValuesWithoutTimePassing_CoalescedIntoFewWrites()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync("n1", ("progress", "10000"));
        await h.WaitForAsync(job.Id, j => j.Progress?.Done == 10000, "at 10000 bytes");
        int writesBeforeTick = h.Store.Updates;

        h.Time.Advance(TimeSpan.FromSeconds(1));
        var stored = await WaitForStoredProgressAsync(h, job.Id, 10000);

        Assert.Equal(new JobProgress(10000, 1_000_000, "bytes"), stored.Progress);
        // create, start, the step "hold", then one coalesced flush: far fewer than 10000 writes.
        Assert.InRange(writesBeforeTick, 1, 5);
        Assert.InRange(h.Store.Updates, writesBeforeTick + 1, writesBeforeTick + 2);
        h.Gate.Release(job.Id);
        await h.WaitForStateAsync(job.Id, JobState.Succeeded);
    }

    private static async Task<Job> WaitForStoredProgressAsync(RunnerHarness h, long id, long done)
    {
        for (int i = 0; i < 6000; i++)
        {
            var stored = (await h.Store.FindAsync(id))!;
            if (stored.Progress?.Done == done)
            {
                return stored;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"job {id}'s progress never reached {done} in the store");
    }

    [Fact]
    public async Task Stop_WhileRunning_JobInterruptedAndRetriable()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var job = await h.EnqueueAsync("n1");
        await h.WaitForStateAsync(job.Id, JobState.Running);

        await h.StopAsync();

        var stored = (await h.Store.FindAsync(job.Id))!;
        Assert.Equal(JobState.Interrupted, stored.State);
        Assert.Equal(SqliteJobStore.InterruptedError, stored.Error);
        Assert.Equal(JobStepState.Interrupted, Assert.Single(stored.Steps).State);
    }

    [Fact]
    public async Task Subscribe_RunningJob_StepProgressLogThenFinalState()
    {
        await using var h = new RunnerHarness();
        await h.StartAsync();
        var blocker = await h.EnqueueAsync("n1");
        var job = await h.EnqueueAsync("n1", ("progress", "3"));
        using var subscription = h.Runner.Subscribe(job.Id);
        await h.WaitForStateAsync(blocker.Id, JobState.Running);
        h.Gate.Release(blocker.Id);
        await h.WaitForAsync(job.Id, j => j.Progress?.Done == 3, "at 3 bytes");
        h.Time.Advance(TimeSpan.FromSeconds(1));
        h.Gate.Release(job.Id);

        var updates = new List<JobUpdate>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var update in subscription.Updates.ReadAllAsync(timeout.Token))
        {
            updates.Add(update);
            if (update is JobStateUpdate { Job.IsFinished: true })
            {
                break;
            }
        }

        Assert.Contains(updates, u => u is JobStepUpdate { Step.Name: "hold" });
        Assert.Contains(updates, u => u is JobLogUpdate { Line: "attempt 1 holding" });
        Assert.Contains(updates, u => u is JobProgressUpdate { Progress.Done: 3 });
        Assert.Contains(updates, u => u is JobStateUpdate { Job.State: JobState.Running });
        var last = Assert.IsType<JobStateUpdate>(updates[^1]);
        Assert.Equal(JobState.Succeeded, last.Job.State);
    }

    [Fact]
    public async Task Constructor_TwoHandlersOfOneKind_Refused()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var h = new RunnerHarness(4, new GateHandler());
        });
        Assert.Contains("two handlers for job kind 'gate'", e.Message, StringComparison.Ordinal);
    }
}
