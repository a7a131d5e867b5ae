using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;

namespace Fabric.Appliance.Tests.Cli;

/// <summary>The <c>fabric</c> CLI against a real appliance on Kestrel (127.0.0.1, port 0).</summary>
public sealed class CliTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;

    public async Task InitializeAsync() => _host = await ApplianceHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        return await RunWithAsync(variables, Path.GetTempPath(), args);
    }

    private static async Task<(int Code, string Out, string Err)> RunWithAsync(Dictionary<string, string?> variables, string workingDirectory, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, workingDirectory);
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task NodeAdd_ThenListShowSetEventsRm_RoundTrip()
    {
        Assert.Equal(0, (await RunAsync("network", "add", "boot", "--cidr", "10.0.0.0/24", "--gateway", "10.0.0.1", "--dns", "10.0.0.1", "--pool-start", "10.0.0.100", "--pool-end", "10.0.0.200", "--serve-unknown")).Code);

        var add = await RunAsync("node", "add", "hnode01", "--mac", "52-54-00-12-34-56", "--mac", "5254.0012.3457", "--role", "hardware", "--root", "aoe:e0.1", "--label", "rack=r1");
        Assert.Equal((0, ""), (add.Code, add.Err));
        Assert.Equal("added hardware node hnode01: 52:54:00:12:34:56, 52:54:00:12:34:57, 10.0.0.2\n", add.Out);

        var list = await RunAsync("node", "list");
        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^NAME +ROLE +STATE +HEALTH +IP +MACS +ROOT$", lines[0]);
        Assert.Matches("^hnode01 +hardware +registered +- +10.0.0.2 +52:54:00:12:34:56,52:54:00:12:34:57 +aoe:e0.1$", lines[1]);

        var json = await RunAsync("node", "list", "--role", "hardware", "-o", "json");
        var parsed = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal("hnode01", parsed[0].GetProperty("name").GetString());

        var set = await RunAsync("node", "set", "hnode01", "--root", "aoe-md:e0.1,e1.1", "--state", "retired");
        Assert.Equal(0, set.Code);
        Assert.Contains("retired", set.Out, StringComparison.Ordinal);

        var show = await RunAsync("node", "show", "hnode01");
        Assert.Contains("root:", show.Out, StringComparison.Ordinal);
        Assert.Contains("aoe-md:e0.1,e1.1", show.Out, StringComparison.Ordinal);
        Assert.Contains("rack=r1", show.Out, StringComparison.Ordinal);

        var unset = await RunAsync("node", "set", "hnode01", "--unset", "root", "--unset", "labels", "-o", "json");
        Assert.Equal((0, ""), (unset.Code, unset.Err));
        var unsetNode = JsonDocument.Parse(unset.Out).RootElement;
        Assert.False(unsetNode.TryGetProperty("root", out _));
        Assert.Empty(unsetNode.GetProperty("labels").EnumerateObject());
        var badUnset = await RunAsync("node", "set", "hnode01", "--unset", "role");
        Assert.NotEqual(0, badUnset.Code);
        Assert.Contains("role", badUnset.Err, StringComparison.Ordinal);

        var events = await RunAsync("node", "events", "hnode01", "-o", "json");
        var kinds = JsonDocument.Parse(events.Out).RootElement.EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["created", "updated", "updated"], kinds);
        var eventTable = await RunAsync("node", "events", "hnode01");
        Assert.Matches("(?m)^TIME +KIND +ACTOR +MESSAGE$", eventTable.Out);

        var rm = await RunAsync("node", "rm", "hnode01");
        Assert.Equal((0, "removed node hnode01\n"), (rm.Code, rm.Out));
        Assert.Equal("[]\n", (await RunAsync("node", "list", "-o", "json")).Out);
    }

    [Fact]
    public async Task NodeAdd_BadMac_OneLineProblemAndNonZeroExit()
    {
        var result = await RunAsync("node", "add", "hnode01", "--mac", "52:54:zz", "--role", "hardware", "--root", "aoe:e0.1");

        Assert.Equal(1, result.Code);
        Assert.Equal("", result.Out);
        Assert.StartsWith("error: mac: '52:54:zz' is not a MAC address", result.Err, StringComparison.Ordinal);
        Assert.EndsWith("(400)\n", result.Err.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Single(result.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task NodeAdd_DuplicateMac_409Line()
    {
        await RunAsync("node", "add", "a", "--mac", "52:54:00:00:00:01", "--role", "router");

        var result = await RunAsync("node", "add", "b", "--mac", "525400000001", "--role", "router");

        Assert.Equal(1, result.Code);
        Assert.Equal("error: mac: 52:54:00:00:00:01 is already registered to node 'a' (409)\n", result.Err);
    }

    [Fact]
    public async Task NodeShow_Unknown_404Line()
    {
        var result = await RunAsync("node", "show", "ghost");

        Assert.Equal(1, result.Code);
        Assert.Equal("error: name: no node named 'ghost' (404)\n", result.Err);
    }

    [Fact]
    public async Task Write_WrongToken_401Line()
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = "wrong" };

        var result = await RunWithAsync(variables, Path.GetTempPath(), "node", "add", "a", "--mac", "52:54:00:00:00:01", "--role", "router");

        Assert.Equal(1, result.Code);
        Assert.Equal("error: the bearer token is not the admin token or a current API token (401)\n", result.Err);
    }

    [Fact]
    public async Task Token_FromDataAdminTokenInWorkingDirectory_Used()
    {
        var work = Directory.CreateTempSubdirectory("fabric-cli-").FullName;
        Directory.CreateDirectory(Path.Combine(work, "data"));
        await File.WriteAllTextAsync(Path.Combine(work, "data", "admin.token"), _host.AdminToken + "\n");
        var variables = new Dictionary<string, string?>();

        var result = await RunWithAsync(variables, work, "--server", _host.BaseAddress.ToString(), "network", "add", "boot", "--cidr", "10.0.0.0/24");
        Directory.Delete(work, true);

        Assert.Equal((0, ""), (result.Code, result.Err));
        Assert.NotNull(_host.Registry.FindNetwork("boot"));
    }

    [Fact]
    public async Task NetworkListShowRm_TableAndJson()
    {
        await RunAsync("network", "add", "boot", "--cidr", "10.0.0.0/24", "--vlan", "12");

        var table = await RunAsync("network", "list");
        var show = await RunAsync("network", "show", "boot", "-o", "json");
        var rm = await RunAsync("network", "rm", "boot");
        var again = await RunAsync("network", "rm", "boot");

        Assert.Matches("(?m)^boot +boot +10.0.0.0/24 +- +- +12 +ignored$", table.Out);
        Assert.Equal(12, JsonDocument.Parse(show.Out).RootElement.GetProperty("vlan").GetInt32());
        Assert.Equal("removed network boot\n", rm.Out);
        Assert.Equal(1, again.Code);
    }

    [Fact]
    public async Task NetworkAdd_BootTimeout_ShownOrRefusedNamingTheField()
    {
        var bad = await RunAsync("network", "add", "slow", "--cidr", "10.0.0.0/24", "--boot-timeout", "0");
        var add = await RunAsync("network", "add", "slow", "--cidr", "10.0.0.0/24", "--boot-timeout", "300");

        var show = await RunAsync("network", "show", "slow", "-o", "json");
        var text = await RunAsync("network", "show", "slow");

        Assert.Equal(1, bad.Code);
        Assert.Contains("bootTimeoutSeconds", bad.Err, StringComparison.Ordinal);
        Assert.Equal(0, add.Code);
        Assert.Equal(300, JsonDocument.Parse(show.Out).RootElement.GetProperty("bootTimeoutSeconds").GetInt32());
        Assert.Matches("(?m)^boot timeout: +300 s$", text.Out);
    }

    [Fact]
    public async Task Render_PrintsRenderedTemplate()
    {
        await RunAsync("node", "add", "h1", "--mac", "52:54:00:00:00:01", "--role", "hardware", "--root", "aoe:e0.1");

        var result = await RunAsync("render", "h1", "hardware.ipxe");

        Assert.Equal(0, result.Code);
        Assert.StartsWith("#!ipxe\n# hardware.ipxe\nset node h1\n", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeaseList_Empty_HeaderOnlyAndJsonArray()
    {
        var table = await RunAsync("lease", "list");
        var json = await RunAsync("lease", "list", "-o", "json");

        Assert.Matches("^IP +MAC +STATE +NODE +HOSTNAME +ENDS\n$", table.Out);
        Assert.Equal("[]\n", json.Out);
    }

    [Fact]
    public async Task AnyVerb_NothingListening_ExplainsConnectionRefused()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var result = await RunWithAsync(new Dictionary<string, string?>(), Path.GetTempPath(), "node", "list", "--server", $"http://127.0.0.1:{port}");

        Assert.Equal(3, result.Code);
        Assert.StartsWith($"error: cannot connect to the appliance at http://127.0.0.1:{port}/", result.Err, StringComparison.Ordinal);
        Assert.Contains("is it running?", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_NodeAddAndList_AgainstRealAppliance()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "fabric.dll");

        var add = await RunProcessAsync(dll, "node", "add", "proc1", "--mac", "52:54:00:00:00:77", "--role", "router", "--server", _host.BaseAddress.ToString(), "--token", _host.AdminToken);
        var bad = await RunProcessAsync(dll, "node", "add", "proc2", "--mac", "nope", "--role", "router", "--server", _host.BaseAddress.ToString(), "--token", _host.AdminToken);

        Assert.Equal((0, "added router node proc1: 52:54:00:00:00:77\n"), (add.Code, add.Out));
        Assert.Equal(1, bad.Code);
        Assert.StartsWith("error: mac: 'nope' is not a MAC address", bad.Err, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Out, string Err)> RunProcessAsync(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("FABRIC_URL");
        start.Environment.Remove("FABRIC_TOKEN");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
