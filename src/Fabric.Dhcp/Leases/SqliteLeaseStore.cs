using System.Diagnostics;
using System.Threading.Channels;
using Fabric.Core;
using Microsoft.Data.Sqlite;

namespace Fabric.Dhcp.Leases;

/// <summary>Leases in SQLite (WAL, synchronous=FULL). Writes from concurrent clients are grouped: one
/// writer drains the queue and commits everything waiting in a single transaction, then completes every
/// waiter, so each lease is on disk before its ACK is sent without one fsync per client.</summary>
internal sealed class SqliteLeaseStore : ILeaseStore, ILeaseView, IAsyncDisposable
{
    private const int MaxBatch = 1024;

    private readonly string _connectionString;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _writer;
    private readonly Task _writerLoop;
    private readonly Action<int, TimeSpan>? _onBatch;

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
        _writerLoop = Task.Run(WriteLoopAsync);
    }

    public ValueTask CommitAsync(LeaseRecord record, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(record, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            return ValueTask.FromException(new ObjectDisposedException(nameof(SqliteLeaseStore)));
        }

        return new ValueTask(pending.Done.Task.WaitAsync(cancellationToken));
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

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        using var upsert = _writer.CreateCommand();
        upsert.CommandText = """
            INSERT INTO leases (address, network, mac, client_id, hostname, node, state, starts, ends)
            VALUES ($a, $n, $m, $c, $h, $o, $s, $t, $e)
            ON CONFLICT (address) DO UPDATE SET network=excluded.network, mac=excluded.mac, client_id=excluded.client_id,
              hostname=excluded.hostname, node=excluded.node, state=excluded.state, starts=excluded.starts, ends=excluded.ends
            """;
        var p = new[] { "$a", "$n", "$m", "$c", "$h", "$o", "$s", "$t", "$e" }.Select(n => upsert.Parameters.Add(new SqliteParameter { ParameterName = n })).ToArray();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                using var tx = _writer.BeginTransaction();
                upsert.Transaction = tx;
                foreach (var item in batch)
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
                _onBatch?.Invoke(batch.Count, Stopwatch.GetElapsedTime(started));
                foreach (var item in batch)
                {
                    item.Done.TrySetResult();
                }
            }
            catch (SqliteException ex)
            {
                foreach (var item in batch)
                {
                    item.Done.TrySetException(ex);
                }
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
        _queue.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record Pending(LeaseRecord Record, TaskCompletionSource Done);
}
