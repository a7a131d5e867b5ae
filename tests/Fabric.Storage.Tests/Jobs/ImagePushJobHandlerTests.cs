using System.Security.Cryptography;
using Fabric.Jobs.Running;
using Fabric.Remote;
using Fabric.Storage.Jobs;

namespace Fabric.Storage.Tests.Jobs;

public sealed class ImagePushJobHandlerTests : IDisposable
{
    private readonly StorageJobHarness _h = new();

    public void Dispose() => _h.Dispose();

    private ImagePushJobHandler Handler => new(_h.Pairs, _h.Images, _h.Options, TimeProvider.System);

    /// <summary>An image the appliance received, and the job arguments that push it.</summary>
    private RecordingJobContext Received(string name, byte[] content, string? format = null)
    {
        var file = ImagePushJobHandler.LocalFile(_h.ImageFolder, "p1", name);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, content);
        return new RecordingJobContext(ImagePushJobHandler.KindName, null, new Dictionary<string, string>
        {
            ["name"] = name,
            ["pair"] = "p1",
            ["sizeBytes"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(content)),
        }.Concat(format is null ? [] : [KeyValuePair.Create("format", format)]).ToDictionary());
    }

    private static byte[] Content(int size) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7))];

    [Fact]
    public async Task RunAsync_NewImage_CopiedToBothWithSidecarsRecordedByteProgress()
    {
        await _h.AddPairAsync();
        var content = Content(300_000);
        var context = Received("base", content);

        await Handler.RunAsync(context);

        Assert.Equal(content, _h.A.Host.Files["/srv/s1/images/base.img"]);
        Assert.Equal(content, _h.B.Host.Files["/srv/s2/images/base.img"]);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal($"{sha}  base.img\n", System.Text.Encoding.ASCII.GetString(_h.A.Host.Files["/srv/s1/images/base.img.sha256"]));
        var image = Assert.Single(_h.Images.List());
        Assert.Equal(("base", "p1", 300_000L, sha), (image.Name, image.Pair, image.SizeBytes, image.Sha256));
        var last = context.ProgressReports[^1];
        Assert.Equal((600_000L, (long?)600_000L, "bytes"), (last.Done, last.Total, last.Unit));
        Assert.Contains(context.ProgressReports, p => p.Done > 0 && p.Done < 600_000);
    }

    [Fact]
    public async Task RunAsync_NodeHasTheSameImage_NotSentToItAgain()
    {
        await _h.AddPairAsync();
        var content = Content(1000);
        var context = Received("base", content);
        _h.A.Sidecars["/srv/s1/images/base.img"] = (1000, Convert.ToHexStringLower(SHA256.HashData(content)));

        await Handler.RunAsync(context);

        Assert.False(_h.A.Host.Files.ContainsKey("/srv/s1/images/base.img"), "the node that has the image was sent nothing");
        Assert.Equal(content, _h.B.Host.Files["/srv/s2/images/base.img"]);
        Assert.Single(_h.Images.List());
    }

    [Fact]
    public async Task RunAsync_SameNameOtherContent_SentAgain()
    {
        await _h.AddPairAsync();
        var context = Received("base", Content(1000));
        _h.A.Sidecars["/srv/s1/images/base.img"] = (1000, new string('0', 64));

        await Handler.RunAsync(context);

        Assert.True(_h.A.Host.Files.ContainsKey("/srv/s1/images/base.img"));
    }

    [Fact]
    public async Task RunAsync_OneNodeUnreachable_NotRecordedFailsNamingNode()
    {
        await _h.AddPairAsync();
        var context = Received("base", Content(1000));
        _h.B.Host.FailEverything(new RemoteHostException(RemoteFailure.Unreachable, "root@10.9.0.2:22", "cannot connect to 10.9.0.2:22 after 4 attempts: No route to host"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(context));

        Assert.Contains("s2 (10.9.0.2:22)", error.Message, StringComparison.Ordinal);
        Assert.Contains("No route to host", error.Message, StringComparison.Ordinal);
        Assert.Empty(_h.Images.List());
    }

    [Fact]
    public async Task RunAsync_CopyCorrupted_NoSidecarNotRecorded()
    {
        await _h.AddPairAsync();
        var context = Received("base", Content(1000));
        _h.B.Host.On(c => ScriptedStorageNode.Is(c, Fabric.Storage.Images.ImageScripts.Digest), Remote.Testing.FakeReply.Ok(new string('f', 64) + "\n"));

        var error = await Assert.ThrowsAsync<JobFailedException>(() => Handler.RunAsync(context));

        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        Assert.False(_h.B.Host.Files.ContainsKey("/srv/s2/images/base.img.sha256"));
        Assert.Empty(_h.Images.List());
    }

    [Fact]
    public async Task RunAsync_TarFormat_CopiedAsNameTarRecordedAsTar()
    {
        await _h.AddPairAsync();
        var content = Content(10_240);
        var context = Received("rootfs", content, "tar");

        await Handler.RunAsync(context);

        Assert.Equal(content, _h.A.Host.Files["/srv/s1/images/rootfs.tar"]);
        Assert.Equal(content, _h.B.Host.Files["/srv/s2/images/rootfs.tar"]);
        Assert.EndsWith("  rootfs.tar\n", System.Text.Encoding.ASCII.GetString(_h.B.Host.Files["/srv/s2/images/rootfs.tar.sha256"]), StringComparison.Ordinal);
        Assert.False(_h.A.Host.Files.ContainsKey("/srv/s1/images/rootfs.img"));
        Assert.Equal(Fabric.Registry.Images.ImageFormat.Tar, Assert.Single(_h.Images.List()).Format);
    }

    [Theory]
    [InlineData("sha256", "ABC")]
    [InlineData("name", "")]
    [InlineData("sizeBytes", "-1")]
    [InlineData("format", "qcow2")]
    public void Validate_BadArgument_NamesIt(string key, string value)
    {
        var arguments = new Dictionary<string, string> { ["name"] = "base", ["pair"] = "p1", ["sizeBytes"] = "1", ["sha256"] = new string('a', 64), [key] = value };

        Assert.Equal($"arguments.{key}", Assert.Single(Handler.Validate(arguments)).Field);
    }
}
