using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Router;

/// <summary>What keeps the router true, on a real appliance whose SSH pool is a router that keeps state: an instance
/// added through the API queues its own <c>router-apply</c>; a sub-interface removed by hand is drift (an event, the
/// metric) until <c>fabric router apply</c> repairs it; the operator's rules through the API and the CLI, bad input
/// refused naming the field. The web page's mark: <c>Web/RouterDriftPageTests</c>.</summary>
public sealed class RouterAutomationApiTests : IAsyncLifetime
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    private static readonly SshTarget RouterTarget = new("192.0.2.7", 22, "root", Pin);

    private readonly FakeRouterHost _router = new FakeRouterHost(RouterTarget).WithLink("lo").WithLink("eth0").WithLink("eth1").WithLink("eth2");
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Fabric:Router:CheckInterval"] = "00:00:01" },
            services: s => s.AddSingleton<IRemoteHosts>(new Hosts(_router)));
        _admin = _host.AdminClient();
        await _host.AddNetworkAsync(new { name = "pub1", cidr = "203.0.113.0/24", gateway = "203.0.113.1", vlan = 100, kind = "public" });
        await _host.AddNetworkAsync(new { name = "priv1", cidr = "10.20.0.0/24", gateway = "10.20.0.1", vlan = 200, kind = "private" });
        await _host.AddNodeAsync(new { name = "router1", mac = "52:54:00:00:09:01", role = "router", sshAddress = "192.0.2.7", sshHostKey = Pin });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task InstanceAdded_ApplyQueuedByItselfThenDriftByHandIsAnEventAndAMetricUntilApplied()
    {
        await _host.AddNodeAsync(new { name = "web1", mac = "0e:00:00:00:00:01", role = "instance", network = "pub1", ip = "203.0.113.10" });

        var auto = await WaitForJobAsync(j => j.Kind == "router-apply" && j.State == "succeeded", "the automatic apply");
        Assert.Equal("router1", auto.Node);
        Assert.Equal("appliance", auto.Actor);
        Assert.Equal("instance web1 added (203.0.113.10 on pub1)", auto.Arguments["reason"]);
        Assert.Equal(["203.0.113.10"], _router.Table!.Sets["vlan100_sources"]);
        var shown = await RunAsync("job", "show", auto.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("reason=instance web1 added (203.0.113.10 on pub1)", shown.Out, StringComparison.Ordinal);

        // The sub-interface removed by hand: drift, an event and the gauge; fabric router apply repairs it.
        Assert.Equal(0, (await _router.RunAsync(RemoteCommand.Of("ip", "link", "del", "dev", "eth1.100"))).ExitCode);
        await WaitForAsync(
            async () => (await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/router1/events", FabricJson.Options))!
                .Any(e => e.Kind == "router-drift" && e.Message.Contains("add link eth1.100", StringComparison.Ordinal)),
            "the router-drift event");
        await WaitForAsync(
            async () => Regex.IsMatch(await _host.Client.GetStringAsync("/metrics"), "fabric_router_drift_actions\\{router=\"router1\"\\} [1-9]"), "the drift gauge");

        var apply = await RunAsync("router", "apply", "router1", "--wait");
        Assert.Equal(0, apply.Code);
        await WaitForAsync(
            async () => (await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/router1/events", FabricJson.Options))!.Any(e => e.Kind == "router-in-sync"),
            "the router-in-sync event");
        await WaitForAsync(
            async () => Regex.IsMatch(await _host.Client.GetStringAsync("/metrics"), "fabric_router_drift_actions\\{router=\"router1\"\\} 0\n"), "the drift gauge at 0");
    }

    [Fact]
    public async Task Cli_AllowRulesDeny_ListedPlannedAndRemoved()
    {
        var allow = await RunAsync("router", "allow", "pub1", "priv1", "--proto", "tcp", "--port", "443");
        var again = await RunAsync("router", "allow", "pub1", "priv1", "--proto", "tcp", "--port", "443");
        var any = await RunAsync("router", "allow", "priv1", "pub1", "-o", "json");
        var rules = await RunAsync("router", "rules");
        var plan = await RunAsync("router", "plan", "router1", "-o", "json");
        var deny = await RunAsync("router", "deny", "pub1", "priv1", "--proto", "tcp", "--port", "443");
        var denyAgain = await RunAsync("router", "deny", "pub1", "priv1", "--proto", "tcp", "--port", "443");

        Assert.Equal((0, "allowed #1 pub1 -> priv1 tcp/443; `fabric router apply ROUTER` puts it on a router\n"), (allow.Code, allow.Out));
        Assert.Equal((0, allow.Out), (again.Code, again.Out));
        Assert.Equal("priv1", JsonDocument.Parse(any.Out).RootElement.GetProperty("from").GetString());
        Assert.Matches("(?m)^1 +pub1 +priv1 +tcp +443 *$", rules.Out);
        Assert.Matches("(?m)^2 +priv1 +pub1 +any +any *$", rules.Out);
        var commands = JsonDocument.Parse(plan.Out).RootElement.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("description").GetString()).ToList();
        Assert.Contains(commands, d => d!.StartsWith("create table inet fabric", StringComparison.Ordinal) && d.Contains("allow #1 pub1 -> priv1 tcp/443", StringComparison.Ordinal));
        Assert.Equal((0, "removed #1 pub1 -> priv1 tcp/443; `fabric router apply ROUTER` takes it off a router\n"), (deny.Code, deny.Out));
        Assert.Equal(1, denyAgain.Code);
        Assert.Equal("error: rule: no rule allows pub1 -> priv1 tcp/443 (404)\n", denyAgain.Err);
        Assert.Single((await RunAsync("router", "rules", "-o", "json")).Out.Split("\"id\"")[1..]);
    }

    [Theory]
    [InlineData("{\"from\":\"pub1\",\"to\":\"nope\"}", "to", "no network named 'nope'")]
    [InlineData("{\"from\":\"pub1\",\"to\":\"priv1\",\"protocol\":\"icmp\",\"port\":22}", "port", "a port needs protocol tcp or udp")]
    [InlineData("{\"from\":\"pub1\",\"to\":\"priv1\",\"port\":\"x\"}", "port", null)]
    public async Task PostRule_BadInput_ProblemNamingTheFieldAndNothingStored(string body, string field, string? reason)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await _admin.PostAsync("/api/v1/routers/rules", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = problem.RootElement.GetProperty("errors");
        var key = errors.EnumerateObject().Select(p => p.Name).Single(n => n.Equals(field, StringComparison.OrdinalIgnoreCase) || n.EndsWith("." + field, StringComparison.OrdinalIgnoreCase) || n.Contains(field, StringComparison.OrdinalIgnoreCase));
        if (reason is not null)
        {
            Assert.Equal(reason, errors.GetProperty(key)[0].GetString());
        }

        Assert.Equal("[]", await _host.Client.GetStringAsync("/api/v1/routers/rules"));
    }

    [Fact]
    public async Task PostRule_WithoutAToken_Unauthorized()
    {
        var response = await _host.Client.PostAsJsonAsync("/api/v1/routers/rules", new { from = "pub1", to = "priv1" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task<JobDto> WaitForJobAsync(Func<JobDto, bool> match, string what)
    {
        JobDto? found = null;
        await WaitForAsync(
            async () =>
            {
                var jobs = await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options);
                found = jobs!.FirstOrDefault(match);
                return found is not null;
            },
            what);
        return found!;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
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

    private sealed class Hosts(FakeRouterHost router) : IRemoteHosts
    {
        public IRemoteHost For(SshTarget target) =>
            target == router.Target ? router : throw new RemoteHostException(RemoteFailure.Unreachable, target.ToString(), "no such host in the test");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
