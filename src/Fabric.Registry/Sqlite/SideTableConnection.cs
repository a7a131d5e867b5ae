using Dapper;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Sqlite;

/// <summary>The connection of a store that keeps one table of the registry database next to the registry (images, API
/// tokens): the same durability (<c>synchronous=FULL</c>, a busy timeout for the registry's writer), and a check that
/// the registry has already created and migrated the table.</summary>
internal static class SideTableConnection
{
    /// <summary>An open connection to <paramref name="databasePath"/>, or an <see cref="InvalidOperationException"/> naming
    /// <paramref name="table"/> when the registry has not made it. The caller disposes the connection.</summary>
    public static SqliteConnection Open(string databasePath, string table, string store)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            connection.Execute("PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;");
            if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @table", new { table }) == 0)
            {
                throw new InvalidOperationException($"'{databasePath}' has no {table} table: open the registry (which migrates it) before the {store}.");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
