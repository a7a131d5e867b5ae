using System.Net;
using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Instances;

/// <summary><c>/api/v1/instances</c> on a real appliance: its registry, job runner, instance jobs and SSH hypervisor
/// driver, with the hypervisors' SSH replaced by <see cref="FakeHypervisors"/>.</summary>
public sealed class InstancesApiTests : IAsyncLifetime
{
    private const string PinA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";
    private const string PinB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly FakeHypervisors _hypervisors = new();
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<IRemoteHosts>(_hypervisors.Hosts));
        _admin = _host.AdminClient();
        var labels = new Dictionary<string, string> { ["fabric.instances/accelerator"] = "tcg" };
        await _host.AddNodeAsync(new { name = "hv1", mac = "52:54:00:00:0e:01", role = "hardware", cpuCores = 4, memoryMiB = 4096, sshAddress = "10.0.0.11", sshHostKey = PinA, labels });
        await _host.AddNodeAsync(new { name = "hv2", mac = "52:54:00:00:0e:02", role = "hardware", cpuCores = 4, memoryMiB = 1024, sshAddress = "10.0.0.12", sshHostKey = PinB, labels });
        _hypervisors.Script(new SshTarget("10.0.0.11", 22, "root", PinA));
        _hypervisors.Script(new SshTarget("10.0.0.12", 22, "root", PinB));
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private static object Web(long memoryMiB = 512, string? hypervisor = null) =>
        new { name = "web", vCpus = 2, memoryMiB, image = "debian-13", diskVolume = "/srv/fabric/volumes/web.img", hypervisor };

    private static async Task<JobDto> AcceptedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.Accepted == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        var job = System.Text.Json.JsonSerializer.Deserialize<JobDto>(body, FabricJson.Options)!;
        Assert.Equal($"/api/v1/jobs/{job.Id}", response.Headers.Location?.OriginalString);
        return job;
    }

    private async Task<JobDto> FinishedAsync(JobDto job)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (job.State is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {job.Id} is still {job.State}");
            await Task.Delay(50);
            job = (await _host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{job.Id}", FabricJson.Options))!;
        }

        return job;
    }

    private async Task<InstanceDto> InstanceAsync(string name) =>
        (await _host.Client.GetFromJsonAsync<InstanceDto>($"/api/v1/instances/{name}", FabricJson.Options))!;

    private async Task RunningWebAsync()
    {
        var job = await FinishedAsync(await AcceptedAsync(await _admin.PostAsJsonAsync("/api/v1/instances", Web())));
        Assert.True(job.State == "succeeded", job.Error);
    }

    [Fact]
    public async Task Post_FitsOnHv1_AcceptedWithTheCreateJobThenRunning()
    {
        var job = await AcceptedAsync(await _admin.PostAsJsonAsync("/api/v1/instances", Web()));

        Assert.Equal(("instance-create", "web"), (job.Kind, job.Node));
        var finished = await FinishedAsync(job);
        Assert.True(finished.State == "succeeded", finished.Error);
        var web = await InstanceAsync("web");
        Assert.Equal(("running", "hv1", 2, 512L, "debian-13"), (web.State, web.Hypervisor, web.VCpus!.Value, web.MemoryMiB!.Value, web.Image));
        Assert.True(Fabric.Instances.Addressing.InstanceMac.IsLocalUnicast(Fabric.Core.MacAddress.Parse(web.Mac!)));
        Assert.True(_hypervisors.Running("10.0.0.11", "web"));
        var list = await _host.Client.GetFromJsonAsync<List<InstanceDto>>("/api/v1/instances", FabricJson.Options);
        Assert.Equal(["web"], list!.Select(i => i.Name));
    }

    [Fact]
    public async Task Post_NoHypervisorHasTheMemory_ConflictNamingWhatIsShortAndNothingStored()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/instances", Web(memoryMiB: 8192));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "placement", "hv1: memory short by 4096 MiB");
        Assert.Contains("hv2: memory short by 7168 MiB", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
        Assert.Empty((await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options))!);
    }

    [Fact]
    public async Task Post_MissingFields_BadRequestNamingEach()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/instances", new { name = "web" });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "vCpus");
        foreach (var field in new[] { "memoryMiB", "diskVolume" })
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public async Task Post_WithoutToken_Unauthorized()
    {
        var response = await _host.Client.PostAsJsonAsync("/api/v1/instances", Web());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
    }

    [Fact]
    public async Task Migrate_TargetWithoutTheMemory_ConflictBeforeAnyJob()
    {
        await RunningWebAsync();
        await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "hv3", mac = "52:54:00:00:0e:03", role = "hardware", cpuCores = 4, memoryMiB = 256 });
        int jobs = (await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options))!.Count;

        var response = await _admin.PostAsJsonAsync("/api/v1/instances/web/migrate", new { target = "hv3" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "target", "hv3: memory short by 256 MiB");
        Assert.Equal(jobs, (await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options))!.Count);
        Assert.Equal(("running", "hv1"), ((await InstanceAsync("web")).State, (await InstanceAsync("web")).Hypervisor));
    }

    [Fact]
    public async Task Migrate_NoBody_PlacementChoosesHv2AndTheJobMovesIt()
    {
        await RunningWebAsync();

        var job = await AcceptedAsync(await _admin.PostAsync("/api/v1/instances/web/migrate", null));

        Assert.Equal(("instance-migrate", "hv2"), (job.Kind, job.Arguments["target"]));
        var finished = await FinishedAsync(job);
        Assert.True(finished.State == "succeeded", finished.Error);
        Assert.Equal(("running", "hv2"), ((await InstanceAsync("web")).State, (await InstanceAsync("web")).Hypervisor));
        Assert.Equal("bytes", finished.Progress!.Unit);
        Assert.Contains("10.0.0.12 migrate-incoming", _hypervisors.QmpCommands);
        Assert.Contains("10.0.0.11 migrate", _hypervisors.QmpCommands);
        Assert.False(_hypervisors.Running("10.0.0.11", "web"));
    }

    [Fact]
    public async Task StopThenDelete_RunningRefusedStoppedRemovedPurgeNotAvailable()
    {
        await RunningWebAsync();
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/instances/web"), HttpStatusCode.Conflict, "state", "only a stopped instance is removed");

        var stop = await FinishedAsync(await AcceptedAsync(await _admin.PostAsync("/api/v1/instances/web/stop", null)));
        Assert.True(stop.State == "succeeded", stop.Error);
        Assert.Equal("stopped", (await InstanceAsync("web")).State);
        await ProblemAssert.IsProblemAsync(await _admin.PostAsync("/api/v1/instances/web/stop", null), HttpStatusCode.Conflict, "state", "not running");

        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/instances/web?purgeVolume=true"), HttpStatusCode.BadRequest, "purgeVolume", "not a volume of a pair");
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/instances/web?purgeVolume=maybe"), HttpStatusCode.BadRequest, "purgeVolume");
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/v1/instances/web")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
    }

    [Fact]
    public async Task Start_StoppedInstance_RunsAgain()
    {
        await RunningWebAsync();
        await FinishedAsync(await AcceptedAsync(await _admin.PostAsync("/api/v1/instances/web/stop", null)));

        var start = await FinishedAsync(await AcceptedAsync(await _admin.PostAsync("/api/v1/instances/web/start", null)));

        Assert.True(start.State == "succeeded", start.Error);
        Assert.Equal("instance-start", start.Kind);
        Assert.Equal("running", (await InstanceAsync("web")).State);
    }

    [Fact]
    public async Task Console_RunningInstance_TheTailAsText()
    {
        await RunningWebAsync();

        var response = await _host.Client.GetAsync("/api/v1/instances/web/console?bytes=4096");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(FakeHypervisors.Console, await response.Content.ReadAsStringAsync());
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/instances/web/console?bytes=0"), HttpStatusCode.BadRequest, "bytes");
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/instances/nope/console"), HttpStatusCode.NotFound, "name");
    }

    [Fact]
    public async Task Evacuate_Hv1_InstanceMovedAndHv1Cordoned()
    {
        await RunningWebAsync();

        var job = await FinishedAsync(await AcceptedAsync(await _admin.PostAsync("/api/v1/nodes/hv1/evacuate", null)));

        Assert.True(job.State == "succeeded", job.Error);
        Assert.Equal("node-evacuate", job.Kind);
        Assert.Equal("hv2", (await InstanceAsync("web")).Hypervisor);
        var hv1 = await _host.Client.GetFromJsonAsync<NodeDto>("/api/v1/nodes/hv1", FabricJson.Options);
        Assert.Equal("true", hv1!.Labels["fabric.instances/cordoned"]);
        await ProblemAssert.IsProblemAsync(await _admin.PostAsync("/api/v1/nodes/nope/evacuate", null), HttpStatusCode.NotFound, "name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsync("/api/v1/nodes/web/evacuate", null), HttpStatusCode.Conflict, "role");
    }

    [Fact]
    public async Task Get_UnknownInstanceOrANodeOfAnotherRole_NotFound()
    {
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/instances/hv1"), HttpStatusCode.NotFound, "name");
        await ProblemAssert.IsProblemAsync(await _admin.PostAsync("/api/v1/instances/nope/start", null), HttpStatusCode.NotFound, "name");
    }
}
