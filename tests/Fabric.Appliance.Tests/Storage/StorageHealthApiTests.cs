using System.Net.Http.Json;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Storage;

/// <summary>A storage node's health in the node JSON, the CLI's node list and the web page's node table, on a real
/// appliance whose SSH pool is <see cref="FakeRemoteHosts"/> (nothing leaves the process) checking every second.</summary>
public sealed class StorageHealthApiTests : IAsyncLifetime
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";

    private readonly FakeRemoteHosts _hosts = new();
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(
            new Dictionary<string, string?> { ["Fabric:Storage:CheckInterval"] = "00:00:01" },
            services => services.AddSingleton<IRemoteHosts>(_hosts));
        await _host.AddNodeAsync(new { name = "store1", mac = "52:54:00:00:0e:01", role = "storage", pair = "p1", aoeShelf = 1, sshAddress = "127.0.0.1", sshPort = 2201, sshHostKey = Pin });
        await _host.AddNodeAsync(new { name = "hnode01", mac = "52:54:00:00:0e:02", role = "hardware", root = "aoe-md:e0.1,e1.1", sshAddress = "127.0.0.1", sshPort = 2202, sshHostKey = Pin });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private FakeRemoteHost Store1 => _hosts.Host(new SshTarget("127.0.0.1", 2201, "root", Pin));

    private async Task<string?> HealthAsync(string node)
    {
        var json = await _host.Client.GetFromJsonAsync<JsonElement>($"/api/v1/nodes/{node}");
        return json.TryGetProperty("health", out var health) ? health.GetString() : null;
    }

    private async Task WaitForHealthAsync(string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? health;
        while ((health = await HealthAsync("store1")) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"store1 is still '{health}', not '{expected}'");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task GetNode_StorageNodeChecked_ShowsOkThenDownThenOk()
    {
        await WaitForHealthAsync("ok");

        Store1.FailEverything(new RemoteHostException(RemoteFailure.Unreachable, "root@127.0.0.1:2201", "cannot connect to 127.0.0.1:2201 after 1 attempt: Connection refused"));
        await WaitForHealthAsync("down");
        var list = await _host.Client.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes?role=storage", FabricJson.Options);
        Assert.Equal("down", Assert.Single(list!).Health);
        var events = await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/store1/events", FabricJson.Options);
        Assert.Contains(events!, e => e.Kind == "storage-down" && e.Message.Contains("Connection refused", StringComparison.Ordinal));

        Store1.On(_ => true, FakeReply.Ok());
        await WaitForHealthAsync("ok");
        var jobs = await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs?node=store1", FabricJson.Options);
        Assert.Contains(jobs!, j => j.Kind == "storage-sync");
    }

    [Fact]
    public async Task GetNode_HardwareNode_HasNoHealth()
    {
        await WaitForHealthAsync("ok");

        Assert.Null(await HealthAsync("hnode01"));
    }

    [Fact]
    public async Task Metrics_AfterChecks_CountsChecksAndNodesDown()
    {
        await WaitForHealthAsync("ok");

        var text = await _host.Client.GetStringAsync("/metrics");

        Assert.Contains("fabric_storage_checks", text, StringComparison.Ordinal);
        Assert.Contains("fabric_storage_nodes_down", text, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task CliNodeList_StorageNode_HealthColumn()
    {
        await WaitForHealthAsync("ok");

        var list = await CliAsync("node", "list");

        Assert.Equal(0, list.Code);
        Assert.Matches("(?m)^store1 +storage +registered +ok ", list.Out);
        Assert.Matches("(?m)^hnode01 +hardware +registered +- ", list.Out);
        Assert.Contains("health:", (await CliAsync("node", "show", "store1")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CliStorageRepair_DryRunWait_PrintsJobAndPlanExitsZero()
    {
        var hnode = _hosts.Host(new SshTarget("127.0.0.1", 2202, "root", Pin));
        hnode.On(c => c.ShellText == "cat /proc/mdstat", FakeReply.Ok(
            "Personalities : [raid1]\nmd0 : active raid1 etherd/e0.1[0]\n      261056 blocks super 1.2 [2/1] [U_]\n      bitmap: 1/1 pages [4KB], 65536KB chunk\n\nunused devices: <none>\n"));

        var repair = await CliAsync("storage", "repair", "hnode01", "--dry-run", "--wait");

        Assert.True(repair.Code == 0, repair.Out + repair.Err);
        var jobs = await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs?node=hnode01", FabricJson.Options);
        var job = Assert.Single(jobs!);
        Assert.Equal(("md-repair", "succeeded", "true"), (job.Kind, job.State, job.Arguments["dryRun"]));
        Assert.Equal(["cat /proc/mdstat", "mdadm --detail /dev/md0"], hnode.CommandLines);
    }

    [Fact]
    public async Task CliStorageRepair_NotMdRoot_JobFailsExitOne()
    {
        await _host.AddNodeAsync(new { name = "hnode02", mac = "52:54:00:00:0e:03", role = "hardware", root = "aoe:e0.2" });

        var repair = await CliAsync("storage", "repair", "hnode02", "--wait");

        Assert.Equal(1, repair.Code);
        var job = Assert.Single((await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs?node=hnode02", FabricJson.Options))!);
        Assert.Contains("no aoe-md root", job.Error, StringComparison.Ordinal);
    }
}
