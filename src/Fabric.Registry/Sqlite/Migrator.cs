using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Sqlite;

/// <summary>Applies the numbered SQL scripts embedded as <c>Migrations/NNNN_name.sql</c>, each in its own
/// transaction, recording each applied version in <c>schema_version</c>.</summary>
internal static class Migrator
{
    private const string Prefix = "Fabric.Registry.Migrations.";

    public sealed record Migration(int Version, string Name, string Sql);

    public static IReadOnlyList<Migration> All { get; } = Load();

    public static int LatestVersion => All[^1].Version;

    /// <summary>Brings the database up to <paramref name="targetVersion"/> (default: the latest) and returns its version.</summary>
    public static int Apply(SqliteConnection connection, int? targetVersion = null)
    {
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        int current = CurrentVersion(connection);
        int target = targetVersion ?? LatestVersion;
        if (current > LatestVersion)
        {
            throw new InvalidOperationException($"The registry database is at schema version {current}, newer than this appliance knows ({LatestVersion}).");
        }

        foreach (var migration in All.Where(m => m.Version > current && m.Version <= target))
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(migration.Sql, transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (@Version, @Name, @At)",
                new { migration.Version, migration.Name, At = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) },
                transaction);
            transaction.Commit();
            current = migration.Version;
        }

        return current;
    }

    public static int CurrentVersion(SqliteConnection connection) =>
        connection.ExecuteScalar<int?>("SELECT MAX(version) FROM schema_version") ?? 0;

    private static List<Migration> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = resource[Prefix.Length..^4];
            int underscore = file.IndexOf('_', StringComparison.Ordinal);
            int version = int.Parse(file[..underscore], NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, file[(underscore + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Registry migrations are numbered 1, 2, 3...; found {migrations[i].Version} at position {i + 1}.");
            }
        }

        return migrations;
    }
}
