using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fabric.Appliance.Boot;
using Fabric.Appliance.Tests.Api;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Appliance.Tests.Boot;

/// <summary>The anonymous boot endpoint: discovery bounded, state moved only by the node itself, events bounded, and
/// boot scripts served whether or not the registry can record them.</summary>
public sealed class BootScriptsTests
{
    private static string Mac(int n) => $"52:54:00:0e:{n >> 8:x2}:{n & 0xff:x2}";

    [Fact]
    public async Task GetScript_UnknownMacsPastMaxNodes_DiscoveryScriptButNoRowAndRefusalCounted()
    {
        await using var host = await ApplianceHost.StartAsync(new Dictionary<string, string?> { ["Fabric:Discovery:MaxNodes"] = "2" });

        for (int i = 0; i < 5; i++)
        {
            var response = await host.Client.GetAsync($"/boot/{Mac(i)}.ipxe");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith($"#!ipxe\n# discovery.ipxe\nset node node-5254000e{i >> 8:x2}{i & 0xff:x2}\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(["node-5254000e0000", "node-5254000e0001"], host.Registry.ListNodes().Select(n => n.Name));
        var metrics = await host.Client.GetStringAsync("/metrics");
        Assert.Contains("fabric_discovery_refused_total 3\n", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:00:5e:7f:00:01")]
    [InlineData("33-33-00-00-00-01")]
    [InlineData("000000000000")]
    public async Task GetScript_BroadcastMulticastOrZeroMac_400AndNoRow(string mac)
    {
        await using var host = await ApplianceHost.StartAsync();

        var response = await host.Client.GetAsync($"/boot/{mac}.ipxe");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is not a unicast MAC address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(host.Registry.ListNodes());
    }

    [Fact]
    public async Task Sweep_DiscoveredNotAdoptedWithinRetention_Removed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-04-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var host = await ApplianceHost.StartAsync(
            new Dictionary<string, string?> { ["Fabric:Discovery:Retention"] = "1.00:00:00" },
            services => services.AddSingleton<TimeProvider>(clock));
        await host.Client.GetStringAsync($"/boot/{Mac(1)}.ipxe");
        await host.Client.GetStringAsync($"/boot/{Mac(2)}.ipxe");
        await host.Registry.UpdateNodeAsync("node-5254000e0002", new Registry.NodeInput { Role = "hardware", Root = "aoe:e0.2" }, Actor.Admin);
        var sweeper = host.App.Services.GetRequiredService<DiscoverySweepService>();

        clock.Advance(TimeSpan.FromHours(23));
        Assert.Empty(await sweeper.SweepAsync());
        Assert.NotNull(host.Registry.FindNode("node-5254000e0001"));
        clock.Advance(TimeSpan.FromHours(1));
        // The fake clock also wakes the appliance's periodic sweep; whichever runs first removes the node.
        await sweeper.SweepAsync();

        Assert.Null(host.Registry.FindNode("node-5254000e0001"));
        Assert.Equal(NodeState.Registered, host.Registry.FindNode("node-5254000e0002")!.State);
        Assert.Equal(TimeSpan.FromMinutes(10), sweeper.Interval);
    }

    [Fact]
    public async Task GetScript_FromAnAddressNotTheNodes_ServedButStateUnchanged()
    {
        await using var host = await ApplianceHost.StartAsync();
        await host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await host.AddNodeAsync(new { name = "h2", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.2" });

        var text = await host.Client.GetStringAsync("/boot/52:54:00:00:00:02.ipxe");

        Assert.Contains("# hardware.ipxe\nset node h2\n", text, StringComparison.Ordinal);
        Assert.Equal(NodeState.Registered, host.Registry.FindNode("h2")!.State);
        var served = (await host.Registry.ListEventsAsync("h2")).Value![^1];
        Assert.Equal(EventKind.BootScript, served.Kind);
        Assert.Contains("to 127.0.0.1 (not the node's address: state unchanged)", served.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, NodeState.Booting)]
    [InlineData(false, NodeState.Registered)]
    public async Task GetScript_FromTheNodesLeaseAddress_MovesOnlyWhileTheLeaseIsCurrent(bool current, NodeState expected)
    {
        var now = DateTimeOffset.UtcNow;
        var lease = new Lease(IPAddress.Loopback, MacAddress.Parse("52:54:00:00:00:03"), "h3", "h3", LeaseState.Bound, now.AddHours(-2), current ? now.AddHours(1) : now.AddHours(-1));
        await using var host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<ILeaseView>(new Leases([lease])));
        await host.AddNodeAsync(new { name = "h3", mac = "52:54:00:00:00:03", role = "hardware", root = "aoe:e0.1" });

        await host.Client.GetStringAsync("/boot/52:54:00:00:00:03.ipxe");

        Assert.Equal(expected, host.Registry.FindNode("h3")!.State);
    }

    [Fact]
    public async Task GetScript_BootLoop_EventsKeptToMaxPerNode()
    {
        await using var host = await ApplianceHost.StartAsync(new Dictionary<string, string?> { ["Fabric:Events:MaxPerNode"] = "10" });
        await host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });

        for (int i = 0; i < 25; i++)
        {
            await host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
        }

        var events = (await host.Registry.ListEventsAsync("h1")).Value!;
        Assert.Equal(10, events.Count);
        Assert.All(events, e => Assert.Equal(EventKind.BootScript, e.Kind));
    }

    [Fact]
    public async Task GetScript_RegistryCannotWrite_RealScriptServedAndReadyzNamesTheRegistry()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-appliance-").FullName;
        FailingStore? store = null;
        try
        {
            await using var host = await ApplianceHost.StartAsync(
                services: s => s.AddSingleton<IRegistryStore>(_ => store = new FailingStore(FabricRegistry.OpenSqliteStore(Path.Combine(dataDir, "fabric.db")))),
                dataDir: dataDir);
            await host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
            await host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/readyz")).StatusCode);

            store!.FailWrites = true;
            var script = await host.Client.GetAsync("/boot/52:54:00:00:00:01.ipxe");
            var discovery = await host.Client.GetStringAsync($"/boot/{Mac(9)}.ipxe");
            var ready = await host.Client.GetAsync("/readyz");
            var health = await host.Client.GetAsync("/healthz");

            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            var text = await script.Content.ReadAsStringAsync();
            Assert.StartsWith("#!ipxe\n# hardware.ipxe\nset node h1\n", text, StringComparison.Ordinal);
            Assert.Matches("set token [0-9a-f]{64}\n", text);
            Assert.StartsWith("#!ipxe\n# discovery.ipxe\nset node node-5254000e0009\n", discovery, StringComparison.Ordinal);
            Assert.Null(host.Registry.FindNode("node-5254000e0009"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = await ready.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("not ready", body.GetProperty("status").GetString());
            var check = Assert.Single(body.GetProperty("checks").EnumerateArray());
            Assert.Equal(("registry", "failed"), (check.GetProperty("name").GetString(), check.GetProperty("status").GetString()));
            Assert.Contains("disk is full", check.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            store.FailWrites = false;
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/readyz")).StatusCode);
            Assert.Equal(NodeState.Registered, host.Registry.FindNode("h1")!.State);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Start_BadDiscoveryAndEventSettings_EveryProblemNamedByKey()
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ApplianceHost.StartAsync(new Dictionary<string, string?>
        {
            ["Fabric:Discovery:MaxNodes"] = "0",
            ["Fabric:Discovery:Retention"] = "00:00:10",
        }));

        Assert.Equal(["Fabric:Discovery:MaxNodes: must be 1 or more", "Fabric:Discovery:Retention: must be at least 00:01:00"], e.Failures);
    }

    private sealed class Leases(IReadOnlyList<Lease> leases) : ILeaseView
    {
        public ValueTask<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(leases);
    }
}
