using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fabric.Api.Contracts;
using Fabric.Appliance.Hosting;
using Fabric.Cli;
using Fabric.Registry;
using Fabric.Registry.Images;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fabric.Integration.Storage;

/// <summary>Images and volumes on a pair of two real OpenSSH storage nodes (two sshd on 127.0.0.1, each with its own host
/// key and its own storage and image folders), driven through a real appliance and the <c>fabric</c> CLI with Fabric's own
/// SSH key. The exports are real vblade processes on the loopback interface (AoE frames never leave the machine), their pid
/// files in each node's folder; everything the test starts is killed by PID at the end.</summary>
public sealed class StoragePairSshTests : IAsyncLifetime
{
    private const int ImageBytes = 4 << 20;
    private const long VolumeBytes = 64L << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-storage-pair-").FullName;
    private readonly List<SshdStorageNode> _nodes = [];
    private WebApplication _app = null!;
    private Uri _url = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Fabric:DataDir"] = Path.Combine(_dir, "data"),
            ["Fabric:BootDir"] = Path.Combine(_dir, "boot"),
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        Assert.Empty(builder.AddFabricAppliance());
        _app = builder.Build();
        _app.MapFabricAppliance();
        await _app.StartAsync();
        _url = new Uri(_app.Urls.First());
        _token = (await File.ReadAllTextAsync(Path.Combine(_dir, "data", "admin.token"))).Trim();

        using var http = new HttpClient { BaseAddress = _url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        var fabricKey = (await http.GetStringAsync("/api/v1/ssh-key")).Trim();
        for (int i = 1; i <= 2; i++)
        {
            var node = await SshdStorageNode.StartAsync(fabricKey);
            _nodes.Add(node);
            var add = await Cli("node", "add", $"stor{i}", "--mac", $"52:54:00:00:0c:0{i}", "--role", "storage", "--shelf", $"{i}", "--pair", "lab",
                "--ssh-address", "127.0.0.1", "--ssh-port", $"{node.Port}", "--ssh-user", Environment.UserName, "--ssh-host-key", node.HostKey,
                "--storage-path", node.StoragePath, "--image-path", node.ImagePath, "--aoe-interface", "lo");
            Assert.True(add.Code == 0, add.Err);
        }
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _url.ToString(), ["FABRIC_TOKEN"] = _token };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, _dir);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        int code = await CliApp.RunAsync(args, environment, limit.Token);
        return (code, output.ToString(), error.ToString());
    }

    private static string Sha256Of(string file, long length = -1)
    {
        using var stream = File.OpenRead(file);
        if (length < 0)
        {
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return Convert.ToHexStringLower(SHA256.HashData(buffer));
    }

    private static async Task<long> AllocatedBytesAsync(string file)
    {
        var fields = (await SshdStorageNode.RunAsync("stat", "-c", "%b %B", file)).Trim().Split(' ');
        return long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ImagePushThenVolumeCreate_TwoRealSshNodes_SameImageSparseVolumesExportedRecorded()
    {
        var image = Path.Combine(_dir, "hnode-root.img");
        var content = new byte[ImageBytes];
        RandomNumberGenerator.Fill(content.AsSpan(0, 256 << 10));
        content[1080] = 0x53; // the ext4 superblock magic: the appliance takes only ext4 images and tars
        content[1081] = 0xEF;
        await File.WriteAllBytesAsync(image, content);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));

        var push = await Cli("image", "push", "hnode-root", "--file", image, "--pair", "lab", "--wait");

        Assert.True(push.Code == 0, push.Out + push.Err);
        foreach (var node in _nodes)
        {
            var copy = Path.Combine(node.ImagePath, "hnode-root.img");
            Assert.Equal(ImageBytes, new FileInfo(copy).Length);
            Assert.Equal(sha, Sha256Of(copy));
            Assert.Equal($"{sha}  hnode-root.img\n", await File.ReadAllTextAsync(copy + ".sha256"));
        }

        var recorded = Assert.Single(_app.Services.GetRequiredService<IImageStore>().List());
        Assert.Equal(("hnode-root", "lab", (long)ImageBytes, sha), (recorded.Name, recorded.Pair, recorded.SizeBytes, recorded.Sha256));

        var again = await Cli("image", "push", "hnode-root", "--file", image, "--pair", "lab", "--wait");
        Assert.True(again.Code == 0, again.Out + again.Err);
        var againId = System.Text.RegularExpressions.Regex.Match(again.Out, "^job ([0-9]+) ").Groups[1].Value;
        using (var reader = new HttpClient { BaseAddress = _url })
        {
            var againJob = (await reader.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{againId}", FabricJson.Options))!;
            Assert.Equal(2, againJob.Log!.Count(l => l.Line.Contains("not sent again", StringComparison.Ordinal)));
        }

        var create = await Cli("volume", "create", "data1", "--pair", "lab", "--size", "64M", "--image", "hnode-root", "--wait");

        Assert.True(create.Code == 0, create.Out + create.Err);
        var shelf = 0;
        foreach (var node in _nodes)
        {
            shelf++;
            var volume = Path.Combine(node.StoragePath, "data1.img");
            Assert.Equal(VolumeBytes, new FileInfo(volume).Length);
            Assert.Equal(sha, Sha256Of(volume, ImageBytes));
            Assert.True(await AllocatedBytesAsync(volume) < 16 << 20, $"{volume} is sparse");
            Assert.False(File.Exists(volume + ".fabric-new"));
            Assert.NotNull(node.ExportPid(shelf, 1));
        }

        var registry = _app.Services.GetRequiredService<IRegistry>();
        var recordedVolume = Assert.Single(registry.ListVolumes());
        Assert.Equal(("data1", 1, VolumeBytes), (recordedVolume.Name, recordedVolume.Slot, recordedVolume.SizeBytes));
        Assert.Equal(
            [Path.Combine(_nodes[0].StoragePath, "data1.img"), Path.Combine(_nodes[1].StoragePath, "data1.img")],
            recordedVolume.Copies.OrderBy(c => c.Node, StringComparer.Ordinal).Select(c => c.BackingPath));
        using var http = new HttpClient { BaseAddress = _url };
        var listed = Assert.Single((await http.GetFromJsonAsync<List<PairVolumeDto>>("/api/v1/volumes", FabricJson.Options))!);
        Assert.Equal("aoe-md:e1.1,e2.1", listed.Root);
    }

    [Fact]
    public async Task VolumeCreate_SecondNodeCannotHoldIt_FirstCopyRemovedNothingRecorded()
    {
        // The second node's storage folder is a file: its copy cannot be made there.
        await File.WriteAllTextAsync(Path.Combine(_nodes[1].Folder, "blocked"), "not a folder");
        var registry = _app.Services.GetRequiredService<IRegistry>();
        var moved = await registry.UpdateNodeAsync("stor2", new NodeInput { StoragePath = Path.Combine(_nodes[1].Folder, "blocked", "volumes") }, Fabric.Core.Events.Actor.Admin);
        Assert.True(moved.Succeeded, moved.Error?.ToString());

        var create = await Cli("volume", "create", "data1", "--pair", "lab", "--size", "8M", "--wait");

        Assert.Equal(1, create.Code);
        Assert.Contains("stor2 (127.0.0.1:", create.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_nodes[0].StoragePath, "data1.img")));
        Assert.False(File.Exists(Path.Combine(_nodes[0].StoragePath, "data1.img.fabric-new")));
        Assert.Empty(registry.ListVolumes());
        Assert.Empty(registry.ListReservations());
        Assert.Null(_nodes[0].ExportPid(1, 1));
    }
}
