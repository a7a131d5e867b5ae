using System.Diagnostics;
using System.Security.Cryptography;
using Fabric.Remote.Commands;
using Fabric.Storage.Images;

namespace Fabric.Storage.Tests.Images;

/// <summary>The image scripts run by <c>/bin/sh</c> on files of the test's own folder.</summary>
public sealed class ImageScriptsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-images-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<string> RunAsync(RemoteCommand command)
    {
        using var process = Process.Start(new ProcessStartInfo(command.Arguments[0], command.Arguments.Skip(1)) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output;
    }

    [Fact]
    public async Task Check_NoImageYet_NothingAndTheFolderMade()
    {
        var file = Path.Combine(_dir, "images", "base.img");

        var output = await RunAsync(ImageScripts.CheckCommand(file));

        Assert.Null(ImageScripts.ParseCheck(output));
        Assert.True(Directory.Exists(Path.Combine(_dir, "images")));
    }

    [Fact]
    public async Task Check_ImageWithoutSidecar_Nothing()
    {
        var file = Path.Combine(_dir, "base.img");
        await File.WriteAllBytesAsync(file, new byte[100]);

        Assert.Null(ImageScripts.ParseCheck(await RunAsync(ImageScripts.CheckCommand(file))));
    }

    [Fact]
    public async Task CheckAndDigest_WholeImage_SizeAndShaOfTheSidecarAndTheFile()
    {
        var file = Path.Combine(_dir, "it's base.img");
        var content = RandomNumberGenerator.GetBytes(5000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        await File.WriteAllBytesAsync(file, content);
        await File.WriteAllTextAsync(ImageScripts.SidecarOf(file), ImageScripts.SidecarText(file, sha));

        var found = ImageScripts.ParseCheck(await RunAsync(ImageScripts.CheckCommand(file)));
        var digest = (await RunAsync(ImageScripts.DigestCommand(file))).Trim();

        Assert.Equal((5000L, sha), found);
        Assert.Equal(sha, digest);
        Assert.Equal($"{sha}  it's base.img\n", await File.ReadAllTextAsync(ImageScripts.SidecarOf(file)));
    }
}
