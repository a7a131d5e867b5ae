using System.Net;
using System.Net.Http.Json;
using Fabric.Api.Contracts;

namespace Fabric.Appliance.Tests.Api;

public sealed class NetworksApiTests : IAsyncLifetime
{
    private static readonly string[] BootDns = ["10.0.0.1"];

    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        _admin = _host.AdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task PostNetwork_IssueExample_CreatedAndListed()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/networks", new
        {
            name = "boot",
            cidr = "10.0.0.0/24",
            gateway = "10.0.0.1",
            dns = BootDns,
            poolStart = "10.0.0.100",
            poolEnd = "10.0.0.200",
            vlan = (int?)null,
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var one = await _host.Client.GetFromJsonAsync<NetworkDto>("/api/v1/networks/boot", FabricJson.Options);
        var all = await _host.Client.GetFromJsonAsync<List<NetworkDto>>("/api/v1/networks", FabricJson.Options);
        Assert.Equal("10.0.0.0/24", one!.Cidr);
        Assert.Equal("10.0.0.100", one.PoolStart);
        Assert.Equal(["10.0.0.1"], one.Dns);
        Assert.Equal("boot", Assert.Single(all!).Name);
    }

    [Fact]
    public async Task PostNetwork_BadFields_400ListsThem()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/networks", new { name = "boot", cidr = "10.0.0.0/24", gateway = "192.168.1.1", vlan = 9999 });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "gateway");
        Assert.True(problem.GetProperty("errors").TryGetProperty("vlan", out _));
    }

    [Fact]
    public async Task PostNetwork_Duplicate_409()
    {
        await _host.AddNetworkAsync(new { name = "boot", cidr = "10.0.0.0/24" });

        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/api/v1/networks", new { name = "boot", cidr = "10.1.0.0/24" }), HttpStatusCode.Conflict, "name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsJsonAsync("/api/v1/networks", new { name = "other", cidr = "10.0.0.128/25" }), HttpStatusCode.Conflict, "cidr");
    }

    [Fact]
    public async Task DeleteNetwork_WithNodesThenEmpty_409Then204()
    {
        await _host.AddNetworkAsync(new { name = "boot", cidr = "10.0.0.0/24" });
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", network = "boot" });

        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/networks/boot"), HttpStatusCode.Conflict, "name");
        await _admin.DeleteAsync("/api/v1/nodes/h1");
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/v1/networks/boot")).StatusCode);
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/networks/boot"), HttpStatusCode.NotFound, "name");
    }

    [Fact]
    public async Task Leases_NoDhcp_EmptyList()
    {
        var leases = await _host.Client.GetFromJsonAsync<List<LeaseDto>>("/api/v1/leases", FabricJson.Options);

        Assert.Empty(leases!);
    }
}
