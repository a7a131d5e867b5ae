using Fabric.Registry.Images;

namespace Fabric.Registry.Tests.Images;

public sealed class ImageStoreTests
{
    [Fact]
    public async Task Record_ThenReopen_KeptByPairAndName()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        var pushed = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        using (var store = ImageStores.Open(dir.Database))
        {
            await store.RecordAsync(new StoredImage("base", "p1", 1 << 20, new string('a', 64), pushed));
            await store.RecordAsync(new StoredImage("base", "p2", 2 << 20, new string('b', 64), pushed));
        }

        using var reopened = ImageStores.Open(dir.Database);

        Assert.Equal(2, reopened.List().Count);
        Assert.Equal(new StoredImage("base", "p1", 1 << 20, new string('a', 64), pushed), reopened.Find("p1", "base"));
        Assert.Equal(2 << 20, reopened.Find("P2", "base")!.SizeBytes);
        Assert.Null(reopened.Find("p1", "other"));
    }

    [Fact]
    public async Task Record_SameImageAgain_Replaced()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        using var store = ImageStores.Open(dir.Database);

        await store.RecordAsync(new StoredImage("base", "p1", 10, new string('a', 64), DateTimeOffset.UnixEpoch));
        await store.RecordAsync(new StoredImage("base", "p1", 20, new string('c', 64), DateTimeOffset.UnixEpoch));

        var image = Assert.Single(store.List());
        Assert.Equal((20L, new string('c', 64)), (image.SizeBytes, image.Sha256));
    }

    [Fact]
    public async Task Record_TarImage_FormatKeptAcrossReopen()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        using (var store = ImageStores.Open(dir.Database))
        {
            await store.RecordAsync(new StoredImage("nfsroot", "p1", 10240, new string('a', 64), DateTimeOffset.UnixEpoch, ImageFormat.Tar));
            await store.RecordAsync(new StoredImage("base", "p1", 4096, new string('b', 64), DateTimeOffset.UnixEpoch));
        }

        using var reopened = ImageStores.Open(dir.Database);

        Assert.Equal(ImageFormat.Tar, reopened.Find("p1", "nfsroot")!.Format);
        Assert.Equal(ImageFormat.Ext4, reopened.Find("p1", "base")!.Format);
    }

    [Fact]
    public async Task Record_DiskImage_FormatKeptAcrossReopen()
    {
        using var dir = new TempDir();
        FabricRegistry.Open(dir.Database).Dispose();
        using (var store = ImageStores.Open(dir.Database))
        {
            await store.RecordAsync(new StoredImage("guest", "p1", 32 << 20, new string('d', 64), DateTimeOffset.UnixEpoch, ImageFormat.Disk));
        }

        using var reopened = ImageStores.Open(dir.Database);

        Assert.Equal(ImageFormat.Disk, reopened.Find("p1", "guest")!.Format);
    }

    [Fact]
    public void Open_DatabaseWithoutRegistry_ClearError()
    {
        using var dir = new TempDir();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={dir.Database}"))
        {
            connection.Open();
        }

        var error = Assert.Throws<InvalidOperationException>(() => ImageStores.Open(dir.Database));

        Assert.Contains("no images table", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hnode-root", null)]
    [InlineData("a.b_c-1", null)]
    [InlineData("", "required")]
    [InlineData("-x", "not a")]
    [InlineData("../etc", "not a")]
    [InlineData("a b", "not a")]
    public void Problem_Name_AsExpected(string name, string? problem)
    {
        var found = StorageNames.Problem(name, "image");

        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(problem, found, StringComparison.Ordinal);
        }
    }
}
