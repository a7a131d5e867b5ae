using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fabric.Appliance.Boot;
using Fabric.Appliance.Security;
using Fabric.Core;
using Fabric.Core.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Appliance.Tests.Api;

public sealed class BootEventsTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(
            new Dictionary<string, string?> { ["Fabric:BootTimeout"] = "00:05:00" },
            services => services.AddSingleton<TimeProvider>(_clock));
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });
        await _host.AddNodeAsync(new { name = "h2", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.2" });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient NodeClient(string node)
    {
        var client = new HttpClient { BaseAddress = _host.BaseAddress };
        var token = _host.App.Services.GetRequiredService<BootTokens>().For(node);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static Task<HttpResponseMessage> ReportAsync(HttpClient client, string node, string stage, string? message = null, double? uptime = null) =>
        client.PostAsJsonAsync($"/api/v1/nodes/{node}/boot-events", new { stage, message, uptimeSeconds = uptime });

    private NodeState State(string node) => _host.Registry.FindNode(node)!.State;

    [Fact]
    public async Task Report_ScriptThenInitramfsThenUp_BootingThenUpWithTimings()
    {
        using var node = NodeClient("h1");
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
        Assert.Equal(NodeState.Booting, State("h1"));

        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.NoContent, (await ReportAsync(node, "h1", "initramfs", "network up", 3.5)).StatusCode);
        Assert.Equal(NodeState.Booting, State("h1"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.NoContent, (await ReportAsync(node, "h1", "up", null, 14.2)).StatusCode);

        Assert.Equal(NodeState.Up, State("h1"));
        var events = (await _host.Registry.ListEventsAsync("h1")).Value!;
        var up = events.Single(e => e.Kind == EventKind.BootUp);
        Assert.Equal("node:h1", up.Actor);
        Assert.Contains("uptime 14.2 s", up.Message, StringComparison.Ordinal);
        Assert.Contains("30.0 s since the boot script", up.Message, StringComparison.Ordinal);
        Assert.Contains("from 127.0.0.1", up.Message, StringComparison.Ordinal);
        Assert.Contains("network up", events.Single(e => e.Kind == EventKind.BootInitramfs).Message, StringComparison.Ordinal);
    }

    private const string KeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    private const string KeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAyITDiP/YTvAjsQgLWIB6ayCHG5uLvEVPS9hlXchcb4";

    [Fact]
    public async Task Report_UpWithHostKeyNoneYet_UpAndKeyPinned()
    {
        using var node = NodeClient("h1");
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");

        var response = await node.PostAsJsonAsync("/api/v1/nodes/h1/boot-events", new { stage = "up", sshHostKey = KeyA + " root@h1" });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(NodeState.Up, State("h1"));
        Assert.Equal(KeyA, _host.Registry.FindNode("h1")!.Ssh.HostKey);
        var dto = await _host.Client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/nodes/h1");
        Assert.Equal(KeyA, dto.GetProperty("sshHostKey").GetString());
    }

    [Fact]
    public async Task Report_UpWithOtherHostKey_ConflictStateAndPinKeptMismatchRecorded()
    {
        using var node = NodeClient("h1");
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
        await _host.Registry.PinSshHostKeyAsync("h1", KeyA, Actor.Admin);

        var response = await node.PostAsJsonAsync("/api/v1/nodes/h1/boot-events", new { stage = "up", sshHostKey = KeyB });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("sshHostKey", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(NodeState.Booting, State("h1"));
        Assert.Equal(KeyA, _host.Registry.FindNode("h1")!.Ssh.HostKey);
        var events = (await _host.Registry.ListEventsAsync("h1")).Value!;
        Assert.Contains(events, e => e.Kind == EventKind.SshHostKeyMismatch && e.Actor == "node:h1");
        Assert.DoesNotContain(events, e => e.Kind == EventKind.BootUp);
    }

    [Theory]
    [InlineData("up", "ssh-ed25519 nonsense!")]
    [InlineData("initramfs", KeyA)]
    public async Task Report_BadHostKeyField_BadRequestNamingItNothingWritten(string stage, string key)
    {
        using var node = NodeClient("h1");
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");

        var response = await node.PostAsJsonAsync("/api/v1/nodes/h1/boot-events", new { stage, sshHostKey = key });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("sshHostKey", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(_host.Registry.FindNode("h1")!.Ssh.HostKey);
        Assert.Equal(NodeState.Booting, State("h1"));
    }

    [Fact]
    public async Task Report_Failed_FailedWithMessageInEvents()
    {
        using var node = NodeClient("h1");
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");

        await ReportAsync(node, "h1", "failed", "no AoE target e0.1 after 60 s");

        Assert.Equal(NodeState.Failed, State("h1"));
        var failed = (await _host.Registry.ListEventsAsync("h1")).Value![^1];
        Assert.Equal(EventKind.BootFailed, failed.Kind);
        Assert.Contains("no AoE target e0.1 after 60 s", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_AnotherNodesToken_401AndStateUnchanged()
    {
        using var other = NodeClient("h2");

        var response = await ReportAsync(other, "h1", "up");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(NodeState.Registered, State("h1"));
    }

    [Fact]
    public async Task Report_NoToken_401()
    {
        await ProblemAssert.IsProblemAsync(await ReportAsync(_host.Client, "h1", "up"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Report_NodeTokenOnAdminWrite_401()
    {
        using var node = NodeClient("h1");

        var response = await node.PatchAsJsonAsync("/api/v1/nodes/h1", new { state = "up" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Report_UnknownStage_400NamesStage()
    {
        using var node = NodeClient("h1");

        await ProblemAssert.IsProblemAsync(await ReportAsync(node, "h1", "dancing"), HttpStatusCode.BadRequest, "stage", "not a boot stage");
    }

    [Fact]
    public async Task Report_UnknownNodeWithAdminToken_404()
    {
        using var admin = _host.AdminClient();

        await ProblemAssert.IsProblemAsync(await ReportAsync(admin, "ghost", "up"), HttpStatusCode.NotFound, "name");
    }

    // With FakeTimeProvider the appliance's background sweeper also runs as the clock advances, so the node is failed by
    // it or by the explicit sweep (registry writes are serial: once the explicit sweep returns, either has happened).
    [Fact]
    public async Task Sweep_BootingPastTimeout_FailedWithTimeoutEvent()
    {
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
        var sweeper = _host.App.Services.GetRequiredService<BootTimeoutService>();

        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Empty(await sweeper.SweepAsync());
        Assert.Equal(NodeState.Booting, State("h1"));
        _clock.Advance(TimeSpan.FromMinutes(1));
        // The fake clock also wakes the appliance's own periodic sweep: whichever sweep runs first fails the node.
        await sweeper.SweepAsync();

        Assert.Equal(NodeState.Failed, State("h1"));
        Assert.Equal(NodeState.Registered, State("h2"));
        Assert.Single((await _host.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.BootTimeout);
    }

    [Fact]
    public async Task Sweep_NodeFetchingItsScriptAgainAndAgain_StillTimesOut()
    {
        var sweeper = _host.App.Services.GetRequiredService<BootTimeoutService>();
        for (int i = 0; i < 5; i++)
        {
            await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        // The periodic sweep (woken by the fake clock) or this one times the node out, once, although it kept asking.
        await sweeper.SweepAsync();
        Assert.Single((await _host.Registry.ListEventsAsync("h1")).Value!, e => e.Kind == EventKind.BootTimeout);
    }

    [Fact]
    public async Task Sweep_NodeReportedUp_NotFailed()
    {
        using var node = NodeClient("h1");
        await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
        await ReportAsync(node, "h1", "up");
        _clock.Advance(TimeSpan.FromHours(1));

        Assert.Empty(await _host.App.Services.GetRequiredService<BootTimeoutService>().SweepAsync());
        Assert.Equal(NodeState.Up, State("h1"));
    }
}
