using System.Text.Json;
using Fabric.Appliance.Tests.Api;
using Fabric.Appliance.Tests.Instances;
using Fabric.Cli;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Cli;

/// <summary><c>fabric instance ...</c> and <c>fabric node evacuate</c> against a real appliance whose hypervisors' SSH is
/// <see cref="FakeHypervisors"/>.</summary>
public sealed class InstanceCliTests : IAsyncLifetime
{
    private const string PinA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";
    private const string PinB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";

    private readonly FakeHypervisors _hypervisors = new();
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<IRemoteHosts>(_hypervisors.Hosts));
        await _host.AddNodeAsync(new { name = "hv1", mac = "52:54:00:00:0f:01", role = "hardware", cpuCores = 4, memoryMiB = 4096, sshAddress = "10.0.0.11", sshHostKey = PinA });
        await _host.AddNodeAsync(new { name = "hv2", mac = "52:54:00:00:0f:02", role = "hardware", cpuCores = 4, memoryMiB = 2048, sshAddress = "10.0.0.12", sshHostKey = PinB });
        _hypervisors.Script(new SshTarget("10.0.0.11", 22, "root", PinA));
        _hypervisors.Script(new SshTarget("10.0.0.12", 22, "root", PinB));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment).WaitAsync(TimeSpan.FromSeconds(90));
        return (code, output.ToString(), error.ToString());
    }

    private async Task CreateWebAsync()
    {
        var created = await RunAsync("instance", "create", "web", "--vcpus", "2", "--memory-mib", "512", "--disk-volume", "/srv/fabric/volumes/web.img", "--label", "tier=front", "--wait");
        Assert.True(created.Code == 0, created.Err);
    }

    [Fact]
    public async Task CreateWaitListShow_Running()
    {
        var created = await RunAsync("instance", "create", "web", "--vcpus", "2", "--memory-mib", "512", "--disk-volume", "/srv/fabric/volumes/web.img", "--label", "tier=front", "--wait");

        Assert.Equal((0, ""), (created.Code, created.Err));
        Assert.StartsWith("job ", created.Out, StringComparison.Ordinal);
        Assert.Contains("queued: instance-create on web", created.Out, StringComparison.Ordinal);
        Assert.Contains("succeeded", created.Out, StringComparison.Ordinal);
        var list = await RunAsync("instance", "list");
        Assert.Contains("NAME", list.Out, StringComparison.Ordinal);
        Assert.Matches(@"web\s+running\s+hv1\s+2\s+512 MiB", list.Out);
        var show = await RunAsync("instance", "show", "web", "-o", "json");
        var json = JsonDocument.Parse(show.Out).RootElement;
        Assert.Equal(("running", "hv1", "front"), (json.GetProperty("state").GetString(), json.GetProperty("hypervisor").GetString(), json.GetProperty("labels").GetProperty("tier").GetString()));
    }

    [Fact]
    public async Task Create_NoRoom_OneLineErrorAndExit1()
    {
        var created = await RunAsync("instance", "create", "web", "--vcpus", "2", "--memory-mib", "9000", "--disk-volume", "/srv/fabric/volumes/web.img");

        Assert.Equal(1, created.Code);
        var line = Assert.Single(created.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: placement: no hypervisor fits", line, StringComparison.Ordinal);
        Assert.Contains("hv1: memory short by", line, StringComparison.Ordinal);
        Assert.Contains("(409)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateWait_ToHv2_RunsThere()
    {
        await CreateWebAsync();

        var migrated = await RunAsync("instance", "migrate", "web", "--target", "hv2", "--wait", "-o", "json");

        Assert.True(migrated.Code == 0, migrated.Err);
        Assert.Equal("instance-migrate", JsonDocument.Parse(migrated.Out).RootElement.GetProperty("kind").GetString());
        var show = await RunAsync("instance", "show", "web");
        Assert.Matches(@"hypervisor:\s+hv2", show.Out);
    }

    [Fact]
    public async Task StopRmConsole_StoppedThenRemoved()
    {
        await CreateWebAsync();
        var console = await RunAsync("instance", "console", "web");
        Assert.Equal((0, "Debian GNU/Linux 13 web ttyS0\nweb login: \n"), (console.Code, console.Out));

        var refused = await RunAsync("instance", "rm", "web");
        Assert.Equal(1, refused.Code);
        Assert.Contains("only a stopped instance is removed", refused.Err, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("instance", "stop", "web", "--wait")).Code);
        var removed = await RunAsync("instance", "rm", "web");
        Assert.Equal((0, "removed instance web\n"), (removed.Code, removed.Out));
        Assert.Equal(1, (await RunAsync("instance", "show", "web")).Code);
    }

    [Fact]
    public async Task NodeEvacuate_Hv1_InstanceOnHv2AndHv1Cordoned()
    {
        await CreateWebAsync();

        var evacuated = await RunAsync("node", "evacuate", "hv1", "--wait");

        Assert.True(evacuated.Code == 0, evacuated.Err);
        Assert.Contains("node-evacuate on hv1", evacuated.Out, StringComparison.Ordinal);
        Assert.Matches(@"hypervisor:\s+hv2", (await RunAsync("instance", "show", "web")).Out);
        Assert.Contains("fabric.instances/cordoned=true", (await RunAsync("node", "show", "hv1")).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_BadLabel_UsageError()
    {
        var created = await RunAsync("instance", "create", "web", "--vcpus", "1", "--memory-mib", "64", "--disk-volume", "/x.img", "--label", "novalue");

        Assert.Equal((2, "error: --label: 'novalue' is not KEY=VALUE\n"), (created.Code, created.Err));
    }
}
