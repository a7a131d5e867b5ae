using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Api;

public sealed class ApplianceEndpointsTests
{
    [Fact]
    public async Task Healthz_Ok()
    {
        await using var host = await ApplianceHost.StartAsync();

        var response = await host.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("ok", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApi_DocumentListsTheContract()
    {
        await using var host = await ApplianceHost.StartAsync();

        var json = JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json")).RootElement;

        var paths = json.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/nodes", paths);
        Assert.Contains("/api/v1/nodes/{name}", paths);
        Assert.Contains("/api/v1/nodes/{name}/events", paths);
        Assert.Contains("/api/v1/nodes/{name}/render/{template}", paths);
        Assert.Contains("/api/v1/networks", paths);
        Assert.Contains("/boot/{mac}.ipxe", paths);
        Assert.True(json.GetProperty("paths").GetProperty("/api/v1/nodes").TryGetProperty("post", out _));

        // Request bodies list their own fields and the node fields they share.
        var schemas = json.GetProperty("components").GetProperty("schemas");
        var create = schemas.GetProperty("CreateNodeRequest").GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        var patch = schemas.GetProperty("PatchNodeRequest").GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Subset(create.ToHashSet(), new HashSet<string> { "name", "mac", "macs", "role", "root", "aoeShelf" });
        Assert.Subset(patch.ToHashSet(), new HashSet<string> { "state", "macs", "role", "root", "labels" });
    }

    [Fact]
    public async Task Metrics_CountsRequestsAndNodes()
    {
        await using var host = await ApplianceHost.StartAsync();
        await host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });
        await host.Client.GetAsync("/api/v1/nodes");

        var text = await host.Client.GetStringAsync("/metrics");

        Assert.True(text.Contains("# TYPE fabric_http_requests_total counter", StringComparison.Ordinal), text);
        Assert.True(text.Contains("fabric_http_requests_total{method=\"GET\",route=\"/api/v1/nodes\",status=\"200\"} 1\n", StringComparison.Ordinal), text);
        Assert.Contains("fabric_http_requests_total{method=\"POST\",route=\"/api/v1/nodes\",status=\"201\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("fabric_nodes{state=\"registered\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Leases_LeaseViewRegistered_ListsLeases()
    {
        var lease = new Lease(IPAddress.Parse("10.0.0.150"), MacAddress.Parse("52:54:00:00:00:01"), "pxe", null, LeaseState.Bound,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1));
        await using var host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<ILeaseView>(new FixedLeases([lease])));

        var leases = await host.Client.GetFromJsonAsync<List<LeaseDto>>("/api/v1/leases", FabricJson.Options);

        var only = Assert.Single(leases!);
        Assert.Equal("10.0.0.150", only.Ip);
        Assert.Equal("52:54:00:00:00:01", only.Mac);
        Assert.Equal("bound", only.State);
    }

    [Fact]
    public async Task Directory_RegisteredForProtocolServers_FollowsWrites()
    {
        await using var host = await ApplianceHost.StartAsync();
        var directory = host.App.Services.GetRequiredService<IFabricDirectory>();

        await host.AddNetworkAsync(new { name = "boot", cidr = "10.0.0.0/24" });
        await host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "10.0.0.5" });

        Assert.Equal("h1", (await directory.FindNodeByMacAsync(MacAddress.Parse("52:54:00:00:00:01")))!.Name);
        Assert.Equal("h1", (await directory.FindNodeByIpAsync(IPAddress.Parse("10.0.0.5")))!.Name);
        Assert.Equal("boot", (await directory.FindNetworkAsync("boot"))!.Name);
    }

    private sealed class FixedLeases(IReadOnlyList<Lease> leases) : ILeaseView
    {
        public ValueTask<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(leases);
    }
}
