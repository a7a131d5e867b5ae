using System.Diagnostics;
using Fabric.Remote.Commands;
using Fabric.Storage.Volumes;

namespace Fabric.Storage.Tests.Volumes;

/// <summary>The volume scripts run by <c>/bin/sh</c> on files of the test's own folder.</summary>
public sealed class VolumeScriptsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-volumes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Image(int bytes)
    {
        var path = Path.Combine(_dir, "image.img");
        var data = new byte[bytes];
        new Random(7).NextBytes(data.AsSpan(0, 4096));
        File.WriteAllBytes(path, data);
        return path;
    }

    [Fact]
    public async Task Create_FromImage_SparseCopyGrownToSizeSameLeadingBytes()
    {
        var image = Image(1 << 20);
        var volume = Path.Combine(_dir, "vols", "root-h1.img");

        var (exit, error) = await RunAsync(VolumeScripts.CreateCommand(volume, 256L << 20, image));

        Assert.True(exit == 0, error);
        Assert.Equal(256L << 20, new FileInfo(volume).Length);
        Assert.Equal(File.ReadAllBytes(image), File.ReadAllBytes(volume).AsSpan(0, 1 << 20).ToArray());
        Assert.True(AllocatedBytes(volume) < 16 << 20, "the copy is sparse");
        Assert.False(File.Exists(volume + ".fabric-new"));
    }

    [Fact]
    public async Task Create_Empty_TruncatedToSize()
    {
        var volume = Path.Combine(_dir, "empty.img");

        var (exit, error) = await RunAsync(VolumeScripts.CreateCommand(volume, 64L << 20, null));

        Assert.True(exit == 0, error);
        Assert.Equal(64L << 20, new FileInfo(volume).Length);
    }

    [Fact]
    public async Task Create_Exists_RefusedFileUntouched()
    {
        var volume = Path.Combine(_dir, "taken.img");
        File.WriteAllText(volume, "data");

        var (exit, error) = await RunAsync(VolumeScripts.CreateCommand(volume, 1 << 20, null));

        Assert.Equal(3, exit);
        Assert.Contains("exists", error, StringComparison.Ordinal);
        Assert.Equal("data", File.ReadAllText(volume));
    }

    [Fact]
    public async Task Create_WriteFailsPartWay_NoVolumeAndNoTemporaryFileLeft()
    {
        // No space stands in as a file-size limit (ulimit -f, 512-byte blocks): the copy fails part way like on a full disk.
        var image = Image(1 << 20);
        var volume = Path.Combine(_dir, "full.img");

        var (exit, _) = await RunAsync(VolumeScripts.CreateCommand(volume, 8L << 20, image), limitBlocks: 64);

        Assert.NotEqual(0, exit);
        Assert.False(File.Exists(volume));
        Assert.False(File.Exists(volume + ".fabric-new"));
    }

    [Fact]
    public async Task Create_ImageLargerThanVolume_RefusedNothingLeft()
    {
        var image = Image(2 << 20);
        var volume = Path.Combine(_dir, "small.img");

        var (exit, error) = await RunAsync(VolumeScripts.CreateCommand(volume, 1 << 20, image));

        Assert.Equal(4, exit);
        Assert.Contains("larger than the volume", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir, "small.img*"));
    }

    private static long AllocatedBytes(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Split(' ');
        stat.WaitForExit();
        return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<(int Exit, string Error)> RunAsync(RemoteCommand command, int? limitBlocks = null)
    {
        // With a limit: sh -c 'ulimit -f N; exec "$@"' sh ARGV... (SIGXFSZ is ignored so the write fails with EFBIG).
        string[] argv = limitBlocks is int n
            ? ["-c", "trap '' XFSZ; ulimit -f \"$1\"; shift; exec \"$@\"", "sh", n.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command.Arguments]
            : [.. command.Arguments.Skip(1)];
        using var process = Process.Start(new ProcessStartInfo("sh", argv) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, error);
    }
}
