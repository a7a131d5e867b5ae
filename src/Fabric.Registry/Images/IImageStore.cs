namespace Fabric.Registry.Images;

/// <summary>A root image held by both storage nodes of a pair (recorded only once both copies are complete).</summary>
/// <param name="Name">The image's name; its file is <c>NAME.img</c> in each node's image folder.</param>
/// <param name="Pair">The storage pair that holds it.</param>
/// <param name="SizeBytes">Its size.</param>
/// <param name="Sha256">Its SHA-256, lower-case hex.</param>
/// <param name="PushedAt">When both copies were complete.</param>
public sealed record StoredImage(string Name, string Pair, long SizeBytes, string Sha256, DateTimeOffset PushedAt);

/// <summary>The images of every pair, kept durably in the registry database (table <c>images</c>).</summary>
public interface IImageStore : IDisposable
{
    IReadOnlyList<StoredImage> List();

    /// <summary>The image <paramref name="name"/> of <paramref name="pair"/>, or null.</summary>
    StoredImage? Find(string pair, string name);

    /// <summary>Records (or replaces) an image of a pair.</summary>
    Task RecordAsync(StoredImage image, CancellationToken cancellationToken = default);
}

/// <summary>The rules for image and volume names: they become file names on storage nodes.</summary>
public static class StorageNames
{
    public const int MaxLength = 63;

    /// <summary>Null when <paramref name="name"/> is a good image or volume name, otherwise why not.</summary>
    public static string? Problem(string? name, string what) =>
        string.IsNullOrEmpty(name) ? $"a {what} name is required"
        : name.Length > MaxLength || !char.IsAsciiLetterOrDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"'{Escape(name)}' is not a {what} name (1-{MaxLength} letters, digits, '-', '_' or '.', starting with a letter or digit)"
            : null;

    private static string Escape(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}

/// <summary>Opens the image store.</summary>
public static class ImageStores
{
    /// <summary>Opens the image store in the registry database at <paramref name="databasePath"/>, which
    /// <see cref="FabricRegistry"/> has opened (and so migrated) first.</summary>
    public static IImageStore Open(string databasePath) => SqliteImageStore.Open(databasePath);
}
