using System.Text;
using Fabric.Core;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Fabric.Dhcp.Leases;

/// <summary>Writes groups of lease rows in one transaction through statements prepared once for the life of the
/// connection, binding each value straight from the record (integers as integers, text as UTF-8 written on the
/// stack): no parameter objects, no boxing, no strings made per row. Used by one thread at a time.</summary>
internal sealed class LeaseRowWriter : IDisposable
{
    private const string UpsertSql = """
        INSERT INTO leases (address, network, mac, client_id, hostname, node, state, starts, ends)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        ON CONFLICT (address) DO UPDATE SET network=excluded.network, mac=excluded.mac, client_id=excluded.client_id,
          hostname=excluded.hostname, node=excluded.node, state=excluded.state, starts=excluded.starts, ends=excluded.ends
        """;

    // LeaseState names as stored (the enum's names), by value.
    private static readonly byte[][] StateNames = [.. Enum.GetValues<LeaseState>().Select(s => Encoding.ASCII.GetBytes(s.ToString()))];

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _upsert;
    private (string Name, byte[] Utf8) _lastNetwork = ("", []);

    public LeaseRowWriter(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The lease connection is not open.");
        _begin = Prepare("BEGIN");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");
        _upsert = Prepare(UpsertSql);
    }

    /// <summary>Upserts every record in one transaction; returns once it is committed (with synchronous=FULL, on
    /// disk). Throws <see cref="SqliteException"/> after rolling back when any row fails.</summary>
    public void Write(ReadOnlySpan<SqliteLeaseStore.Pending> items)
    {
        Step(_begin);
        try
        {
            foreach (var item in items)
            {
                Bind(item.Record);
                Step(_upsert);
            }

            Step(_commit);
        }
        catch (SqliteException)
        {
            raw.sqlite3_reset(_rollback);
            raw.sqlite3_step(_rollback);
            raw.sqlite3_reset(_rollback);
            throw;
        }
    }

    private void Bind(LeaseRecord r)
    {
        var s = _upsert;
        Check(raw.sqlite3_bind_int64(s, 1, r.Address));
        Check(raw.sqlite3_bind_text(s, 2, NetworkUtf8(r.Network)));
        Span<char> macText = stackalloc char[17];
        Span<byte> mac = stackalloc byte[17];
        r.Mac.TryFormat(macText, out int macLength, default, null);
        int macBytes = Encoding.ASCII.GetBytes(macText[..macLength], mac);
        Check(raw.sqlite3_bind_text(s, 3, mac[..macBytes]));
        Check(r.ClientId is { } id ? BindBlob(s, 4, id) : raw.sqlite3_bind_null(s, 4));
        BindText(s, 5, r.Hostname);
        BindText(s, 6, r.Node);
        Check(raw.sqlite3_bind_text(s, 7, StateNames[(int)r.State]));
        Check(raw.sqlite3_bind_int64(s, 8, r.Starts.ToUnixTimeMilliseconds()));
        Check(raw.sqlite3_bind_int64(s, 9, r.Ends.ToUnixTimeMilliseconds()));
    }

    private static int BindBlob(sqlite3_stmt s, int index, byte[] value) =>
        value.Length == 0 ? raw.sqlite3_bind_zeroblob(s, index, 0) : raw.sqlite3_bind_blob(s, index, value);

    private void BindText(sqlite3_stmt s, int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(s, index));
            return;
        }

        // Host and node names are short (RFC 1123 names); a longer one is encoded on the heap.
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> utf8 = max <= 512 ? stackalloc byte[max] : new byte[max];
        int n = Encoding.UTF8.GetBytes(value, utf8);
        Check(raw.sqlite3_bind_text(s, index, utf8[..n]));
    }

    /// <summary>The network name's UTF-8 bytes, kept while the name repeats (one network per request).</summary>
    private byte[] NetworkUtf8(string name)
    {
        var last = _lastNetwork;
        if (ReferenceEquals(last.Name, name) || string.Equals(last.Name, name, StringComparison.Ordinal))
        {
            return last.Utf8;
        }

        var bytes = Encoding.UTF8.GetBytes(name);
        _lastNetwork = (name, bytes);
        return bytes;
    }

    private void Step(sqlite3_stmt statement)
    {
        int rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
            throw new SqliteException($"SQLite step returned {rc}.", rc);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        int rc = raw.sqlite3_prepare_v2(_db, sql, out var statement);
        if (rc != raw.SQLITE_OK || statement is null)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, _db);
            throw new SqliteException($"SQLite could not prepare '{sql}'.", rc);
        }

        return statement;
    }

    public void Dispose()
    {
        _upsert.Dispose();
        _rollback.Dispose();
        _commit.Dispose();
        _begin.Dispose();
    }
}
