using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Hosting;
using Fabric.Cli;
using Fabric.Core;
using Fabric.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fabric.Integration.Storage;

/// <summary>An NFS-root hardware node provisioned from a tar image on a pair of two real OpenSSH storage nodes, through a
/// real appliance and the <c>fabric</c> CLI. Each storage node's sshd runs in a network namespace the test makes, with a
/// private /run (as the lab's storage hosts), so the nfs-ganesha and rpcbind Fabric starts over SSH listen in that
/// namespace only; 127.0.0.1 ports are forwarded to the sshds. Every process in the namespaces is killed by PID, then the
/// namespaces are removed.</summary>
public sealed class NfsRootSshTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-nfs-root-").FullName;
    private readonly string[] _namespaces = [$"fnr-{Guid.NewGuid():N}"[..12], $"fnr-{Guid.NewGuid():N}"[..12]];
    private readonly List<SshdStorageNode> _nodes = [];
    private WebApplication _app = null!;
    private Uri _url = null!;
    private string _token = "";

    public async Task InitializeAsync()
    {
        foreach (var ns in _namespaces)
        {
            await Exec("ip", "netns", "add", ns);
            await Exec("ip", "-n", ns, "link", "set", "lo", "up");
        }

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
            var node = await SshdStorageNode.StartInNamespaceAsync(fabricKey, _namespaces[i - 1]);
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
        foreach (var ns in _namespaces)
        {
            foreach (var pid in await PidsAsync(ns))
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                    process.WaitForExit(10_000);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Gone already.
                }
            }
        }

        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        foreach (var ns in _namespaces)
        {
            await Exec("ip", "netns", "del", ns);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static async Task<string> Exec(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', command)}: {error}");
        return output;
    }

    private static async Task<List<int>> PidsAsync(string ns) =>
        [.. (await Exec("ip", "netns", "pids", ns)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The pid of the nfs-ganesha running in <paramref name="ns"/>, or null.</summary>
    private static async Task<int?> GaneshaPidAsync(string ns)
    {
        foreach (var pid in await PidsAsync(ns))
        {
            try
            {
                if ((await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).StartsWith("ganesha.nfsd", StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }
        }

        return null;
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

    /// <summary>A small root tree as a tar made with <c>--numeric-owner</c>: a file owned by uid/gid 1234, a symlink, a
    /// private folder.</summary>
    private async Task<string> TarImageAsync()
    {
        var tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        Directory.CreateDirectory(Path.Combine(tree, "home", "user"));
        Directory.CreateDirectory(Path.Combine(tree, "root"));
        await File.WriteAllTextAsync(Path.Combine(tree, "etc", "hostname"), "hnode\n");
        await File.WriteAllTextAsync(Path.Combine(tree, "home", "user", "notes"), "mine\n");
        await Exec("chown", "-R", "1234:1234", Path.Combine(tree, "home", "user"));
        await Exec("chmod", "700", Path.Combine(tree, "root"));
        File.CreateSymbolicLink(Path.Combine(tree, "etc", "name"), "hostname");
        var tar = Path.Combine(_dir, "hnode-root.tar");
        await Exec("tar", "--numeric-owner", "-C", tree, "-cf", tar, ".");
        return tar;
    }

    [Fact]
    public async Task NodeAdd_TarImage_NfsRootExtractedOnBothRealNodesExportedByTheirGaneshaRegistered()
    {
        var push = await Cli("image", "push", "hnode-nfs", "--file", await TarImageAsync(), "--pair", "lab", "--wait");
        Assert.True(push.Code == 0, push.Out + push.Err);
        Assert.Matches("hnode-nfs +lab +tar ", (await Cli("image", "list")).Out);

        var add = await Cli("node", "add", "hnode01", "--mac", "52:54:00:00:0d:01", "--role", "hardware", "--pair", "lab", "--image", "hnode-nfs", "--wait");

        Assert.True(add.Code == 0, add.Out + add.Err);
        var registry = _app.Services.GetRequiredService<IRegistry>();
        var folders = _nodes.Select(n => Path.Combine(Path.GetDirectoryName(n.StoragePath)!, "nfs", "hnode01-root")).ToList();
        var node = registry.FindNode("hnode01")!;
        Assert.Equal((NodeState.Registered, $"nfs:127.0.0.1:{folders[0]}"), (node.State, node.Hardware!.Root!.ToString()));
        for (int i = 0; i < 2; i++)
        {
            var folder = folders[i];
            Assert.Equal("hnode\n", await File.ReadAllTextAsync(Path.Combine(folder, "etc", "hostname")));
            Assert.Equal("hostname", new FileInfo(Path.Combine(folder, "etc", "name")).LinkTarget);
            Assert.Equal("1234:1234", (await Exec("stat", "-c", "%u:%g", Path.Combine(folder, "home", "user", "notes"))).Trim());
            Assert.Equal("700", (await Exec("stat", "-c", "%a", Path.Combine(folder, "root"))).Trim());
            Assert.False(Directory.Exists(folder + ".fabric-new"));
            Assert.Equal([folder], registry.FindNode($"stor{i + 1}")!.Storage!.NfsExports);

            var ganesha = await GaneshaPidAsync(_namespaces[i]);
            Assert.True(ganesha is not null, $"no ganesha.nfsd in {_namespaces[i]}");
            var config = await File.ReadAllTextAsync($"/proc/{ganesha}/root/run/fabric/ganesha.conf");
            Assert.Contains($"Path = \"{folder}\";", config, StringComparison.Ordinal);
            await WaitForAsync(async () => (await Exec("ip", "netns", "exec", _namespaces[i], "ss", "-Hltn", "sport", "=", ":2049")).Contains(":2049", StringComparison.Ordinal), "ganesha on 2049");
        }

        using var http = new HttpClient { BaseAddress = _url };
        var shown = (await http.GetFromJsonAsync<NodeDto>("/api/v1/nodes/stor1", FabricJson.Options))!;
        Assert.Equal([folders[0]], shown.NfsExports);
    }

    [Fact]
    public async Task NodeAdd_TarImageSecondNodeCannotHoldIt_NothingLeftOnTheFirstNodeFailed()
    {
        var push = await Cli("image", "push", "hnode-nfs", "--file", await TarImageAsync(), "--pair", "lab", "--wait");
        Assert.True(push.Code == 0, push.Out + push.Err);
        // The second node's NFS folder is a file: its copy of the root cannot be made there.
        await File.WriteAllTextAsync(Path.Combine(_nodes[1].Folder, "nfs"), "not a folder");

        var add = await Cli("node", "add", "hnode01", "--mac", "52:54:00:00:0d:01", "--role", "hardware", "--pair", "lab", "--image", "hnode-nfs", "--wait");

        Assert.Equal(1, add.Code);
        Assert.Contains("stor2 (127.0.0.1:", add.Err, StringComparison.Ordinal);
        var registry = _app.Services.GetRequiredService<IRegistry>();
        Assert.Equal(NodeState.Failed, registry.FindNode("hnode01")!.State);
        Assert.False(Directory.Exists(Path.Combine(_nodes[0].Folder, "nfs", "hnode01-root")));
        Assert.False(Directory.Exists(Path.Combine(_nodes[0].Folder, "nfs", "hnode01-root.fabric-new")));
        Assert.Empty(registry.FindNode("stor1")!.Storage!.NfsExports);
        Assert.Empty(registry.FindNode("stor2")!.Storage!.NfsExports);
        Assert.Null(await GaneshaPidAsync(_namespaces[0]));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }
}
