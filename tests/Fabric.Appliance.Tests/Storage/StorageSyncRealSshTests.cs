using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Remote.Tests.Ssh;

namespace Fabric.Appliance.Tests.Storage;

/// <summary>The <c>storage-sync</c> job of a real appliance against a real OpenSSH server on 127.0.0.1 whose
/// authorized_keys entry for Fabric's key forces a command that first makes a marker file: the marker exists exactly
/// when Fabric got a session, i.e. ran something on the host.</summary>
public sealed class StorageSyncRealSshTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;
    private OpenSshServer _sshd = null!;
    private string _marker = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        _admin = _host.AdminClient();
        var fabricKey = (await _host.Client.GetStringAsync("/api/v1/ssh-key")).Trim();
        _marker = Path.Combine(Path.GetTempPath(), $"fabric-ran-{Guid.NewGuid():N}");
        _sshd = await OpenSshServer.StartAsync($"command=\"touch {_marker}; exec sh -c \\\"$SSH_ORIGINAL_COMMAND\\\"\" {fabricKey}");
    }

    public async Task DisposeAsync()
    {
        File.Delete(_marker);
        await _sshd.DisposeAsync();
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private Task<NodeDto> AddStorageNodeAsync(string name, int port, string hostKey, int shelf) => _host.AddNodeAsync(new
    {
        name,
        mac = $"52:54:00:00:0e:0{shelf}",
        role = "storage",
        pair = "p1",
        aoeShelf = shelf,
        sshAddress = "127.0.0.1",
        sshPort = port,
        sshUser = OpenSshServer.User,
        sshHostKey = hostKey,
        storagePath = Path.Combine(_sshd.Folder, "volumes"),
    });

    private async Task<JobDto> SyncAsync(string node)
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "storage-sync", node, arguments = new { dryRun = "true" } });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var job = (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (job.State is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {job.Id} is still {job.State}");
            await Task.Delay(100);
            job = (await _host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{job.Id}", FabricJson.Options))!;
        }

        return job;
    }

    [Fact]
    public async Task StorageSync_RightHostKey_RunsOnTheHost()
    {
        await AddStorageNodeAsync("s0", _sshd.Port, _sshd.HostKey, 0);

        var job = await SyncAsync("s0");

        Assert.True(job.State == "succeeded", job.Error);
        Assert.True(File.Exists(_marker), "the forced command never ran: the marker proves nothing");
    }

    [Fact]
    public async Task StorageSync_HostKeyMismatch_NothingRunsJobFailsAndEventRecorded()
    {
        var otherKey = await OpenSshServer.NewEd25519PublicKeyAsync();
        await AddStorageNodeAsync("s1", _sshd.Port, otherKey, 1);

        var job = await SyncAsync("s1");
        var events = await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/s1/events", FabricJson.Options);

        Assert.Equal("failed", job.State);
        Assert.Contains($"127.0.0.1:{_sshd.Port}", job.Error, StringComparison.Ordinal);
        Assert.Contains("host key", job.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(_marker), "a command ran on a host whose key did not match");
        Assert.Contains(events!, e => e.Kind == "ssh-host-key-mismatch" && e.Actor == $"job:{job.Id}");
        Assert.Equal(otherKey.Split(' ')[1], _host.Registry.FindNode("s1")!.Ssh.HostKey!.Split(' ')[1]);
    }

    [Fact]
    public async Task StorageSync_NothingListening_JobFailsWithAddressAndReasonAfterRetries()
    {
        int closed = OpenSshServer.FreePort();
        await AddStorageNodeAsync("s2", closed, _sshd.HostKey, 2);

        var job = await SyncAsync("s2");

        Assert.Equal("failed", job.State);
        Assert.Contains($"127.0.0.1:{closed}", job.Error, StringComparison.Ordinal);
        Assert.Contains("refused", job.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(_marker));
    }
}
