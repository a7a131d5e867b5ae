using System.Net;
using Fabric.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Api;

public sealed class BootEndpointTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();

        // The test client connects from 127.0.0.1, so a node registered at 127.0.0.1 is "the node itself".
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("52:54:00:12:34:56")]
    [InlineData("52-54-00-12-34-56")]
    [InlineData("5254.0012.3456")]
    [InlineData("525400123456")]
    public async Task GetScript_UnknownMacAnyNotation_RegistersDiscoveredAndServesDiscoveryScript(string mac)
    {
        var response = await _host.Client.GetAsync($"/boot/{mac}.ipxe");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("#!ipxe\n# discovery.ipxe\nset node node-525400123456\n", text, StringComparison.Ordinal);
        var node = _host.Registry.FindNode("node-525400123456")!;
        Assert.Equal(NodeState.Discovered, node.State);
        Assert.Equal("52:54:00:12:34:56", node.Macs.Single().ToString());
    }

    [Fact]
    public async Task GetScript_UnknownMacTwice_OneNode()
    {
        await _host.Client.GetAsync("/boot/52:54:00:12:34:56.ipxe");
        await _host.Client.GetAsync("/boot/52-54-00-12-34-56.ipxe");

        Assert.Single(_host.Registry.ListNodes());
    }

    [Fact]
    public async Task GetScript_MalformedMac_400NotServerError()
    {
        var response = await _host.Client.GetAsync("/boot/not-a-mac.ipxe");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is not a MAC address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetScript_RegisteredNodeFromItsOwnIp_RoleScriptWithTokenAndBooting()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });

        var text = await _host.Client.GetStringAsync("/boot/52-54-00-00-00-01.ipxe");

        Assert.Contains("# hardware.ipxe\nset node h1\n", text, StringComparison.Ordinal);
        var token = text.Split('\n').Single(l => l.StartsWith("set token ", StringComparison.Ordinal))["set token ".Length..];
        Assert.Matches("^[0-9a-f]{64}$", token);
        Assert.Equal(NodeState.Booting, _host.Registry.FindNode("h1")!.State);
        var events = (await _host.Registry.ListEventsAsync("h1")).Value!;
        Assert.Contains(events, e => e.Kind == Fabric.Core.Events.EventKind.BootScript && e.Message.Contains("127.0.0.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetScript_RequestFromAnotherAddress_NoToken()
    {
        await _host.AddNodeAsync(new { name = "h2", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.2" });

        var text = await _host.Client.GetStringAsync("/boot/52:54:00:00:00:02.ipxe");

        Assert.Contains("set token none\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetScript_TemplateError_GenericProblemThenErrorTemplate()
    {
        await using var host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<Fabric.Boot.IBootRenderer>(new FailingRenderer()));
        await host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        var response = await host.Client.GetAsync("/boot/52:54:00:00:00:01.ipxe");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // An anonymous client is not told which template, file or line failed (the admin API and the log are).
        Assert.StartsWith("#!ipxe\necho Fabric: the boot script of this machine could not be built: the appliance log says why\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hardware.ipxe", text, StringComparison.Ordinal);
        Assert.DoesNotContain("missing value", text, StringComparison.Ordinal);
        Assert.EndsWith("\n# error script\nsleep 10\nchain again\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("${", text, StringComparison.Ordinal);
        Assert.Equal(Fabric.Core.NodeState.Registered, host.Registry.FindNode("h1")!.State);
    }

    [Fact]
    public async Task GetScript_RendererThrows_StillNoServerError()
    {
        await using var host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<Fabric.Boot.IBootRenderer>(new ThrowingRenderer()));

        var response = await host.Client.GetAsync("/boot/52:54:00:00:00:01.ipxe");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("#!ipxe\necho Fabric:", text, StringComparison.Ordinal);
        Assert.EndsWith("sleep 30\nexit 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetScript_RetiredNode_DoesNotBoot()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });
        await _host.Registry.UpdateNodeAsync("h1", new Registry.NodeInput { State = "retired" }, Fabric.Core.Events.Actor.Admin);

        var text = await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");

        Assert.Contains("retired", text, StringComparison.Ordinal);
        Assert.Equal(NodeState.Retired, _host.Registry.FindNode("h1")!.State);
    }

    private sealed class FailingRenderer : Fabric.Boot.IBootRenderer
    {
        public IReadOnlyCollection<string> TemplateNames => ["hardware.ipxe", "error.ipxe"];

        public Fabric.Boot.RenderResult Render(string templateName, Fabric.Boot.BootContext context) => templateName == "error.ipxe"
            ? Fabric.Boot.RenderResult.Ok("#!ipxe\n# error script\nsleep 10\nchain again\n")
            : Fabric.Boot.RenderResult.Failed(templateName, 7, "missing value ${node.name}");
    }

    private sealed class ThrowingRenderer : Fabric.Boot.IBootRenderer
    {
        public IReadOnlyCollection<string> TemplateNames => ["discovery.ipxe"];

        public Fabric.Boot.RenderResult Render(string templateName, Fabric.Boot.BootContext context) =>
            throw new InvalidOperationException("bug");
    }
}
