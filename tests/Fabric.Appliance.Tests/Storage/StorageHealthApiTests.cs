using System.Net.Http.Json;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
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
        await _host.AddNodeAsync(new { name = "hnode01", mac = "52:54:00:00:0e:02", role = "hardware", root = "aoe-md:e0.1,e1.1" });
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
}
