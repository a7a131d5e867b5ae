using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Core.Lifecycle;
using Fabric.Jobs.Model;
using Fabric.Registry;
using Fabric.Remote.Hosts;
using Fabric.Router.AutoApply;
using Fabric.Router.Jobs;
using Fabric.Router.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Router.Tests.AutoApply;

/// <summary>Instance changes in a registry on disk queue <c>router-apply</c> jobs: one per router however many change
/// at once, linked to the instance's job, none for a migration or when turned off.</summary>
public sealed class RouterAutoApplyTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-router-auto-").FullName;
    private readonly IRegistry _registry;
    private readonly RecordingJobs _jobs = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 1, 0, 0, TimeSpan.Zero));
    private RouterAutoApply? _auto;

    public RouterAutoApplyTests() => _registry = FabricRegistry.Open(Path.Combine(_dir, "fabric.db"));

    public async Task InitializeAsync()
    {
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "boot", Cidr = "10.0.0.0/24", Gateway = "10.0.0.1" }, Actor.Admin)).Succeeded);
        Assert.True((await _registry.AddNetworkAsync(new NetworkInput { Name = "pub1", Cidr = "203.0.113.0/24", Gateway = "203.0.113.1", Vlan = 100, Kind = "public" }, Actor.Admin)).Succeeded);
        var router = await _registry.AddNodeAsync(
            new NodeInput { Name = "router1", Role = "router", Macs = ["52:54:00:00:09:01"], SshAddress = "192.0.2.7", SshPort = 2222, SshHostKey = Fixtures.Pin }, Actor.Admin);
        Assert.True(router.Succeeded, router.Error?.ToString());
    }

    public async Task DisposeAsync()
    {
        if (_auto is not null)
        {
            await _auto.StopAsync(CancellationToken.None);
            _auto.Dispose();
        }

        _registry.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<RouterAutoApply> StartAsync(bool autoApply = true)
    {
        _auto = new RouterAutoApply(_registry, _jobs, Options.Create(new RouterOptions { AutoApply = autoApply }), _time, NullLogger<RouterAutoApply>.Instance);
        await _auto.StartAsync(CancellationToken.None);
        return _auto;
    }

    private async Task AddInstanceAsync(string name, int host, string network = "pub1", string prefix = "203.0.113")
    {
        var added = await _registry.AddNodeAsync(
            new NodeInput { Name = name, Role = "instance", Macs = [$"0e:00:00:00:01:{host:x2}"], Network = network, Ip = $"{prefix}.{host}", Hypervisor = "hv1" }, Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
    }

    /// <summary>Lets the gathering delay pass until <paramref name="rounds"/> gatherings are done.</summary>
    private async Task SettleAsync(RouterAutoApply auto, long rounds)
    {
        await WaitFor.TrueAsync(
            () =>
            {
                _time.Advance(RouterAutoApply.SettleDelay);
                return auto.Rounds >= rounds;
            },
            $"gathering {rounds}");
    }

    private IReadOnlyList<Job> Applies => _jobs.OfKind(RouterApplyJobHandler.KindName);

    [Fact]
    public async Task InstanceCreated_WithItsCreateJob_OneApplyOnTheRouterCausedByThatJob()
    {
        var auto = await StartAsync();

        await AddInstanceAsync("web1", 10);
        var create = (await _jobs.EnqueueAsync(new NewJob("instance-create", "web1", new Dictionary<string, string>(), "admin"))).Value!;
        await SettleAsync(auto, 1);

        var apply = Assert.Single(Applies);
        Assert.Equal("router1", apply.Node);
        Assert.Equal("appliance", apply.Actor);
        Assert.Equal(create.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), apply.Arguments["cause"]);
        Assert.Equal("instance web1 added (203.0.113.10 on pub1)", apply.Arguments["reason"]);
        Assert.Empty(new RouterApplyJobHandler(_registry, new RouterHosts(new FakeRouterHost(new SshTarget("192.0.2.7", 2222, "root", Fixtures.Pin)))).Validate(apply.Arguments));
    }

    [Fact]
    public async Task TenInstancesAtOnceThenMoreWhileTheApplyWaits_OneQueuedApply()
    {
        var auto = await StartAsync();

        await Task.WhenAll(Enumerable.Range(10, 10).Select(i => AddInstanceAsync($"web{i}", i)));
        await SettleAsync(auto, 1);
        var first = Assert.Single(Applies);
        Assert.Contains("and 5 more", first.Arguments["reason"], StringComparison.Ordinal);

        // The apply still waits in the router's queue: it plans when it runs, so it takes this one too.
        await AddInstanceAsync("web30", 30);
        await SettleAsync(auto, 2);
        Assert.Single(Applies);

        // Once it runs, a new change needs a new apply (one waiting behind it).
        _jobs.SetState(first.Id, JobState.Running);
        await _registry.RemoveNodeAsync("web30", Actor.Admin);
        await SettleAsync(auto, 3);
        Assert.Equal(2, Applies.Count);
        Assert.Equal("instance web30 removed (203.0.113.30 on pub1)", Applies[1].Arguments["reason"]);
        Assert.False(Applies[1].Arguments.ContainsKey("cause"));
    }

    [Fact]
    public async Task InstanceReaddressedByPatch_ApplyNamesTheChange()
    {
        await AddInstanceAsync("web1", 10);
        var auto = await StartAsync();

        Assert.True((await _registry.UpdateNodeAsync("web1", new NodeInput { Ip = "203.0.113.11" }, Actor.Admin)).Succeeded);
        await SettleAsync(auto, 1);

        Assert.Equal("instance web1 re-addressed (203.0.113.10 on pub1 -> 203.0.113.11 on pub1)", Assert.Single(Applies).Arguments["reason"]);
    }

    [Fact]
    public async Task MigrationInsideTheVlan_NoJobAndThePlanStaysEmpty()
    {
        foreach (var (hypervisor, mac) in new[] { ("hv1", "52:54:00:00:0a:01"), ("hv2", "52:54:00:00:0a:02") })
        {
            Assert.True((await _registry.AddNodeAsync(new NodeInput { Name = hypervisor, Role = "hardware", Macs = [mac] }, Actor.Admin)).Succeeded);
        }

        await AddInstanceAsync("web1", 10);
        var router = new FakeRouterHost(new SshTarget("192.0.2.7", 2222, "root", Fixtures.Pin)).WithLink("lo").WithLink("eth1").WithLink("eth2");
        var handler = new RouterApplyJobHandler(_registry, new RouterHosts(router));
        await handler.RunAsync(new FakeJobContext());
        var auto = await StartAsync();

        foreach (var (from, to, hypervisor) in new[]
        {
            (InstanceState.Defined, InstanceState.Starting, (string?)null), (InstanceState.Starting, InstanceState.Running, null),
            (InstanceState.Running, InstanceState.Migrating, null), (InstanceState.Migrating, InstanceState.Running, "hv2"),
        })
        {
            var moved = await _registry.TransitionInstanceAsync("web1", from, to, hypervisor, "test", Actor.Admin);
            Assert.True(moved.Succeeded, moved.Error?.ToString());
        }

        // An instance change after the migration: once it is gathered, the migration's changes would have been too.
        await AddInstanceAsync("other", 50, "boot", "10.0.0");
        await SettleAsync(auto, 1);

        Assert.Equal("hv2", _registry.FindNode("web1")!.Instance!.Hypervisor);
        Assert.Empty(_jobs.All);
        var plan = await RouterSync.PlanAsync(router, RouterSync.Desired(_registry, _registry.FindNode("router1")!), CancellationToken.None);
        Assert.Empty(plan.Actions);
    }

    [Fact]
    public async Task InstanceOnTheBootNetwork_NoJob()
    {
        var auto = await StartAsync();

        await AddInstanceAsync("plain", 50, "boot", "10.0.0");
        await AddInstanceAsync("web1", 10);
        await SettleAsync(auto, 1);

        Assert.Equal("instance web1 added (203.0.113.10 on pub1)", Assert.Single(Applies).Arguments["reason"]);
    }

    [Fact]
    public async Task AutoApplyOff_InstanceCreated_NoJob()
    {
        await StartAsync(autoApply: false);

        await AddInstanceAsync("web1", 10);
        for (int i = 0; i < 10; i++)
        {
            _time.Advance(RouterAutoApply.SettleDelay);
            await Task.Delay(20);
        }

        Assert.Empty(_jobs.All);
    }

    [Fact]
    public void Readdressed_MigrationOrStateChange_False()
    {
        var web = Fixtures.Instance("web1", "pub1", "203.0.113.10");

        Assert.False(RouterAutoApply.Readdressed(new(web, web with { Instance = web.Instance! with { Hypervisor = "hv2" } })));
        Assert.True(RouterAutoApply.Readdressed(new(web, web with { Ip = System.Net.IPAddress.Parse("203.0.113.11") })));
        Assert.True(RouterAutoApply.Readdressed(new(web, null)));
        Assert.False(RouterAutoApply.Readdressed(new(Fixtures.Router(), null)));
    }
}
