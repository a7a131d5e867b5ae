using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Remote.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Api;

/// <summary>The host key Fabric keeps for a router (root in RAM): fetched with the node's boot token at each boot, the
/// same every time, pinned once, so the router's <c>up</c> report after a reboot is accepted.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NodeHostKeyTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await _host.AddNodeAsync(new { name = "router1", mac = "52:54:00:00:09:01", role = "router", ip = "127.0.0.20" });
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient NodeClient(string node, string? token = null)
    {
        var client = new HttpClient { BaseAddress = _host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? _host.App.Services.GetRequiredService<BootTokens>().For(node));
        return client;
    }

    [Fact]
    public async Task GetHostKey_RouterBootsTwice_SameDropbearKeyPinnedOnceAndTheSecondUpAccepted()
    {
        using var router = NodeClient("router1");
        var published = new List<string>();
        for (int boot = 0; boot < 2; boot++)
        {
            // What the router's init does at each boot: the boot script, its host key, then "up" with the key's public line.
            await _host.Client.GetStringAsync("/boot/52:54:00:00:09:01.ipxe");
            var response = await router.GetAsync("/api/v1/nodes/router1/ssh-host-key");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            var file = Path.Combine(_host.DataDir, $"fetched-{boot}.dropbear");
            await File.WriteAllBytesAsync(file, await response.Content.ReadAsByteArrayAsync());
            var line = await DropbearPublicLineAsync(file);
            published.Add(line);

            var up = await router.PostAsJsonAsync("/api/v1/nodes/router1/boot-events", new { stage = "up", sshHostKey = line });
            Assert.True(up.StatusCode == HttpStatusCode.NoContent, $"boot {boot}: {await up.Content.ReadAsStringAsync()}");
            Assert.Equal(NodeState.Up, _host.Registry.FindNode("router1")!.State);
        }

        Assert.Equal(published[0], published[1]);
        var pinned = _host.Registry.FindNode("router1")!.Ssh.HostKey;
        Assert.StartsWith(pinned + " ", published[0], StringComparison.Ordinal);
        var events = (await _host.Registry.ListEventsAsync("router1")).Value!;
        Assert.Equal(EventKind.SshHostKeyPinned, Assert.Single(events, e => e.Kind == EventKind.SshHostKeyPinned || e.Kind == EventKind.SshHostKeyMismatch).Kind);
        Assert.Equal(2, events.Count(e => e.Kind == EventKind.BootUp));
        var keyFile = Path.Combine(_host.DataDir, NodeHostKeys.FolderName, "router1.dropbear");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var secret = Convert.ToBase64String(await File.ReadAllBytesAsync(keyFile));
        var shown = await _host.Client.GetStringAsync("/api/v1/nodes/router1");
        Assert.DoesNotContain(secret[^40..], shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetHostKey_NoTokenAdminTokenOrAnotherNodesToken_401AndNoKeyMade()
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        using var other = NodeClient("h1");

        var responses = new[]
        {
            await anonymous.GetAsync("/api/v1/nodes/router1/ssh-host-key"),
            await _host.Client.GetAsync("/api/v1/nodes/router1/ssh-host-key"),
            await other.GetAsync("/api/v1/nodes/router1/ssh-host-key"),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Contains("boot token of node 'router1'", await responses[2].Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_host.DataDir, NodeHostKeys.FolderName)));
        Assert.Null(_host.Registry.FindNode("router1")!.Ssh.HostKey);
    }

    [Fact]
    public async Task GetHostKey_HardwareNode_404NamingRoleAndItsInitKeepsItsOwn()
    {
        using var node = NodeClient("h1");

        var response = await node.GetAsync("/api/v1/nodes/h1/ssh-host-key");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"role\"", body, StringComparison.Ordinal);
        Assert.Contains("keeps its own host key", body, StringComparison.Ordinal);
        Assert.Null(_host.Registry.FindNode("h1")!.Ssh.HostKey);
    }

    /// <summary>The public key line the real <c>dropbearkey -y</c> prints for a host key file, as the router's init
    /// reports it.</summary>
    private static async Task<string> DropbearPublicLineAsync(string path)
    {
        var info = new ProcessStartInfo("dropbearkey", ["-y", "-f", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"dropbearkey -y: {error}");
        return output.Split('\n').Single(l => l.StartsWith("ecdsa-sha2-", StringComparison.Ordinal)).Trim();
    }
}
