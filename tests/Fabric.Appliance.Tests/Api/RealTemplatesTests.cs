using System.Net;
using Fabric.Appliance.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Api;

/// <summary>The appliance with the real Scriban templates from <c>templates/</c>.</summary>
public sealed class RealTemplatesTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(withRenderer: false);
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await _host.AddNodeAsync(new { name = "store0", mac = "52:54:00:00:01:00", role = "storage", aoeShelf = 0, ip = "127.0.0.10" });
        await _host.AddNodeAsync(new { name = "store1", mac = "52:54:00:00:01:01", role = "storage", aoeShelf = 1, ip = "127.0.0.11" });
        await _host.AddNodeAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe-md:e0.1,e1.1", ip = "127.0.0.1" });
        await _host.AddNodeAsync(new { name = "hnode02", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.2", ip = "127.0.0.2" });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task BootScript_FromTheNodesOwnIp_KernelLineWithRootUrlAndToken()
    {
        var text = await _host.Client.GetStringAsync("/boot/52-54-00-00-00-01.ipxe");

        var token = _host.App.Services.GetRequiredService<BootTokens>().For("hnode01");
        var kernel = text.Split('\n').Single(l => l.StartsWith("kernel ", StringComparison.Ordinal));
        Assert.Contains("fabric.root=aoe-md:e0.1,e1.1", kernel, StringComparison.Ordinal);
        Assert.Contains($"fabric.url={_host.BaseAddress.ToString().TrimEnd('/')}", kernel, StringComparison.Ordinal);
        Assert.Contains("fabric.node=hnode01", kernel, StringComparison.Ordinal);
        Assert.Contains($"fabric.token={token}", kernel, StringComparison.Ordinal);
        Assert.Contains("fabric.mac=52:54:00:00:00:01", kernel, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootScript_NetworkBootTimeout_OnTheKernelLineUnlessTheNodesLabelSaysOtherwise()
    {
        await _host.AddNetworkAsync(new { name = "slow", cidr = "127.0.1.0/24", bootTimeoutSeconds = 300 });
        await _host.AddNodeAsync(new { name = "hslow1", mac = "52:54:00:00:02:01", role = "hardware", root = "aoe:e0.3", network = "slow" });
        await _host.AddNodeAsync(new { name = "hslow2", mac = "52:54:00:00:02:02", role = "hardware", root = "aoe:e0.4", network = "slow", labels = new Dictionary<string, string> { ["fabric.timeout"] = "20" } });

        var network = await _host.Client.GetStringAsync("/boot/52:54:00:00:02:01.ipxe");
        var label = await _host.Client.GetStringAsync("/boot/52:54:00:00:02:02.ipxe");
        var appliance = await _host.Client.GetStringAsync("/boot/52:54:00:00:00:02.ipxe");

        Assert.Contains(" fabric.timeout=300 ", KernelLine(network), StringComparison.Ordinal);
        Assert.Contains(" fabric.timeout=20 ", KernelLine(label), StringComparison.Ordinal);
        Assert.DoesNotContain("fabric.timeout=300", KernelLine(appliance), StringComparison.Ordinal);
    }

    private static string KernelLine(string script) => script.Split('\n').Single(l => l.StartsWith("kernel ", StringComparison.Ordinal)) + " ";

    [Fact]
    public async Task BootScript_FromAnotherIp_NoToken()
    {
        var text = await _host.Client.GetStringAsync("/boot/52:54:00:00:00:02.ipxe");

        Assert.Contains("fabric.node=hnode02", text, StringComparison.Ordinal);
        Assert.DoesNotContain("fabric.token", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootScript_UnknownMac_DiscoveryTemplate()
    {
        var response = await _host.Client.GetAsync("/boot/52:54:00:99:99:99.ipxe");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("#!ipxe", text, StringComparison.Ordinal);
        Assert.Contains("52:54:00:99:99:99", text, StringComparison.Ordinal);
        Assert.Equal(Fabric.Core.NodeState.Discovered, _host.Registry.FindNode("node-525400999999")!.State);
    }

    [Theory]
    [InlineData("hardware.ipxe")]
    [InlineData("pxelinux.cfg")]
    [InlineData("grub.cfg")]
    public async Task Render_EveryBootTemplateForAHardwareNode_Whole(string template)
    {
        var response = await _host.Client.GetAsync($"/api/v1/nodes/hnode02/render/{template}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("fabric.root=aoe:e0.2", text, StringComparison.Ordinal);
    }
}
