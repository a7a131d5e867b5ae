using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fabric.Appliance.Security;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Cli;

/// <summary>What nodes send (boot-report messages) and what is stored about them (labels) reaches an operator's
/// terminal escaped in the CLI's tables: no forged lines, no escape sequences.</summary>
public sealed class CliEscapingTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await _host.AddNodeAsync(new
        {
            name = "h1",
            mac = "52:54:00:00:00:01",
            role = "hardware",
            root = "aoe:e0.1",
            ip = "127.0.0.1",
            labels = new Dictionary<string, string> { ["owner"] = "team\u202eexe.txt" },
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task NodeEvents_BootReportWithNewlineAndEscapeSequence_PrintedEscapedOnOneLine()
    {
        using var node = new HttpClient { BaseAddress = _host.BaseAddress };
        node.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _host.App.Services.GetRequiredService<BootTokens>().For("h1"));
        await node.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");
        var report = await node.PostAsJsonAsync("/api/v1/nodes/h1/boot-events", new { stage = "initramfs", message = "ok\n2026-12-01 admin node-removed\u001b[2J" });
        Assert.Equal(HttpStatusCode.NoContent, report.StatusCode);

        var (code, output, error) = await RunAsync("node", "events", "h1");

        Assert.True(code == 0, error);
        Assert.Contains(@"ok\n2026-12-01 admin node-removed\x1b[2J", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain(output.Split('\n'), l => l.StartsWith("2026-12-01 admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NodeShow_LabelWithBidiOverride_PrintedEscaped()
    {
        var (code, output, error) = await RunAsync("node", "show", "h1");

        Assert.True(code == 0, error);
        Assert.Contains(@"owner=team\u202eexe.txt", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202e', output);
    }

    [Fact]
    public async Task NodeShowJson_Label_KeptAsItIs()
    {
        var (code, output, error) = await RunAsync("node", "show", "h1", "-o", "json");

        Assert.True(code == 0, error);
        var labels = System.Text.Json.JsonDocument.Parse(output).RootElement.GetProperty("labels");
        Assert.Equal("team\u202eexe.txt", labels.GetProperty("owner").GetString());
    }
}
