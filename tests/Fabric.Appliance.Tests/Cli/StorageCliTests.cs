using System.Text.Json;
using Fabric.Appliance.Tests.Api;
using Fabric.Appliance.Tests.Storage;
using Fabric.Cli;
using Fabric.Core;
using Fabric.Remote.Testing;

namespace Fabric.Appliance.Tests.Cli;

/// <summary><c>fabric image ...</c>, <c>fabric volume ...</c> and <c>fabric node add</c> without a root, against a real
/// appliance whose storage pair is two fake SSH hosts.</summary>
public sealed class StorageCliTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-cli-storage-").FullName;
    private ApplianceHost _host = null!;
    private FakeRemoteHosts _hosts = null!;

    public async Task InitializeAsync() => (_host, _hosts) = await FakeStoragePair.StartAsync();

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, _dir);
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<byte[]> ImageFileAsync(string name, int size)
    {
        var content = Storage.TestImages.Ext4(size);
        await File.WriteAllBytesAsync(Path.Combine(_dir, name), content);
        return content;
    }

    [Fact]
    public async Task ImagePushWait_ThenList_CopiedToBothAndListed()
    {
        var content = await ImageFileAsync("root.img", 300_000);

        var push = await RunAsync("image", "push", "hnode-root", "--file", "root.img", "--pair", "p1", "--wait");

        Assert.True(push.Code == 0, push.Err);
        Assert.Matches("^job [0-9]+ queued: image-push\n", push.Out);
        Assert.Contains("succeeded", push.Out, StringComparison.Ordinal);
        Assert.Equal(content, _hosts.A().Files["/srv/fabric/images/hnode-root.img"]);
        var list = await RunAsync("image", "list");
        Assert.Matches("hnode-root +p1 +ext4 +300000 +[0-9a-f]{16} ", list.Out);
        var json = JsonDocument.Parse((await RunAsync("image", "list", "-o", "json")).Out).RootElement;
        Assert.Equal(300_000, json[0].GetProperty("sizeBytes").GetInt64());
        Assert.Equal("ext4", json[0].GetProperty("format").GetString());
    }

    [Theory]
    [InlineData(new[] { "image", "push", "x", "--file", "missing.img", "--pair", "p1" }, 2, "error: --file: no file 'missing.img'")]
    [InlineData(new[] { "image", "push", "x", "--file", "root.img", "--pair", "nowhere" }, 1, "error: pair: no storage node is in pair 'nowhere' (404)")]
    [InlineData(new[] { "volume", "create", "v1", "--pair", "p1", "--size", "lots" }, 2, "error: --size: 'lots' is not a size")]
    [InlineData(new[] { "volume", "create", "v1", "--pair", "p1", "--size", "1M", "--image", "missing" }, 1, "error: image: pair 'p1' has no image 'missing'")]
    [InlineData(new[] { "volume", "rm", "nothing" }, 1, "error: name: no volume named 'nothing' (404)")]
    [InlineData(new[] { "node", "add", "h1", "--mac", "52:54:00:00:0d:01", "--role", "hardware", "--image", "hnode-root" }, 1, "error: root: a hardware node needs a root")]
    public async Task Errors_BadInput_OneLineAndNonZeroExit(string[] args, int code, string start)
    {
        await ImageFileAsync("root.img", 10);

        var result = await RunAsync(args);

        Assert.Equal(code, result.Code);
        Assert.Equal("", result.Out);
        Assert.StartsWith(start, result.Err, StringComparison.Ordinal);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task VolumeCreateListRm_SizeInMegabytes_MadeListedRemoved()
    {
        var create = await RunAsync("volume", "create", "data1", "--pair", "p1", "--size", "256M", "--wait");

        Assert.True(create.Code == 0, create.Err);
        Assert.Contains(_hosts.B().Commands, c => c.Arguments.Contains("/srv/fabric/volumes/data1.img") && c.Arguments.Contains((256L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var list = await RunAsync("volume", "list");
        Assert.Matches("data1 +p1 +1 +256M +aoe-md:e1.1,e2.1 +-", list.Out);
        var json = JsonDocument.Parse((await RunAsync("volume", "list", "-o", "json")).Out).RootElement;
        Assert.Equal(256L << 20, json[0].GetProperty("sizeBytes").GetInt64());

        var rm = await RunAsync("volume", "rm", "data1", "--wait");

        Assert.True(rm.Code == 0, rm.Err);
        Assert.Contains("volume-remove", rm.Out, StringComparison.Ordinal);
        Assert.Empty(_host.Registry.ListVolumes());
    }

    [Fact]
    public async Task NodeAdd_HardwareWithPairAndImage_ProvisionedOnTheLabWords()
    {
        await ImageFileAsync("root.img", 8192);
        Assert.Equal(0, (await RunAsync("image", "push", "hnode-root", "--file", "root.img", "--pair", "p1", "--wait")).Code);

        var add = await RunAsync("node", "add", "hnode01", "--mac", "52:54:00:00:0d:01", "--role", "hardware", "--pair", "p1", "--image", "hnode-root", "--wait");

        Assert.True(add.Code == 0, add.Err);
        Assert.StartsWith("added hardware node hnode01: 52:54:00:00:0d:01; provisioning: its root is made by job ", add.Out, StringComparison.Ordinal);
        Assert.Contains("provision-root on hnode01", add.Out, StringComparison.Ordinal);
        var node = _host.Registry.FindNode("hnode01")!;
        Assert.Equal((NodeState.Registered, "aoe-md:e1.1,e2.1"), (node.State, node.Hardware!.Root!.ToString()));
        Assert.Null(node.Storage);
    }

    [Fact]
    public async Task NodeAdd_ProvisionJobFails_WaitExits1NodeFailed()
    {
        await ImageFileAsync("root.img", 8192);
        Assert.Equal(0, (await RunAsync("image", "push", "hnode-root", "--file", "root.img", "--pair", "p1", "--wait")).Code);
        _hosts.B().On(c => c.Arguments.Contains("/srv/fabric/volumes/hnode01-root.img") && c.Arguments[2].Contains("truncate", StringComparison.Ordinal), FakeReply.Fail(1, "No space left on device"));

        var add = await RunAsync("node", "add", "hnode01", "--mac", "52:54:00:00:0d:01", "--role", "hardware", "--pair", "p1", "--image", "hnode-root", "--wait");

        Assert.Equal(1, add.Code);
        Assert.Contains("No space left on device", add.Err, StringComparison.Ordinal);
        Assert.Equal(NodeState.Failed, _host.Registry.FindNode("hnode01")!.State);
        Assert.Empty(_host.Registry.ListVolumes());
    }
}
