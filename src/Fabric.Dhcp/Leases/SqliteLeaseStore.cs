using System.Diagnostics;
using System.Runtime.InteropServices;
using Fabric.Core;
using Microsoft.Data.Sqlite;

namespace Fabric.Dhcp.Leases;

/// <summary>Leases in SQLite (WAL, synchronous=FULL). Writes from concurrent clients are grouped: one
/// writer thread takes everything queued, commits it in a single transaction, then calls every waiter back,
/// so each lease is on disk before its ACK is sent without one fsync per client. The WAL is checkpointed on a
/// second thread and connection, so a checkpoint's fsyncs never stall a batch of ACKs. A lone lease may instead be
/// committed on the caller's thread (<see cref="TryCommitNow"/>) while that is brief and the writer is idle; one
/// thread writes at a time either way.</summary>
internal sealed class SqliteLeaseStore : ILeaseStore, ILeaseView, IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private const int CheckpointRows = 2000;

    private readonly string _connectionString;
    private readonly object _gate = new();
    private List<Pending> _queued = new(MaxBatch);
    private bool _closed;
    private readonly SqliteConnection _writer;
    private readonly Thread _writerThread;
    private readonly Thread _checkpointThread;
    private readonly AutoResetEvent _checkpointDue = new(false);
    private readonly LeaseRowWriter _rows;
    private readonly GatherPolicy _gather = new();
    private bool _writing;
    private long _commitTicks;
    private int _rowsSinceCheckpoint;
    private readonly Action<int, TimeSpan>? _onBatch;
    private Action? _afterGroup;

    public SqliteLeaseStore(string path, Action<int, TimeSpan>? onBatch = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();
        _onBatch = onBatch;
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA wal_autocheckpoint=0;
            CREATE TABLE IF NOT EXISTS leases (
                address INTEGER PRIMARY KEY,
                network TEXT NOT NULL,
                mac TEXT NOT NULL,
                client_id BLOB,
                hostname TEXT,
                node TEXT,
                state TEXT NOT NULL,
                starts INTEGER NOT NULL,
                ends INTEGER NOT NULL);
            DROP INDEX IF EXISTS leases_mac;
            """);
        _rows = new LeaseRowWriter(_writer);
        _writerThread = new Thread(WriteLoop) { IsBackground = true, Name = "dhcp lease writer" };
        _writerThread.Start();
        _checkpointThread = new Thread(CheckpointLoop) { IsBackground = true, Name = "dhcp lease checkpoint" };
        _checkpointThread.Start();
    }

    public void Commit(LeaseRecord record, Action<Exception?> onDurable) => Enqueue(new Pending(record, onDurable, null));

    public void Commit(LeaseRecord record, ILeaseCommitWaiter waiter) => Enqueue(new Pending(record, null, waiter));

    public void OnGroupDurable(Action afterGroup)
    {
        lock (_gate)
        {
            _afterGroup += afterGroup;
        }
    }

    private void Enqueue(Pending pending)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);

            _queued.Add(pending);
            if (_queued.Count == 1)
            {
                Monitor.Pulse(_gate);
            }
        }
    }

    public ValueTask CommitAsync(LeaseRecord record, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            Commit(record, error =>
            {
                if (error is null)
                {
                    done.TrySetResult();
                }
                else
                {
                    done.TrySetException(error);
                }
            });
        }
        catch (ObjectDisposedException ex)
        {
            return ValueTask.FromException(ex);
        }

        return new ValueTask(done.Task.WaitAsync(cancellationToken));
    }

    public ValueTask<IReadOnlyList<LeaseRecord>> LoadAsync(CancellationToken cancellationToken = default)
    {
        using var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT address, network, mac, client_id, hostname, node, state, starts, ends FROM leases ORDER BY address";
        using var r = cmd.ExecuteReader();
        var list = new List<LeaseRecord>();
        while (r.Read())
        {
            list.Add(new LeaseRecord(
                (uint)r.GetInt64(0),
                r.GetString(1),
                MacAddress.Parse(r.GetString(2)),
                r.IsDBNull(3) ? null : (byte[])r[3],
                r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5),
                Enum.Parse<LeaseState>(r.GetString(6)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8))));
        }

        return ValueTask.FromResult<IReadOnlyList<LeaseRecord>>(list);
    }

    public async ValueTask<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken = default) =>
        (await LoadAsync(cancellationToken)).Select(r => r.ToLease()).ToList();

    /// <summary>Commits <paramref name="record"/> on the calling thread, and tells <paramref name="waiter"/> there,
    /// when no group is being written or waiting and <see cref="GatherPolicy.CommitNow"/> says it pays (leases slower
    /// than <see cref="GatherPolicy.AboveRate"/>, so the writer would commit it at once anyway, and commits brief): the
    /// lease skips the hand-off to the writer thread and back. Returns false, having done nothing, otherwise; the caller then queues it with <see cref="Commit(LeaseRecord, ILeaseCommitWaiter)"/>.</summary>
    public bool TryCommitNow(LeaseRecord record, ILeaseCommitWaiter waiter)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_writing || _queued.Count > 0 || !GatherPolicy.CommitNow(_gather.ArrivalRate, Stopwatch.GetElapsedTime(0, Volatile.Read(ref _commitTicks))))
            {
                return false;
            }

            _writing = true;
            _gather.Observe(1, Stopwatch.GetTimestamp());
        }

        var pending = new Pending(record, null, waiter);
        try
        {
            WriteGroup(new ReadOnlySpan<Pending>(in pending));
        }
        finally
        {
            lock (_gate)
            {
                _writing = false;
                if (_queued.Count > 0 || _closed)
                {
                    // Leases queued meanwhile wait for the writer thread, which waits for this commit to end.
                    Monitor.PulseAll(_gate);
                }
            }
        }

        return true;
    }

    private void WriteLoop()
    {
        var batch = new List<Pending>(MaxBatch);
        bool wrote = false;
        while (true)
        {
            lock (_gate)
            {
                if (wrote)
                {
                    // This thread's previous group is done: callers may commit on their own threads again.
                    _writing = false;
                    wrote = false;
                }

                while (_writing || (_queued.Count == 0 && !_closed))
                {
                    Monitor.Wait(_gate);
                }

                if (_queued.Count == 0)
                {
                    return;
                }

                if (!_closed && _gather.ShouldWait(_queued.Count))
                {
                    // Producers do not pulse a non-empty queue, so this waits the whole window (or until disposal).
                    Monitor.Wait(_gate, GatherPolicy.Window);
                }

                // Swap the lists: producers keep queueing while this batch is written.
                (batch, _queued) = (_queued, batch);
                _writing = true;
                wrote = true;
                _gather.Observe(batch.Count, Stopwatch.GetTimestamp());
            }

            for (int from = 0; from < batch.Count; from += MaxBatch)
            {
                WriteGroup(CollectionsMarshal.AsSpan(batch).Slice(from, Math.Min(MaxBatch, batch.Count - from)));
            }

            batch.Clear();
        }
    }

    /// <summary>One transaction for the group, then every waiter is told (after the commit, so after the fsync),
    /// then the after-group callbacks run. On the writer thread, or on a caller's in <see cref="TryCommitNow"/>;
    /// never on two threads at once (<see cref="_writing"/>).</summary>
    private void WriteGroup(ReadOnlySpan<Pending> group)
    {
        Exception? error = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            _rows.Write(group);
            _onBatch?.Invoke(group.Length, Stopwatch.GetElapsedTime(started));
            if (Interlocked.Add(ref _rowsSinceCheckpoint, group.Length) >= CheckpointRows)
            {
                _checkpointDue.Set();
            }
        }
        catch (SqliteException ex)
        {
            error = ex;
        }

        // How long a commit takes (smoothed): TryCommitNow blocks its caller for about that long.
        long took = Stopwatch.GetTimestamp() - started;
        long smoothed = Volatile.Read(ref _commitTicks);
        Volatile.Write(ref _commitTicks, smoothed == 0 ? took : ((smoothed * 7) + took) / 8);

        foreach (var item in group)
        {
            try
            {
                if (item.Waiter is { } waiter)
                {
                    waiter.OnDurable(error);
                }
                else
                {
                    item.OnDurable!(error);
                }
            }
            catch (Exception)
            {
                // A waiter's callback failing must not stop the writer; the waiter reports its own errors.
            }
        }

        try
        {
            Volatile.Read(ref _afterGroup)?.Invoke();
        }
        catch (Exception)
        {
            // As above: the listener reports its own errors.
        }
    }

    /// <summary>Copies the WAL into the database after every few thousand rows (and every few seconds when
    /// anything was written). PASSIVE never waits for the writer; what it cannot copy now it copies next time.</summary>
    private void CheckpointLoop()
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        while (true)
        {
            _checkpointDue.WaitOne(TimeSpan.FromSeconds(5));
            bool closed;
            lock (_gate)
            {
                closed = _closed;
            }

            if (Interlocked.Exchange(ref _rowsSinceCheckpoint, 0) > 0 || closed)
            {
                try
                {
                    Execute(connection, "PRAGMA wal_checkpoint(PASSIVE);");
                }
                catch (SqliteException)
                {
                    // Busy or interrupted: the next round copies what is left.
                }
            }

            if (closed)
            {
                return;
            }
        }
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            Monitor.Pulse(_gate);
        }

        // The writer thread ends once the queue is empty and no commit runs on a caller's thread (TryCommitNow).
        await Task.Run(_writerThread.Join).ConfigureAwait(false);
        _checkpointDue.Set();
        await Task.Run(_checkpointThread.Join).ConfigureAwait(false);
        _checkpointDue.Dispose();
        _rows.Dispose();
        await _writer.DisposeAsync().ConfigureAwait(false);
    }

    internal readonly record struct Pending(LeaseRecord Record, Action<Exception?>? OnDurable, ILeaseCommitWaiter? Waiter);

    /// <summary>Group commit gathers by itself while an fsync is in flight. When fsync is fast and leases arrive
    /// faster than <see cref="AboveRate"/> per second, a lone lease would still cost one fsync each: then the
    /// writer waits up to <see cref="Window"/> for company before committing (like PostgreSQL's commit_delay),
    /// trading under a millisecond of ACK latency for several times fewer fsyncs. Below that rate, or with a
    /// batch already large, every lease is committed at once.</summary>
    internal sealed class GatherPolicy
    {
        public const double AboveRate = 2000;
        public const int BelowCount = 16;
        public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(1);

        private long _lastCycle = -1;

        /// <summary>Leases per second arriving, smoothed over the last few batches.</summary>
        public double ArrivalRate { get; private set; }

        /// <summary>A commit blocking the caller's thread longer than this (a slow or busy disk) is left to the writer
        /// thread: the caller (a socket's receive thread) must keep answering meanwhile.</summary>
        public static readonly TimeSpan CommitNowMaxTime = TimeSpan.FromMilliseconds(1);

        /// <summary>The largest share of its time a caller may spend committing leases itself.</summary>
        public const double CommitNowMaxShare = 0.5;

        public bool ShouldWait(int queued) => queued < BelowCount && ArrivalRate >= AboveRate;

        /// <summary>Whether a lone lease should be committed on the caller's thread: it pays only while the writer would
        /// commit it at once anyway (below <see cref="AboveRate"/>) and while it blocks the caller briefly and seldom
        /// (a commit, with its fsync, under <see cref="CommitNowMaxTime"/>, and arrivals times that under
        /// <see cref="CommitNowMaxShare"/>).</summary>
        public static bool CommitNow(double arrivalRate, TimeSpan commitTime) =>
            arrivalRate < AboveRate && commitTime < CommitNowMaxTime && arrivalRate * commitTime.TotalSeconds < CommitNowMaxShare;

        /// <summary>Notes a batch of <paramref name="count"/> leases taken at <paramref name="timestamp"/>
        /// (Stopwatch ticks): they arrived since the previous batch was taken.</summary>
        public void Observe(int count, long timestamp)
        {
            if (_lastCycle >= 0)
            {
                double seconds = Math.Max(Stopwatch.GetElapsedTime(_lastCycle, timestamp).TotalSeconds, 1e-6);
                ArrivalRate = (0.8 * ArrivalRate) + (0.2 * (count / seconds));
            }

            _lastCycle = timestamp;
        }
    }
}
