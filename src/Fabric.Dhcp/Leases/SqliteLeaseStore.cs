using System.Diagnostics;
using System.Runtime.InteropServices;
using Fabric.Core;
using Microsoft.Data.Sqlite;

namespace Fabric.Dhcp.Leases;

/// <summary>Leases in SQLite (WAL, synchronous=FULL). Writes from concurrent clients are grouped: one
/// writer thread takes everything queued, commits it in a single transaction, then calls every waiter back,
/// so each lease is on disk before its ACK is sent without one fsync per client. The WAL is checkpointed on a
/// second thread and connection, so a checkpoint's fsyncs never stall a batch of ACKs.</summary>
internal sealed class SqliteLeaseStore : ILeaseStore, ILeaseView, IAsyncDisposable
{
    private static readonly string[] UpsertParameterNames = ["$a", "$n", "$m", "$c", "$h", "$o", "$s", "$t", "$e"];

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
            CREATE INDEX IF NOT EXISTS leases_mac ON leases (mac);
            """);
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

    private void WriteLoop()
    {
        var batch = new List<Pending>(MaxBatch);
        using var upsert = _writer.CreateCommand();
        upsert.CommandText = """
            INSERT INTO leases (address, network, mac, client_id, hostname, node, state, starts, ends)
            VALUES ($a, $n, $m, $c, $h, $o, $s, $t, $e)
            ON CONFLICT (address) DO UPDATE SET network=excluded.network, mac=excluded.mac, client_id=excluded.client_id,
              hostname=excluded.hostname, node=excluded.node, state=excluded.state, starts=excluded.starts, ends=excluded.ends
            """;
        var p = UpsertParameterNames.Select(n => upsert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        var gather = new GatherPolicy();
        while (true)
        {
            lock (_gate)
            {
                while (_queued.Count == 0 && !_closed)
                {
                    Monitor.Wait(_gate);
                }

                if (_queued.Count == 0)
                {
                    return;
                }

                if (!_closed && gather.ShouldWait(_queued.Count))
                {
                    // Producers do not pulse a non-empty queue, so this waits the whole window (or until disposal).
                    Monitor.Wait(_gate, GatherPolicy.Window);
                }

                // Swap the lists: producers keep queueing while this batch is written.
                (batch, _queued) = (_queued, batch);
            }

            gather.Observe(batch.Count, Stopwatch.GetTimestamp());

            for (int from = 0; from < batch.Count; from += MaxBatch)
            {
                var slice = CollectionsMarshal.AsSpan(batch).Slice(from, Math.Min(MaxBatch, batch.Count - from));
                Exception? error = null;
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var tx = _writer.BeginTransaction();
                    upsert.Transaction = tx;
                    foreach (var item in slice)
                    {
                        var r = item.Record;
                        p[0].Value = (long)r.Address;
                        p[1].Value = r.Network;
                        p[2].Value = r.Mac.ToString();
                        p[3].Value = (object?)r.ClientId ?? DBNull.Value;
                        p[4].Value = (object?)r.Hostname ?? DBNull.Value;
                        p[5].Value = (object?)r.Node ?? DBNull.Value;
                        p[6].Value = r.State.ToString();
                        p[7].Value = r.Starts.ToUnixTimeMilliseconds();
                        p[8].Value = r.Ends.ToUnixTimeMilliseconds();
                        upsert.ExecuteNonQuery();
                    }

                    tx.Commit();
                    _onBatch?.Invoke(slice.Length, Stopwatch.GetElapsedTime(started));
                    if (Interlocked.Add(ref _rowsSinceCheckpoint, slice.Length) >= CheckpointRows)
                    {
                        _checkpointDue.Set();
                    }
                }
                catch (SqliteException ex)
                {
                    error = ex;
                }

                foreach (var item in slice)
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

            batch.Clear();
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

        await Task.Run(_writerThread.Join).ConfigureAwait(false);
        _checkpointDue.Set();
        await Task.Run(_checkpointThread.Join).ConfigureAwait(false);
        _checkpointDue.Dispose();
        await _writer.DisposeAsync().ConfigureAwait(false);
    }

    private readonly record struct Pending(LeaseRecord Record, Action<Exception?>? OnDurable, ILeaseCommitWaiter? Waiter);

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

        public bool ShouldWait(int queued) => queued < BelowCount && ArrivalRate >= AboveRate;

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
