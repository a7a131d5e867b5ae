using Dapper;
using Fabric.Jobs.Model;
using Fabric.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Fabric.Jobs.Tests.Storage;

public sealed class SqliteJobStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    private static NewJob Wait(string? node = "n1", string actor = "admin") =>
        new("wait", node, new Dictionary<string, string> { ["seconds"] = "5" }, actor);

    [Fact]
    public async Task Create_ThenFind_QueuedWithEveryField()
    {
        using var store = SqliteJobStore.Open(_db.Path, T0);

        var created = await store.CreateAsync(Wait(), T0);
        var found = await store.FindAsync(created.Id);

        Assert.NotNull(found);
        Assert.Equal(JobState.Queued, found.State);
        Assert.Equal(("wait", "n1", "admin", 1), (found.Kind, found.Node, found.Actor, found.Attempt));
        Assert.Equal("5", found.Arguments["seconds"]);
        Assert.Equal(T0, found.CreatedAt);
        Assert.Equal(T0, found.QueuedAt);
        Assert.Null(found.StartedAt);
        Assert.Empty(found.Steps);
        Assert.Null(await store.FindAsync(created.Id + 100));
    }

    [Fact]
    public async Task Update_StepsProgressError_RoundTrip()
    {
        using var store = SqliteJobStore.Open(_db.Path, T0);
        var job = await store.CreateAsync(Wait(), T0);
        var changed = job with
        {
            State = JobState.Failed,
            StartedAt = T0.AddSeconds(1),
            FinishedAt = T0.AddSeconds(9),
            Steps = [new JobStep("copy", JobStepState.Succeeded, T0.AddSeconds(1), T0.AddSeconds(5)), new JobStep("export", JobStepState.Failed, T0.AddSeconds(5), T0.AddSeconds(9))],
            Progress = new JobProgress(1024, 4096, "bytes"),
            Error = "disk full",
            CancelRequested = true,
        };

        await store.UpdateAsync(changed);
        var found = (await store.FindAsync(job.Id))!;

        Assert.Equal(changed.State, found.State);
        Assert.Equal(changed.Steps, found.Steps);
        Assert.Equal(changed.Progress, found.Progress);
        Assert.Equal(("disk full", true), (found.Error, found.CancelRequested));
        Assert.Equal(changed.FinishedAt, found.FinishedAt);
    }

    [Fact]
    public async Task List_NodeAndStateFilters_NewestFirst()
    {
        using var store = SqliteJobStore.Open(_db.Path, T0);
        var a = await store.CreateAsync(Wait("n1"), T0);
        var b = await store.CreateAsync(Wait("n2"), T0);
        var c = await store.CreateAsync(Wait("n1"), T0);
        await store.UpdateAsync(c with { State = JobState.Running, StartedAt = T0 });

        Assert.Equal([c.Id, b.Id, a.Id], (await store.ListAsync(new JobQuery())).Select(j => j.Id));
        Assert.Equal([c.Id, a.Id], (await store.ListAsync(new JobQuery(Node: "n1"))).Select(j => j.Id));
        Assert.Equal([b.Id, a.Id], (await store.ListAsync(new JobQuery(State: JobState.Queued))).Select(j => j.Id));
        Assert.Equal([a.Id], (await store.ListAsync(new JobQuery(Node: "n1", State: JobState.Queued))).Select(j => j.Id));
    }

    [Fact]
    public async Task Queued_RetriedJob_GoesBehindEarlierQueuedOnes()
    {
        using var store = SqliteJobStore.Open(_db.Path, T0);
        var first = await store.CreateAsync(Wait(), T0);
        var second = await store.CreateAsync(Wait(), T0.AddSeconds(1));
        await store.UpdateAsync(first with { State = JobState.Queued, Attempt = 2, QueuedAt = T0.AddSeconds(2) });

        Assert.Equal([second.Id, first.Id], (await store.QueuedAsync()).Select(j => j.Id));
    }

    [Fact]
    public async Task AppendLog_OverTheBound_DropsOldestAndCountsThem()
    {
        using var store = SqliteJobStore.Open(_db.Path, T0, new JobStoreOptions(MaxLogLines: 5, MaxLineLength: 10));
        var job = await store.CreateAsync(Wait(), T0);

        await store.AppendLogAsync(job.Id, Enumerable.Range(1, 4).Select(i => (T0, $"line {i}")).ToList());
        await store.AppendLogAsync(job.Id, Enumerable.Range(5, 4).Select(i => (T0, $"line {i}")).ToList());
        await store.AppendLogAsync(job.Id, [(T0, "a line much longer than ten characters")]);

        var log = await store.LogAsync(job.Id);
        Assert.Equal(["line 5", "line 6", "line 7", "line 8", "a line muc"], log.Select(l => l.Line));
        Assert.Equal([5L, 6, 7, 8, 9], log.Select(l => l.Seq));
        Assert.Equal(4, (await store.FindAsync(job.Id))!.LogDropped);
        Assert.Equal(["line 8", "a line muc"], (await store.LogAsync(job.Id, afterSeq: 7)).Select(l => l.Line));
    }

    [Fact]
    public async Task Open_RunningJobFromBefore_BecomesInterrupted()
    {
        long runningId, queuedId, doneId;
        using (var store = SqliteJobStore.Open(_db.Path, T0))
        {
            var running = await store.CreateAsync(Wait("n1"), T0);
            runningId = running.Id;
            await store.UpdateAsync(running with
            {
                State = JobState.Running,
                StartedAt = T0,
                Steps = [new JobStep("a", JobStepState.Succeeded, T0, T0), new JobStep("b", JobStepState.Running, T0, null)],
            });
            queuedId = (await store.CreateAsync(Wait("n1"), T0)).Id;
            var done = await store.CreateAsync(Wait("n2"), T0);
            doneId = done.Id;
            await store.UpdateAsync(done with { State = JobState.Succeeded, StartedAt = T0, FinishedAt = T0 });
        }

        SqliteConnection.ClearAllPools();
        var restart = T0.AddMinutes(5);
        using var reopened = SqliteJobStore.Open(_db.Path, restart);

        var interrupted = (await reopened.FindAsync(runningId))!;
        Assert.Equal(JobState.Interrupted, interrupted.State);
        Assert.Equal(restart, interrupted.FinishedAt);
        Assert.Equal(SqliteJobStore.InterruptedError, interrupted.Error);
        Assert.Equal([JobStepState.Succeeded, JobStepState.Interrupted], interrupted.Steps.Select(s => s.State));
        Assert.Equal(JobState.Queued, (await reopened.FindAsync(queuedId))!.State);
        Assert.Equal(JobState.Succeeded, (await reopened.FindAsync(doneId))!.State);
    }

    [Fact]
    public void Open_DatabaseWithoutJobsTables_ClearError()
    {
        var path = Path.Combine(_db.Folder, "bare.db");
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            connection.Execute("CREATE TABLE other (id INTEGER)");
        }

        var e = Assert.Throws<InvalidOperationException>(() => SqliteJobStore.Open(path, T0));
        Assert.Contains("no jobs table", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_RegistryDatabase_WalAndFullSync()
    {
        using var store = SqliteJobStore.Open(_db.Path, T0);
        await store.CreateAsync(Wait(), T0);
        using var connection = new SqliteConnection($"Data Source={_db.Path}");
        connection.Open();

        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        Assert.Equal(1, connection.ExecuteScalar<long>("SELECT COUNT(*) FROM jobs"));
    }
}
