using System.Collections.Immutable;
using Dapper;
using Fabric.Registry.Sqlite;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Images;

/// <summary>Images in table <c>images</c> of the registry database (migrations 0009 and 0011, applied by the registry when it opens
/// the database). Reads come from memory; each write is committed before the call returns.</summary>
internal sealed class SqliteImageStore : IImageStore
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private ImmutableSortedDictionary<(string Pair, string Name), StoredImage> _images;

    private SqliteImageStore(SqliteConnection connection, ImmutableSortedDictionary<(string Pair, string Name), StoredImage> images)
    {
        _connection = connection;
        _images = images;
    }

    public static SqliteImageStore Open(string databasePath)
    {
        var connection = SideTableConnection.Open(databasePath, "images", "image store");
        try
        {
            var rows = connection.Query<Row>("SELECT pair AS Pair, name AS Name, size_bytes AS SizeBytes, sha256 AS Sha256, pushed_at AS PushedAt, format AS Format FROM images");
            var images = rows.Select(r => r.ToImage()).ToImmutableSortedDictionary(Key, i => i, KeyComparer.Instance);
            return new SqliteImageStore(connection, images);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public IReadOnlyList<StoredImage> List() => [.. _images.Values];

    public StoredImage? Find(string pair, string name) => _images.TryGetValue((pair, name), out var image) ? image : null;

    public Task RecordAsync(StoredImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_gate)
        {
            _connection.Execute(
                "INSERT INTO images (pair, name, size_bytes, sha256, pushed_at, format) VALUES (@Pair, @Name, @SizeBytes, @Sha256, @PushedAt, @Format) " +
                "ON CONFLICT (pair, name) DO UPDATE SET size_bytes = excluded.size_bytes, sha256 = excluded.sha256, pushed_at = excluded.pushed_at, format = excluded.format",
                new { image.Pair, image.Name, image.SizeBytes, image.Sha256, PushedAt = image.PushedAt.ToUnixTimeMilliseconds(), Format = image.Format.ToWire() });
            _images = _images.SetItem(Key(image), image with { PushedAt = DateTimeOffset.FromUnixTimeMilliseconds(image.PushedAt.ToUnixTimeMilliseconds()) });
        }

        return Task.CompletedTask;
    }

    public void Dispose() => _connection.Dispose();

    private static (string, string) Key(StoredImage image) => (image.Pair, image.Name);

    private sealed class KeyComparer : IComparer<(string Pair, string Name)>
    {
        public static KeyComparer Instance { get; } = new();

        public int Compare((string Pair, string Name) x, (string Pair, string Name) y)
        {
            int pair = StringComparer.OrdinalIgnoreCase.Compare(x.Pair, y.Pair);
            return pair != 0 ? pair : StringComparer.Ordinal.Compare(x.Name, y.Name);
        }
    }

    private sealed record Row(string Pair, string Name, long SizeBytes, string Sha256, long PushedAt, string Format)
    {
        public StoredImage ToImage() => new(
            Name,
            Pair,
            SizeBytes,
            Sha256,
            DateTimeOffset.FromUnixTimeMilliseconds(PushedAt),
            ImageFormats.TryParse(Format, out var format) ? format : throw new InvalidDataException($"image {Pair}/{Name} has format '{Format}', not ext4, tar or disk"));
    }
}
