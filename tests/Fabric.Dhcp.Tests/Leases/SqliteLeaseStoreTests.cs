using Fabric.Core;
using Fabric.Dhcp.Leases;
using Microsoft.Data.Sqlite;

namespace Fabric.Dhcp.Tests.Leases;

public sealed class SqliteLeaseStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-leases-").FullName;

    private string DbPath => Path.Combine(_dir, "leases.db");

    private static LeaseRecord Rec(uint address, int mac, LeaseState state = LeaseState.Bound) =>
        new(address, "boot", MacAddress.FromBytes([2, 0, 0, 0, (byte)(mac >> 8), (byte)mac]), [1, 2], "h" + mac, null, state,
            DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), DateTimeOffset.FromUnixTimeSeconds(1_800_003_600));

    [Fact]
    public async Task CommitAsync_ThenReopen_LeaseReloaded()
    {
        await using (var store = new SqliteLeaseStore(DbPath))
        {
            await store.CommitAsync(Rec(0x0a090064, 1));
            await store.CommitAsync(Rec(0x0a090064, 1, LeaseState.Released));
            await store.CommitAsync(Rec(0x0a090065, 2));
        }

        await using var reopened = new SqliteLeaseStore(DbPath);
        var all = await reopened.LoadAsync();
        Assert.Equal(2, all.Count);
        Assert.Equal(LeaseState.Released, all[0].State);
        Assert.Equal(new byte[] { 1, 2 }, all[0].ClientId);
        Assert.Equal(Rec(0x0a090065, 2).Ends, all[1].Ends);
        var view = await reopened.ListLeasesAsync();
        Assert.Equal("10.9.0.101", view[1].Address.ToString());
    }

    [Fact]
    public async Task CommitAsync_NewDatabase_InWalMode()
    {
        await using var store = new SqliteLeaseStore(DbPath);
        await store.CommitAsync(Rec(1, 1));
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
    }

    [Fact]
    public async Task CommitAsync_ConcurrentClients_GroupedIntoFewTransactions()
    {
        int batches = 0;
        int maxBatch = 0;
        await using var store = new SqliteLeaseStore(DbPath, (n, _) =>
        {
            Interlocked.Increment(ref batches);
            InterlockedMax(ref maxBatch, n);
        });
        var tasks = Enumerable.Range(0, 2000).Select(i => store.CommitAsync(Rec((uint)(100 + i), i)).AsTask()).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(2000, (await store.LoadAsync()).Count);
        Assert.True(maxBatch > 1, $"largest batch {maxBatch}");
        Assert.True(batches < 2000);
    }

    [Fact]
    public async Task Commit_Callback_RunsOnlyOnceTheLeaseIsCommitted()
    {
        await using var store = new SqliteLeaseStore(DbPath);
        var seen = new TaskCompletionSource<(Exception? Error, long Rows)>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Commit(Rec(0x0a090070, 7), error =>
        {
            // Another connection sees the row: the transaction holding it is committed (the ACK may leave now).
            using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM leases WHERE address = {0x0a090070}";
            seen.SetResult((error, (long)cmd.ExecuteScalar()!));
        });
        var (failure, rows) = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Null(failure);
        Assert.Equal(1, rows);
    }

    [Fact]
    public async Task TryCommitNow_StoreIdle_CommittedOnTheCallingThreadBeforeTheWaiterIsTold()
    {
        await using var store = new SqliteLeaseStore(DbPath);
        var waiter = new RowCheckingWaiter(DbPath, 0x0a090071);
        int groups = 0;
        store.OnGroupDurable(() => groups++);

        Assert.True(store.TryCommitNow(Rec(0x0a090071, 8), waiter)); // a new store: nothing measured, nothing queued

        // Told before TryCommitNow returned, on this thread, with the row already readable from another connection.
        Assert.True(waiter.Told);
        Assert.Null(waiter.Error);
        Assert.Equal(Environment.CurrentManagedThreadId, waiter.Thread);
        Assert.Equal(1, waiter.RowsSeen);
        Assert.Equal(1, groups);
    }

    [Fact]
    public async Task TryCommitNow_WhileTheWriterIsBusy_ReturnsFalseAndDoesNothing()
    {
        await using var store = new SqliteLeaseStore(DbPath);
        using var inCallback = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        store.Commit(Rec(0x0a090072, 9), _ =>
        {
            inCallback.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        });
        Assert.True(inCallback.Wait(TimeSpan.FromSeconds(30)));

        // The writer thread is still in its group: a caller must queue.
        var waiter = new RowCheckingWaiter(DbPath, 0x0a090073);
        Assert.False(store.TryCommitNow(Rec(0x0a090073, 10), waiter));
        release.Set();
        await store.CommitAsync(Rec(0x0a090074, 11));
        Assert.False(waiter.Told);
        Assert.DoesNotContain(await store.LoadAsync(), r => r.Address == 0x0a090073);
    }

    [Fact]
    public async Task CommitAsync_EveryColumn_RoundTrips()
    {
        var withNode = new LeaseRecord(0x0a090080, "boot", MacAddress.Parse("52:54:00:ab:cd:ef"), null, null, "hnode07", LeaseState.Declined,
            DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123), DateTimeOffset.FromUnixTimeMilliseconds(1_800_003_600_456));
        var withClientId = new LeaseRecord(0x0a090081, "far-net", MacAddress.Parse("52:54:00:00:00:02"), [0xff, 0, 1, 2, 3], "host-ä", null, LeaseState.Offered,
            DateTimeOffset.FromUnixTimeMilliseconds(1), DateTimeOffset.FromUnixTimeMilliseconds(2));
        await using (var store = new SqliteLeaseStore(DbPath))
        {
            await store.CommitAsync(withNode);
            await store.CommitAsync(withClientId);
        }

        await using var reopened = new SqliteLeaseStore(DbPath);
        var all = await reopened.LoadAsync();
        Assert.Equal(withNode, all[0]);
        Assert.Equal(withClientId with { ClientId = null }, all[1] with { ClientId = null });
        Assert.Equal(withClientId.ClientId, all[1].ClientId);
    }

    [Fact]
    public async Task Open_DatabaseWithTheOldMacIndex_IndexDroppedLeasesKept()
    {
        await using (var store = new SqliteLeaseStore(DbPath))
        {
            await store.CommitAsync(Rec(0x0a090090, 12));
        }

        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE INDEX leases_mac ON leases (mac)";
            cmd.ExecuteNonQuery();
        }

        await using var reopened = new SqliteLeaseStore(DbPath);
        Assert.Single(await reopened.LoadAsync());
        using var check = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        check.Open();
        using var count = check.CreateCommand();
        count.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'leases_mac'";
        Assert.Equal(0L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task Commit_AfterDispose_Throws()
    {
        var store = new SqliteLeaseStore(DbPath);
        await store.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => store.Commit(Rec(1, 1), _ => { }));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.CommitAsync(Rec(1, 1)));
    }

    [Fact]
    public void GatherPolicy_WaitsOnlyForSmallBatchesAtHighArrivalRates()
    {
        var policy = new SqliteLeaseStore.GatherPolicy();
        long t = 0;
        long ms = System.Diagnostics.Stopwatch.Frequency / 1000;
        policy.Observe(1, t);
        Assert.False(policy.ShouldWait(1));

        // One lease per 10 ms (100/s): never wait, a lone lease is committed at once.
        for (int i = 0; i < 20; i++)
        {
            policy.Observe(1, t += 10 * ms);
        }

        Assert.False(policy.ShouldWait(1));

        // Five leases per millisecond (5,000/s): wait for company, unless the batch is already large.
        for (int i = 0; i < 20; i++)
        {
            policy.Observe(5, t += ms);
        }

        Assert.True(policy.ArrivalRate > SqliteLeaseStore.GatherPolicy.AboveRate, $"rate {policy.ArrivalRate}");
        Assert.True(policy.ShouldWait(1));
        Assert.False(policy.ShouldWait(SqliteLeaseStore.GatherPolicy.BelowCount));
    }

    /// <summary>Notes where and when it was told, and whether its row was readable then from a connection of its own.</summary>
    private sealed class RowCheckingWaiter(string dbPath, uint address) : ILeaseCommitWaiter
    {
        public bool Told { get; private set; }

        public Exception? Error { get; private set; }

        public int Thread { get; private set; }

        public long RowsSeen { get; private set; }

        public void OnDurable(Exception? error)
        {
            Told = true;
            Error = error;
            Thread = Environment.CurrentManagedThreadId;
            using var c = new SqliteConnection($"Data Source={dbPath};Mode=ReadOnly;Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT count(*) FROM leases WHERE address = {address}";
            RowsSeen = (long)cmd.ExecuteScalar()!;
        }
    }

    [Theory]
    [InlineData(0, 0.0, true)] // nothing measured yet
    [InlineData(1000, 0.4, true)] // 1,000/s, 0.4 ms fsync: busy 40 % of the time
    [InlineData(1000, 0.6, false)] // busy 60 %: leave it to the writer
    [InlineData(100, 1.5, false)] // a slow disk blocks the receive thread too long, even at low rates
    [InlineData(2500, 0.05, false)] // fast enough to gather: the writer groups them
    public void GatherPolicy_CommitNow_OnlyWhenBriefAndSeldom(double rate, double commitMs, bool expected) =>
        Assert.Equal(expected, SqliteLeaseStore.GatherPolicy.CommitNow(rate, TimeSpan.FromMilliseconds(commitMs)));

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
