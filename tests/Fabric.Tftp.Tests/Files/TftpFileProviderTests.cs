using System.Net;
using Fabric.Tftp.Commands;
using Fabric.Tftp.Files;

namespace Fabric.Tftp.Tests.Files;

public sealed class TftpFileProviderTests : IDisposable
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("10.9.0.5"), 2000);
    private readonly TempRoot _root = new();
    private readonly string _outside = Directory.CreateTempSubdirectory("fabric-tftp-outside-").FullName;

    public void Dispose()
    {
        _root.Dispose();
        Directory.Delete(_outside, recursive: true);
    }

    private TftpFileProvider Provider(ITftpVirtualFiles? virtualFiles = null, long maxFile = 1 << 20) =>
        new(_root.Path, new TftpFileCache(maxFile, 4 << 20), virtualFiles);

    private static byte[] ReadAll(TftpOpenResult result)
    {
        Assert.NotNull(result.Content);
        using var content = result.Content!;
        var bytes = new byte[content.Length];
        Assert.Equal(bytes.Length, content.Read(0, bytes));
        return bytes;
    }

    private async Task AssertError(string requested, TftpErrorCode expected, TftpFileProvider? provider = null)
    {
        var result = await (provider ?? Provider()).OpenAsync(requested, Client, default);
        Assert.Null(result.Content);
        Assert.Equal(expected, result.Code);
    }

    [Fact]
    public async Task OpenAsync_ExistingFile_ReturnsItsBytes()
    {
        _root.Write("boot/vmlinuz", [1, 2, 3]);
        Assert.Equal([1, 2, 3], ReadAll(await Provider().OpenAsync("boot/vmlinuz", Client, default)));
    }

    [Fact]
    public async Task OpenAsync_MissingFile_FileNotFound() => await AssertError("nope.bin", TftpErrorCode.FileNotFound);

    [Fact]
    public async Task OpenAsync_Directory_FileNotFound()
    {
        Directory.CreateDirectory(Path.Combine(_root.Path, "dir"));
        await AssertError("dir", TftpErrorCode.FileNotFound);
    }

    [Fact]
    public async Task OpenAsync_DotDotSlash_AccessViolation()
    {
        File.WriteAllBytes(Path.Combine(_outside, "secret"), [9]);
        await AssertError("../" + Path.GetFileName(_outside) + "/secret", TftpErrorCode.AccessViolation);
    }

    [Fact]
    public async Task OpenAsync_DotDotBackslash_AccessViolation() => await AssertError("..\\..\\etc\\passwd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_FourDotsDoubleSlash_AccessViolation() => await AssertError("....//....//etc/passwd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_ThreeDots_AccessViolation() => await AssertError(".../etc/passwd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_AbsolutePathOutsideRoot_AccessViolation() => await AssertError("/etc/passwd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_AbsolutePathInsideRoot_ServedFromRoot()
    {
        _root.Write("grub/grub.cfg", [7]);
        Assert.Equal([7], ReadAll(await Provider().OpenAsync("/grub/grub.cfg", Client, default)));
    }

    [Fact]
    public async Task OpenAsync_RootsOwnFullPath_AccessViolation() => await AssertError(_root.Path + "/../../etc/passwd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_Nul_AccessViolation() => await AssertError("pxelinux.0\0../../etc/passwd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_PercentEncoding_AccessViolation() => await AssertError("%2e%2e%2fetc%2fpasswd", TftpErrorCode.AccessViolation);

    [Fact]
    public async Task OpenAsync_SymlinkToFileOutsideRoot_AccessViolation()
    {
        File.WriteAllBytes(Path.Combine(_outside, "secret"), [9]);
        File.CreateSymbolicLink(Path.Combine(_root.Path, "link"), Path.Combine(_outside, "secret"));
        await AssertError("link", TftpErrorCode.AccessViolation);
    }

    [Fact]
    public async Task OpenAsync_SymlinkedDirectoryOutsideRoot_AccessViolation()
    {
        File.WriteAllBytes(Path.Combine(_outside, "secret"), [9]);
        Directory.CreateSymbolicLink(Path.Combine(_root.Path, "out"), _outside);
        await AssertError("out/secret", TftpErrorCode.AccessViolation);
    }

    [Fact]
    public async Task OpenAsync_SymlinkInsideRoot_Served()
    {
        _root.Write("images/ipxe-1.efi", [4, 2]);
        File.CreateSymbolicLink(Path.Combine(_root.Path, "ipxe.efi"), "images/ipxe-1.efi");
        Assert.Equal([4, 2], ReadAll(await Provider().OpenAsync("ipxe.efi", Client, default)));
    }

    [Fact]
    public async Task OpenAsync_FileChangedOnDisk_ServedFresh()
    {
        string full = _root.Write("undionly.kpxe", [1, 1, 1]);
        var provider = Provider();
        Assert.Equal([1, 1, 1], ReadAll(await provider.OpenAsync("undionly.kpxe", Client, default)));
        Assert.Equal(1, provider.Cache.Count);

        File.WriteAllBytes(full, [2, 2, 2]);
        File.SetLastWriteTimeUtc(full, DateTime.UtcNow.AddSeconds(5));
        Assert.Equal([2, 2, 2], ReadAll(await provider.OpenAsync("undionly.kpxe", Client, default)));
        Assert.Equal(3, provider.Cache.TotalBytes);
    }

    [Fact]
    public async Task OpenAsync_FileLargerThanCacheLimit_ServedFromDiskHandle()
    {
        _root.Write("big", new byte[5000]);
        var provider = Provider(maxFile: 4096);
        var result = await provider.OpenAsync("big", Client, default);
        Assert.IsType<FileHandleContent>(result.Content);
        Assert.Equal(5000, ReadAll(result).Length);
        Assert.Equal(0, provider.Cache.Count);
    }

    [Fact]
    public void GetOrLoad_OverTotalBytes_EvictsLeastRecentlyUsed()
    {
        var cache = new TftpFileCache(100, 250);
        cache.GetOrLoad("a", 100, DateTime.UnixEpoch, () => new byte[100]);
        cache.GetOrLoad("b", 100, DateTime.UnixEpoch, () => new byte[100]);
        cache.GetOrLoad("a", 100, DateTime.UnixEpoch, () => throw new InvalidOperationException("cached"));
        cache.GetOrLoad("c", 100, DateTime.UnixEpoch, () => new byte[100]);
        Assert.Equal(200, cache.TotalBytes);
        int loads = 0;
        cache.GetOrLoad("b", 100, DateTime.UnixEpoch, () => { loads++; return new byte[100]; });
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task OpenAsync_VirtualFileForOwner_RenderedBeforeDisk()
    {
        _root.Write("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", [0]);
        var files = new TestVirtualFiles(new() { ["aa-bb-cc-dd-ee-ff"] = Client.Address });
        var bytes = ReadAll(await Provider(files).OpenAsync("pxelinux.cfg//01-aa-bb-cc-dd-ee-ff", Client, default));
        Assert.Contains("fabric.token=secret-aa-bb-cc-dd-ee-ff", System.Text.Encoding.ASCII.GetString(bytes));
        Assert.Equal(("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", Client), files.Calls.Single());
    }

    [Fact]
    public async Task OpenAsync_VirtualFileOfAnotherNode_AccessViolation()
    {
        var files = new TestVirtualFiles(new() { ["aa-bb-cc-dd-ee-ff"] = IPAddress.Parse("10.9.0.77") });
        await AssertError("pxelinux.cfg/01-aa-bb-cc-dd-ee-ff", TftpErrorCode.AccessViolation, Provider(files));
    }

    [Fact]
    public async Task OpenAsync_TraversalNeverReachesVirtualFiles()
    {
        var files = new TestVirtualFiles([]);
        await AssertError("../pxelinux.cfg/01-x", TftpErrorCode.AccessViolation, Provider(files));
        Assert.Empty(files.Calls);
    }

    [Fact]
    public async Task OpenAsync_NotAVirtualFile_FallsBackToDisk()
    {
        _root.Write("ipxe.efi", [5]);
        var files = new TestVirtualFiles([]);
        Assert.Equal([5], ReadAll(await Provider(files).OpenAsync("ipxe.efi", Client, default)));
    }

    [Fact]
    public async Task OpenAsync_NetasciiTwice_ConvertedOnceAndCached()
    {
        _root.Write("cfg.txt", "a\nb\rc"u8.ToArray());
        var provider = Provider();

        var first = ReadAll(await provider.OpenAsync("cfg.txt", Client, TftpMode.NetAscii, default));
        int entries = provider.Cache.Count;
        long bytes = provider.Cache.TotalBytes;
        var second = ReadAll(await provider.OpenAsync("cfg.txt", Client, TftpMode.NetAscii, default));

        Assert.Equal("a\r\nb\r\0c"u8.ToArray(), first);
        Assert.Equal(first, second);
        Assert.Equal(2, entries);
        Assert.Equal(entries, provider.Cache.Count);
        Assert.Equal(bytes, provider.Cache.TotalBytes);
        Assert.Equal("a\nb\rc"u8.ToArray(), ReadAll(await provider.OpenAsync("cfg.txt", Client, default)));
    }

    [Fact]
    public async Task OpenAsync_NetasciiFileChangedOnDisk_ConvertedAfresh()
    {
        string path = _root.Write("cfg.txt", "a\n"u8.ToArray());
        var provider = Provider();
        ReadAll(await provider.OpenAsync("cfg.txt", Client, TftpMode.NetAscii, default));
        File.WriteAllBytes(path, "bb\n"u8.ToArray());
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));

        Assert.Equal("bb\r\n"u8.ToArray(), ReadAll(await provider.OpenAsync("cfg.txt", Client, TftpMode.NetAscii, default)));
    }

    [Fact]
    public async Task OpenAsync_NetasciiLargerThanLimit_ErrorNotConverted()
    {
        _root.Write("big.txt", new byte[2000]);
        var provider = new TftpFileProvider(_root.Path, new TftpFileCache(1 << 20, 4 << 20), null, maxNetasciiBytes: 1000);

        var result = await provider.OpenAsync("big.txt", Client, TftpMode.NetAscii, default);

        Assert.Null(result.Content);
        Assert.Equal(TftpErrorCode.NotDefined, result.Code);
        Assert.Contains("netascii", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAsync_NetasciiLargeFileNotCached_ConvertedFromTheHandle()
    {
        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("line\n", 40_000)));
        _root.Write("big.txt", text);
        var provider = new TftpFileProvider(_root.Path, new TftpFileCache(1000, 4000), null);

        var converted = ReadAll(await provider.OpenAsync("big.txt", Client, TftpMode.NetAscii, default));

        Assert.Equal(Fabric.Tftp.Transfer.NetAscii.Encode(text), converted);
        Assert.Equal(0, provider.Cache.Count);
    }
}
