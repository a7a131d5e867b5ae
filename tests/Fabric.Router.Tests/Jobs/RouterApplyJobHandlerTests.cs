using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Router.Jobs;
using Fabric.Router.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Router.Tests.Jobs;

/// <summary>The <c>router-apply</c> job against a registry on disk and a router that keeps state.</summary>
public sealed class RouterApplyJobHandlerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-router-jobs-").FullName;
    private readonly IRegistry _registry;
    private readonly SshTarget _target = new("192.0.2.7", 2222, "root", Fixtures.Pin);

    public RouterApplyJobHandlerTests() => _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));

    public void Dispose()
    {
        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task AddRegistryAsync()
    {
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Actor.Admin)).Succeeded);
        var router = await _registry.AddNodeAsync(
            new NodeInput { Name = "router1", Role = "router", Macs = ["52:54:00:00:09:01"], SshAddress = "192.0.2.7", SshPort = 2222, SshHostKey = Fixtures.Pin }, Actor.Admin);
        Assert.True(router.Succeeded, router.Error?.ToString());
        var web = await _registry.AddNodeAsync(new NodeInput { Name = "web1", Role = "instance", Macs = ["0e:00:00:00:00:01"], Network = "pub1", Ip = "203.0.113.10" }, Actor.Admin);
        Assert.True(web.Succeeded, web.Error?.ToString());
    }

    [Fact]
    public async Task RunAsync_TwiceOnANewRouter_FirstAppliesSecondSaysNoChanges()
    {
        await AddRegistryAsync();
        var router = new FakeRouterHost(_target).WithLink("lo").WithLink("eth1").WithLink("eth2");
        var handler = new RouterApplyJobHandler(_registry, new Hosts(router));

        var first = new FakeJobContext();
        await handler.RunAsync(first);
        var second = new FakeJobContext();
        await handler.RunAsync(second);

        Assert.Contains("router1: add link eth1.100 (vlan 100, network pub1)", first.Lines);
        Assert.Contains("router1: 6 changes", first.Lines);
        Assert.Equal("router1: no changes", second.Lines[^1]);
        Assert.Equal(["router1: read", "router1: diff", "router1: no changes"], second.Lines.Select(l => l.Split(" 0.")[0]));
        Assert.Equal(["203.0.113.10"], router.Table!.Sets["vlan100_sources"]);
    }

    [Fact]
    public async Task RunAsync_FakeClockMovedByEachRoundTrip_LogsEachPhaseWithItsDurationThenASummaryAndReportsProgress()
    {
        await AddRegistryAsync();
        var time = new FakeTimeProvider();
        var router = new FakeRouterHost(_target).WithLink("lo").WithLink("eth1").WithLink("eth2");
        router.OnRoundTrip = what => time.Advance(what switch
        {
            "read" => TimeSpan.FromMilliseconds(500),
            "run" => TimeSpan.FromSeconds(3),
            _ => TimeSpan.FromMilliseconds(200),
        });
        var context = new FakeJobContext();

        await new RouterApplyJobHandler(_registry, new Hosts(router), time: time).RunAsync(context);

        string[] phases = ["router1: read 0.50 s", "router1: diff 0.00 s", "router1: 6 changes", "router1: upload 0.20 s"];
        Assert.Equal(phases, context.Lines.Take(4));
        Assert.Equal("router1: add link eth1.100 (vlan 100, network pub1)", context.Lines[4]);
        Assert.Equal("router1: apply 3.00 s", context.Lines[^2]);
        Assert.Equal("router1: read 0.50 s, diff 0.00 s, 6 changes, upload 0.20 s, apply 3.00 s", context.Lines[^1]);
        Assert.Equal(1, router.ScriptRuns);
        Assert.Equal(["plan", "apply"], context.Steps);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => new JobProgress(i, 6, "changes")), context.Reports);
    }

    [Fact]
    public async Task RunAsync_RouterUnreachable_FailsWithTheAddressAndTheRegistryIsUnchanged()
    {
        await AddRegistryAsync();
        var hosts = new FakeRemoteHosts();
        hosts.Host(_target).FailEverything(new RemoteHostException(RemoteFailure.Unreachable, _target.ToString(), "connection refused"));
        var before = (await _registry.ListEventsAsync("router1")).Value!.Count;
        var routerBefore = _registry.FindNode("router1");

        var e = await Assert.ThrowsAsync<JobFailedException>(() => new RouterApplyJobHandler(_registry, hosts).RunAsync(new FakeJobContext()));

        Assert.Equal("root@192.0.2.7:2222: connection refused", e.Message);
        Assert.Equal(before, (await _registry.ListEventsAsync("router1")).Value!.Count);
        Assert.Equal(routerBefore, _registry.FindNode("router1"));
    }

    [Fact]
    public async Task RunAsync_HostKeyMismatch_RecordsTheEventAndFails()
    {
        await AddRegistryAsync();
        var hosts = new FakeRemoteHosts();
        hosts.Host(_target).FailEverything(new HostKeyMismatchException(_target.ToString(), HostKey.Parse(Fixtures.Pin), "ssh-ed25519", "SHA256:other"));

        var e = await Assert.ThrowsAsync<JobFailedException>(() => new RouterApplyJobHandler(_registry, hosts).RunAsync(new FakeJobContext()));

        Assert.Contains("host key mismatch", e.Message, StringComparison.Ordinal);
        var events = (await _registry.ListEventsAsync("router1")).Value!;
        Assert.Equal(EventKind.SshHostKeyMismatch, events[^1].Kind);
    }

    [Fact]
    public async Task RunAsync_NotARouter_FailsNamingTheRole()
    {
        await AddRegistryAsync();

        var e = await Assert.ThrowsAsync<JobFailedException>(() => new RouterApplyJobHandler(_registry, new FakeRemoteHosts()).RunAsync(new FakeJobContext("web1")));

        Assert.Equal("node 'web1' is a instance node; router-apply runs on routers", e.Message);
    }

    [Fact]
    public void Validate_AnyArgument_NamedAsAnError()
    {
        var errors = new RouterApplyJobHandler(_registry, new FakeRemoteHosts()).Validate(new Dictionary<string, string> { ["dryRun"] = "true" });

        Assert.Equal("arguments.dryRun", Assert.Single(errors).Field);
    }

    private sealed class Hosts(FakeRouterHost host) : IRemoteHosts
    {
        public IRemoteHost For(SshTarget target) => target == host.Target ? host : throw new InvalidOperationException($"unexpected target {target}");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
