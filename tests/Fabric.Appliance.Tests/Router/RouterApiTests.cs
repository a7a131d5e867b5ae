using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Router.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Router;

/// <summary><c>/api/v1/routers/{name}/plan|apply</c> and <c>fabric router plan|apply</c> on a real appliance whose SSH
/// pool is replaced by a router that keeps state (and by one that cannot be reached).</summary>
public sealed class RouterApiTests : IAsyncLifetime
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    private static readonly SshTarget RouterTarget = new("192.0.2.7", 22, "root", Pin);
    private static readonly SshTarget DeadTarget = new("192.0.2.9", 22, "root", Pin);

    private readonly FakeRouterHost _router = new FakeRouterHost(RouterTarget).WithLink("lo").WithLink("eth0").WithLink("eth1").WithLink("eth2");
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        var dead = new FakeRemoteHost(DeadTarget).FailEverything(new RemoteHostException(RemoteFailure.Unreachable, DeadTarget.ToString(), "connection timed out"));
        // Plan and apply by hand only: the instance added below would otherwise queue its own apply, and a drift check
        // could read the routers in between (both in RouterAutomationApiTests).
        _host = await ApplianceHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Fabric:Router:AutoApply"] = "false", ["Fabric:Router:CheckInterval"] = "01:00:00" },
            services: s => s.AddSingleton<IRemoteHosts>(new Hosts(_router, dead)));
        _admin = _host.AdminClient();
        await _host.AddNetworkAsync(new { name = "pub1", cidr = "203.0.113.0/24", gateway = "203.0.113.1", vlan = 100, kind = "public" });
        await _host.AddNodeAsync(new { name = "router1", mac = "52:54:00:00:09:01", role = "router", sshAddress = "192.0.2.7", sshHostKey = Pin });
        await _host.AddNodeAsync(new { name = "router2", mac = "52:54:00:00:09:02", role = "router", sshAddress = "192.0.2.9", sshHostKey = Pin, trunkInterface = "ens4" });
        await _host.AddNodeAsync(new { name = "web1", mac = "0e:00:00:00:00:01", role = "instance", network = "pub1", ip = "203.0.113.10" });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task GetPlan_NewRouter_ListsTheChangesAndChangesNothing()
    {
        var plan = await _admin.GetFromJsonAsync<RouterPlanDto>("/api/v1/routers/router1/plan", FabricJson.Options);

        Assert.Equal("router1", plan!.Router);
        Assert.Equal(["add-link", "add-addr", "set-sysctl", "set-sysctl", "set-sysctl", "replace-table"], plan.Changes.Select(c => c.Kind));
        Assert.Equal("ip link add link eth1 name eth1.100 type vlan id 100", plan.Changes[0].Commands[0]);
        Assert.Empty(_router.Changes);
    }

    [Fact]
    public async Task PostApply_TwiceWaitingForEach_SecondLogsNoChangesAndThePlanIsEmpty()
    {
        var first = await ApplyAndWaitAsync("router1");
        var second = await ApplyAndWaitAsync("router1");
        var plan = await _admin.GetFromJsonAsync<RouterPlanDto>("/api/v1/routers/router1/plan", FabricJson.Options);

        Assert.Equal("succeeded", first.State);
        Assert.Contains(first.Log!, l => l.Line == "router1: add link eth1.100 (vlan 100, network pub1)");
        Assert.Equal("succeeded", second.State);
        Assert.Contains(second.Log!, l => l.Line == "router1: no changes");
        Assert.Empty(plan!.Changes);
        Assert.Equal(["203.0.113.10"], _router.Table!.Sets["vlan100_sources"]);
    }

    [Fact]
    public async Task PostApply_UnreachableRouter_JobFailsWithTheAddressAndTheRegistryIsUnchanged()
    {
        var before = await _host.Client.GetStringAsync("/api/v1/nodes/router2");
        var events = await _host.Client.GetStringAsync("/api/v1/nodes/router2/events");

        var job = await ApplyAndWaitAsync("router2");

        Assert.Equal("failed", job.State);
        Assert.Equal("root@192.0.2.9:22: connection timed out", job.Error);
        Assert.Equal(before, await _host.Client.GetStringAsync("/api/v1/nodes/router2"));
        Assert.Equal(events, await _host.Client.GetStringAsync("/api/v1/nodes/router2/events"));
    }

    [Fact]
    public async Task GetPlan_UnreachableRouter_BadGatewayWithTheReason()
    {
        var response = await _admin.GetAsync("/api/v1/routers/router2/plan");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadGateway);
        Assert.Contains("192.0.2.9:22: connection timed out", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nothere")]
    [InlineData("web1")]
    public async Task PlanAndApply_NotARouter_NotFoundNamingName(string name)
    {
        await ProblemAssert.IsProblemAsync(await _admin.GetAsync($"/api/v1/routers/{name}/plan"), HttpStatusCode.NotFound, "name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsync($"/api/v1/routers/{name}/apply", null), HttpStatusCode.NotFound, "name");
    }

    [Fact]
    public async Task PlanAndApply_WithoutTheAdminToken_Unauthorized()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _host.Client.GetAsync("/api/v1/routers/router1/plan")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _host.Client.PostAsync("/api/v1/routers/router1/apply", null)).StatusCode);
        Assert.Empty(_router.Changes);
    }

    [Fact]
    public async Task Cli_PlanApplyWaitPlan_ChangesThenNoChanges()
    {
        var plan = await RunAsync("router", "plan", "router1");
        var json = await RunAsync("router", "plan", "router1", "-o", "json");
        var apply = await RunAsync("router", "apply", "router1", "--wait");
        var again = await RunAsync("router", "apply", "router1", "--wait");
        var after = await RunAsync("router", "plan", "router1");

        Assert.Equal(0, plan.Code);
        Assert.StartsWith("router1: 6 changes\n  add link eth1.100 (vlan 100, network pub1)\n", plan.Out, StringComparison.Ordinal);
        Assert.Equal(6, JsonDocument.Parse(json.Out).RootElement.GetProperty("changes").GetArrayLength());
        Assert.Equal((0, ""), (apply.Code, apply.Err));
        Assert.EndsWith("\nrouter1: 6 changes\n", apply.Out, StringComparison.Ordinal);
        Assert.Equal(0, again.Code);
        Assert.EndsWith("\nrouter1: no changes\n", again.Out, StringComparison.Ordinal);
        Assert.Equal((0, "router1: no changes\n"), (after.Code, after.Out));
    }

    [Fact]
    public async Task Cli_UnreachableOrUnknown_OneLineErrorAndNonZeroExit()
    {
        var unreachable = await RunAsync("router", "plan", "router2");
        var failed = await RunAsync("router", "apply", "router2", "--wait");
        var unknown = await RunAsync("router", "plan", "nothere");

        Assert.Equal(1, unreachable.Code);
        Assert.Contains("connection timed out", unreachable.Err, StringComparison.Ordinal);
        Assert.Single(unreachable.Err.Trim().Split('\n'));
        Assert.Equal(1, failed.Code);
        Assert.Contains("failed: root@192.0.2.9:22: connection timed out", failed.Err, StringComparison.Ordinal);
        Assert.Equal(1, unknown.Code);
        Assert.Contains("no router named 'nothere'", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_NetworkAddKindAndNodeAddTrunkUplink_ShownAndRefusedNamingTheField()
    {
        var bad = await RunAsync("network", "add", "dmz", "--cidr", "198.51.100.0/24", "--kind", "dmz");
        var noVlan = await RunAsync("network", "add", "priv1", "--cidr", "10.20.0.0/24", "--kind", "private", "--gateway", "10.20.0.1");
        var add = await RunAsync("network", "add", "priv1", "--cidr", "10.20.0.0/24", "--kind", "private", "--gateway", "10.20.0.1", "--vlan", "200");
        var show = await RunAsync("network", "show", "priv1");
        var node = await RunAsync("node", "add", "router3", "--mac", "52:54:00:00:09:03", "--role", "router", "--trunk", "ens4", "--uplink", "ens5", "-o", "json");
        var badTrunk = await RunAsync("node", "add", "router4", "--mac", "52:54:00:00:09:04", "--role", "router", "--trunk", "ens4.7");

        Assert.Equal(1, bad.Code);
        Assert.Contains("kind", bad.Err, StringComparison.Ordinal);
        Assert.Equal(1, noVlan.Code);
        Assert.Contains("vlan", noVlan.Err, StringComparison.Ordinal);
        Assert.Equal(0, add.Code);
        Assert.Matches("(?m)^kind: +private$", show.Out);
        Assert.Equal(0, node.Code);
        var parsed = JsonDocument.Parse(node.Out).RootElement;
        Assert.Equal("ens4", parsed.GetProperty("trunkInterface").GetString());
        Assert.Equal("ens5", parsed.GetProperty("uplinkInterface").GetString());
        Assert.Equal(1, badTrunk.Code);
        Assert.Contains("trunkInterface", badTrunk.Err, StringComparison.Ordinal);
        Assert.Matches("(?m)^pub1 +public +203.0.113.0/24 ", (await RunAsync("network", "list")).Out);
    }

    private async Task<JobDto> ApplyAndWaitAsync(string router)
    {
        var response = await _admin.PostAsync($"/api/v1/routers/{router}/apply", null);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var job = (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
        Assert.Equal("router-apply", job.Kind);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (job.State is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {job.Id} is still {job.State}");
            await Task.Delay(100);
            job = (await _host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{job.Id}", FabricJson.Options))!;
        }

        return job;
    }

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    private sealed class Hosts(FakeRouterHost router, FakeRemoteHost dead) : IRemoteHosts
    {
        public IRemoteHost For(SshTarget target) =>
            target == router.Target ? router : target == dead.Target ? dead : throw new RemoteHostException(RemoteFailure.Unreachable, target.ToString(), "no such host in the test");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
