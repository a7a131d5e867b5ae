using System.Net;
using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;

namespace Fabric.Appliance.Tests.Storage;

/// <summary>The <c>storage-sync</c> job kind on a real appliance (its real SSH pool): registered, its arguments checked,
/// and a node without a pinned host key refused before any connection.</summary>
public sealed class StorageSyncJobTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        _admin = _host.AdminClient();
        await _host.AddNodeAsync(new { name = "s1", mac = "52:54:00:00:0d:01", role = "storage", pair = "p1", aoeShelf = 1, sshAddress = "127.0.0.1", sshPort = 9 });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Post_StorageSyncBadDryRun_BadRequestNamingIt()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "storage-sync", node = "s1", arguments = new { dryRun = "maybe" } });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "arguments.dryRun");
    }

    [Fact]
    public async Task Post_StorageSyncNodeWithoutHostKey_JobFailsSayingNotPinned()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "storage-sync", node = "s1", arguments = new { dryRun = "true" } });
        Assert.True(HttpStatusCode.Accepted == response.StatusCode, await response.Content.ReadAsStringAsync());
        var job = (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (job.State is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {job.Id} is still {job.State}");
            await Task.Delay(100);
            job = (await _host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{job.Id}", FabricJson.Options))!;
        }

        Assert.Equal("failed", job.State);
        Assert.Contains("127.0.0.1:9", job.Error, StringComparison.Ordinal);
        Assert.Contains("pin", job.Error, StringComparison.OrdinalIgnoreCase);
    }
}
