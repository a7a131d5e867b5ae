using System.Net;
using System.Text.RegularExpressions;
using Fabric.Appliance.Pages;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Router;
using Fabric.Router.Drift;
using Fabric.Router.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Web;

/// <summary>A router's drift on the node page and the nodes table: "drift: N changes" linking to the plan, with the
/// changes listed on the node page, from the drift check against a router that keeps state; gone after an apply. Plain
/// HTTP with the sign-in cookie.</summary>
public sealed partial class RouterDriftPageTests : IAsyncLifetime
{
    private const string AdminToken = "router-drift-admin-token-0123456789";
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    private static readonly SshTarget RouterTarget = new("192.0.2.7", 22, "root", Pin);

    private readonly string _dataDir = Directory.CreateTempSubdirectory("fabric-web-drift-").FullName;
    private readonly FakeRouterHost _router = new FakeRouterHost(RouterTarget).WithLink("lo").WithLink("eth0").WithLink("eth1").WithLink("eth2");
    private WebApplicationFactory<IndexModel> _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<IndexModel>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("Fabric:DataDir", _dataDir);
            builder.UseSetting("Fabric:AdminToken", AdminToken);
            builder.UseSetting("Fabric:Router:CheckInterval", "00:00:01");
            builder.UseSetting("Fabric:Router:AutoApply", "false");
            builder.ConfigureTestServices(s => s.AddSingleton<IRemoteHosts>(new Hosts(_router)));
        });
        var registry = _factory.Services.GetRequiredService<IRegistry>();
        Assert.True((await registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Fabric.Core.Events.Actor.Admin)).Succeeded);
        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = "router1", Role = "router", Macs = ["52:54:00:00:09:01"], SshAddress = "192.0.2.7", SshHostKey = Pin }, Fabric.Core.Events.Actor.Admin)).Succeeded);
        Assert.True((await registry.AddNodeAsync(new NodeInput { Name = "web1", Role = "instance", Macs = ["0e:00:00:00:00:01"], Network = "pub1", Ip = "203.0.113.10" }, Fabric.Core.Events.Actor.Admin)).Succeeded);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task NodePageAndTable_RouterDriftedThenApplied_MarkWithLinkToThePlanThenGone()
    {
        using var client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var login = await client.GetStringAsync("/login");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["Token"] = AdminToken, ["__RequestVerificationToken"] = AntiforgeryField().Match(login).Groups[1].Value });
        Assert.Equal(HttpStatusCode.Redirect, (await client.PostAsync("/login", form)).StatusCode);
        var drift = _factory.Services.GetRequiredService<IRouterDrift>();

        // Never applied: every change of the plan is drift.
        await WaitForAsync(() => drift.Of("router1").Status == RouterDriftStatus.Drift, "the first drift");
        var count = drift.Of("router1").Changes.Count;
        var page = await client.GetStringAsync("/nodes/router1");
        var table = await client.GetStringAsync("/");

        Assert.Contains($"<a class=\"health health-drift\" href=\"/api/v1/routers/router1/plan\"", page, StringComparison.Ordinal);
        Assert.Contains($">drift: {count} changes</a>", page, StringComparison.Ordinal);
        Assert.Contains("<li class=\"mono\">add link eth1.100 (vlan 100, network pub1)</li>", page, StringComparison.Ordinal);
        Assert.Contains($">drift: {count} changes</a>", table, StringComparison.Ordinal);
        Assert.DoesNotContain("health-drift", await client.GetStringAsync("/nodes/web1"), StringComparison.Ordinal);

        var router = _factory.Services.GetRequiredService<IRegistry>().FindNode("router1")!;
        var plan = await RouterSync.PlanAsync(_router, RouterSync.Desired(_factory.Services.GetRequiredService<IRegistry>(), router), CancellationToken.None);
        await RouterSync.ApplyAsync(_router, plan.Actions, _ => { }, CancellationToken.None);
        await WaitForAsync(() => drift.Of("router1").Status == RouterDriftStatus.InSync, "in sync after the apply");

        Assert.DoesNotContain("health-drift", await client.GetStringAsync("/nodes/router1"), StringComparison.Ordinal);
        Assert.DoesNotContain("health-drift", await client.GetStringAsync("/"), StringComparison.Ordinal);

        // Removed by hand: marked again, with only what apply would put back.
        Assert.Equal(0, (await _router.RunAsync(RemoteCommand.Of("ip", "link", "del", "dev", "eth1.100"))).ExitCode);
        await WaitForAsync(() => drift.Of("router1").Status == RouterDriftStatus.Drift, "the drift after the removal");
        Assert.Contains("add link eth1.100 (vlan 100, network pub1)", await client.GetStringAsync("/nodes/router1"), StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private sealed class Hosts(FakeRouterHost router) : IRemoteHosts
    {
        public IRemoteHost For(SshTarget target) =>
            target == router.Target ? router : throw new RemoteHostException(RemoteFailure.Unreachable, target.ToString(), "no such host in the test");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
