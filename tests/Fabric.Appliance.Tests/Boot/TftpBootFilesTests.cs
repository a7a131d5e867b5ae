using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Fabric.Appliance.Boot;
using Fabric.Appliance.Security;
using Fabric.Appliance.Tests.Api;
using Fabric.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Boot;

/// <summary>Per-node files over TFTP, rendered from the real templates, fetched with the tftp-hpa client from an
/// appliance whose TFTP server listens on loopback.</summary>
public sealed class TftpBootFilesTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _port = FreeUdpPort();
        var settings = new Dictionary<string, string?> { ["Fabric:Tftp:Endpoint"] = $"127.0.0.1:{_port}" };
        _host = await ApplianceHost.StartAsync(
            settings,
            services => services.AddFabricTftp(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()),
            withRenderer: false);
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await _host.AddNodeAsync(new { name = "store0", mac = "52:54:00:00:01:00", role = "storage", aoeShelf = 0, ip = "127.0.0.10" });
        await _host.AddNodeAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });
        await _host.AddNodeAsync(new { name = "hnode02", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.2", ip = "127.0.0.2" });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Pxelinux_FromTheNodesOwnAddress_RenderedWithToken()
    {
        var (exit, text) = await FetchAsync("pxelinux.cfg/01-52-54-00-00-00-01");

        Assert.Equal(0, exit);
        var token = _host.App.Services.GetRequiredService<BootTokens>().For("hnode01");
        Assert.Contains("fabric.node=hnode01", text, StringComparison.Ordinal);
        Assert.Contains("fabric.root=aoe:e0.1", text, StringComparison.Ordinal);
        Assert.Contains($"fabric.token={token}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pxelinux_AnotherNodesMac_RenderedWithoutItsToken()
    {
        var (exit, text) = await FetchAsync("pxelinux.cfg/01-52-54-00-00-00-02");

        Assert.Equal(0, exit);
        Assert.Contains("fabric.node=hnode02", text, StringComparison.Ordinal);
        Assert.DoesNotContain("fabric.token", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grub_ByMac_RenderedFromGrubTemplate()
    {
        // GRUB asks for grub.cfg-01-<mac with hyphens> (tftp-hpa would read a colon as host:file).
        var (exit, text) = await FetchAsync("grub/grub.cfg-01-52-54-00-00-00-01");

        Assert.Equal(0, exit);
        Assert.Contains("fabric.node=hnode01", text, StringComparison.Ordinal);
        Assert.Contains("linux", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pxelinux_UnknownMac_FileNotFound()
    {
        var (exit, text) = await FetchAsync("pxelinux.cfg/01-52-54-00-99-99-99");

        Assert.NotEqual(0, exit);
        Assert.Empty(text);
    }

    [Theory]
    [InlineData("pxelinux.cfg/01-52-54-00-00-00-02")]
    [InlineData("grub/grub.cfg-01-52-54-00-00-00-02")]
    public async Task PerNodeFile_RetiredNode_FileNotFound(string remote)
    {
        using var admin = _host.AdminClient();
        var retire = await admin.PatchAsJsonAsync("/api/v1/nodes/hnode02", new { state = "retired" });
        Assert.True(retire.IsSuccessStatusCode, await retire.Content.ReadAsStringAsync());

        var (exit, text) = await FetchAsync(remote);

        Assert.NotEqual(0, exit);
        Assert.Empty(text);
    }

    [Theory]
    [InlineData("pxelinux.cfg/01-52-54-00-00-00-01", "pxelinux.cfg")]
    [InlineData("grub/grub.cfg-52:54:00:00:00:01", "grub.cfg")]
    [InlineData("grub/grub.cfg-01-52-54-00-00-00-01", "grub.cfg")]
    public void TryMatch_PerNodePaths_TemplateAndMac(string path, string template)
    {
        Assert.True(TftpBootFiles.TryMatch(path, out var matched, out var mac));
        Assert.Equal(template, matched);
        Assert.Equal(MacAddress.Parse("52:54:00:00:00:01"), mac);
    }

    [Theory]
    [InlineData("undionly.kpxe")]
    [InlineData("pxelinux.cfg/default")]
    [InlineData("pxelinux.cfg/01-not-a-mac")]
    [InlineData("grub/grub.cfg")]
    public void TryMatch_OtherPaths_False(string path)
    {
        Assert.False(TftpBootFiles.TryMatch(path, out _, out _));
    }

    private async Task<(int Exit, string Text)> FetchAsync(string remote)
    {
        var local = Path.Combine(_host.DataDir, "fetched-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("tftp") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "127.0.0.1", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "binary", "-c", "get", remote, local })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        // tftp-hpa exits 0 even when the server answers with an error; it then prints it and leaves an empty file.
        bool failed = output.Contains("Error code", StringComparison.Ordinal) || !File.Exists(local) || new FileInfo(local).Length == 0;
        var text = File.Exists(local) ? await File.ReadAllTextAsync(local) : "";
        return (failed ? 1 : process.ExitCode, text);
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
