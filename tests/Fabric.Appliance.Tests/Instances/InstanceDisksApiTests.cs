using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Appliance.Tests.Storage;
using Fabric.Cli;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Instances;

/// <summary>Instances whose disk is a volume of a storage pair, on a real appliance: storage pair p1 (s1 shelf 1, s2
/// shelf 2) and hypervisors hv1 (no disk label: md) and hv2 (<c>fabric.instances/disk=path</c>), all behind one
/// <see cref="FakeRemoteHosts"/>.</summary>
public sealed class InstanceDisksApiTests : IAsyncLifetime
{
    private const string PinHv1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";
    private const string PinHv2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ7Ye3KcFVBMWcTDy0GcGw5EfkpDz8kS3EhY2sX2gKQv";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly FakeHypervisors _hypervisors = new();
    private readonly SshTarget _hv1 = new("10.0.0.11", 22, "root", PinHv1);
    private readonly SshTarget _hv2 = new("10.0.0.12", 22, "root", PinHv2);
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        var hosts = _hypervisors.Hosts;
        foreach (var target in new[] { new SshTarget("10.9.0.1", 22, "root", FakeStoragePair.PinA), new SshTarget("10.9.0.2", 22, "root", FakeStoragePair.PinB) })
        {
            var host = hosts.Host(target);
            host.On(c => c.Arguments.Count > 4 && c.Arguments[2].Contains("sha256sum", StringComparison.Ordinal), c =>
                FakeReply.Ok(host.Files.TryGetValue(c.Arguments[4], out var content) ? Convert.ToHexStringLower(SHA256.HashData(content)) + "\n" : ""));
        }

        _host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<IRemoteHosts>(hosts));
        _admin = _host.AdminClient();
        await _host.AddNodeAsync(new { name = "s1", mac = "52:54:00:00:0c:01", role = "storage", pair = "p1", aoeShelf = 1, sshAddress = "10.9.0.1", sshHostKey = FakeStoragePair.PinA });
        await _host.AddNodeAsync(new { name = "s2", mac = "52:54:00:00:0c:02", role = "storage", pair = "p1", aoeShelf = 2, sshAddress = "10.9.0.2", sshHostKey = FakeStoragePair.PinB });
        await _host.AddNodeAsync(new { name = "hv1", mac = "52:54:00:00:0e:01", role = "hardware", cpuCores = 4, memoryMiB = 4096, sshAddress = "10.0.0.11", sshHostKey = PinHv1 });
        await _host.AddNodeAsync(new
        {
            name = "hv2",
            mac = "52:54:00:00:0e:02",
            role = "hardware",
            cpuCores = 4,
            memoryMiB = 2048,
            sshAddress = "10.0.0.12",
            sshHostKey = PinHv2,
            labels = new Dictionary<string, string> { ["fabric.instances/disk"] = "path" },
        });
        _hypervisors.Script(_hv1);
        _hypervisors.Script(_hv2);
        var push = await AcceptedAsync(await _admin.PutAsync("/api/v1/images/debian?pair=p1", new ByteArrayContent(TestImages.Ext4(8192))));
        Assert.Equal("succeeded", (await FinishedAsync(push)).State);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private static async Task<JobDto> AcceptedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(HttpStatusCode.Accepted == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return System.Text.Json.JsonSerializer.Deserialize<JobDto>(body, FabricJson.Options)!;
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

    private async Task<List<PairVolumeDto>> VolumesAsync() => (await _host.Client.GetFromJsonAsync<List<PairVolumeDto>>("/api/v1/volumes", FabricJson.Options))!;

    private async Task<JobDto> LaunchAsync(string? hypervisor = null)
    {
        var job = await FinishedAsync(await AcceptedAsync(await _admin.PostAsJsonAsync("/api/v1/instances", new { name = "web", vCpus = 1, memoryMiB = 512, image = "debian", pair = "p1", hypervisor })));
        Assert.True(job.State == "succeeded", job.Error);
        return job;
    }

    private async Task StopAsync() =>
        Assert.Equal("succeeded", (await FinishedAsync(await AcceptedAsync(await _admin.PostAsync("/api/v1/instances/web/stop", null)))).State);

    [Fact]
    public async Task Post_ImageAndPair_CreateJobMakesVolumeWebDiskAndQemuOpensItsMdMirror()
    {
        var job = await LaunchAsync("hv1");

        Assert.Equal(new Dictionary<string, string> { ["pair"] = "p1" }, job.Arguments);
        var instance = (await _host.Client.GetFromJsonAsync<InstanceDto>("/api/v1/instances/web", FabricJson.Options))!;
        Assert.Equal(("web-disk", "running"), (instance.DiskVolume, instance.State));
        var volume = Assert.Single(await VolumesAsync());
        Assert.Equal(("web-disk", "p1", 1, 8192L), (volume.Name, volume.Pair, volume.Slot, volume.SizeBytes));
        Assert.Equal(["web"], volume.UsedBy);
        var commands = _hypervisors.Hosts.Host(_hv1).Commands;
        int assemble = commands.ToList().FindIndex(c => c.ShellText.Contains("mdadm --assemble", StringComparison.Ordinal));
        int launch = commands.ToList().FindIndex(c => c.Arguments.Contains("qemu-system-x86_64"));
        Assert.True(assemble >= 0 && assemble < launch, string.Join('\n', commands.Select(c => c.ShellText)));
        Assert.Equal(["/dev/md/web-disk", "/dev/etherd/e1.1", "/dev/etherd/e2.1"], commands[assemble].Arguments.Skip(4).Take(3));
        Assert.Contains("file=/dev/md/web-disk,format=raw,if=virtio,cache=none", commands[launch].Arguments);
    }

    [Fact]
    public async Task Post_OnHypervisorLabelledPath_QemuOpensTheFirstStorageNodesVolumeFile()
    {
        await LaunchAsync("hv2");

        var launch = _hypervisors.Hosts.Host(_hv2).Commands.Single(c => c.Arguments.Contains("qemu-system-x86_64"));
        var file = Assert.Single(Assert.Single(await VolumesAsync()).Copies, c => c.Node == "s1").BackingPath;
        Assert.Contains($"file={file},format=raw,if=virtio,cache=writethrough", launch.Arguments);
        Assert.DoesNotContain(_hypervisors.Hosts.Host(_hv2).Commands, c => c.ShellText.Contains("mdadm", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_DiskImage_VolumeMadeFromItAndQemuOpensIt()
    {
        var push = await AcceptedAsync(await _admin.PutAsync("/api/v1/images/guest?pair=p1", new ByteArrayContent(TestImages.Disk(16384))));
        Assert.Equal("succeeded", (await FinishedAsync(push)).State);

        var job = await FinishedAsync(await AcceptedAsync(await _admin.PostAsJsonAsync("/api/v1/instances", new { name = "web", vCpus = 1, memoryMiB = 512, image = "guest", pair = "p1", hypervisor = "hv2" })));

        Assert.True(job.State == "succeeded", job.Error);
        var volume = Assert.Single(await VolumesAsync());
        Assert.Equal(("web-disk", 16384L), (volume.Name, volume.SizeBytes));
        var file = Assert.Single(volume.Copies, c => c.Node == "s1").BackingPath;
        var launch = _hypervisors.Hosts.Host(_hv2).Commands.Single(c => c.Arguments.Contains("qemu-system-x86_64"));
        Assert.Contains($"file={file},format=raw,if=virtio,cache=writethrough", launch.Arguments);
    }

    [Fact]
    public async Task Post_TarImage_BadRequestNamingImageAndNothingStored()
    {
        var push = await AcceptedAsync(await _admin.PutAsync("/api/v1/images/nfsroot?pair=p1", new ByteArrayContent(TestImages.Tar())));
        Assert.Equal("succeeded", (await FinishedAsync(push)).State);

        var response = await _admin.PostAsJsonAsync("/api/v1/instances", new { name = "web", vCpus = 1, memoryMiB = 512, image = "nfsroot", pair = "p1" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "image", "a volume is made from an ext4 or disk image");
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
        Assert.Empty(await VolumesAsync());
        Assert.Empty(_host.Registry.ListReservations());
    }

    [Fact]
    public async Task Delete_PurgeVolume_InstanceGoneThenVolumeRemoveJobRemovesTheVolume()
    {
        await LaunchAsync();
        await StopAsync();

        var job = await FinishedAsync(await AcceptedAsync(await _admin.DeleteAsync("/api/v1/instances/web?purgeVolume=true")));

        Assert.True(job.State == "succeeded", job.Error);
        Assert.Equal(("volume-remove", "web-disk"), (job.Kind, job.Arguments["name"]));
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
        Assert.Empty(await VolumesAsync());
    }

    [Fact]
    public async Task Delete_WithoutPurge_VolumeStaysUnused()
    {
        await LaunchAsync();
        await StopAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/v1/instances/web")).StatusCode);

        var volume = Assert.Single(await VolumesAsync());
        Assert.Equal(("web-disk", 0), (volume.Name, volume.UsedBy.Count));
    }

    [Theory]
    [InlineData("{\"name\":\"web\",\"vCpus\":1,\"memoryMiB\":512,\"image\":\"debian\"}", "pair", "DefaultPair is not set")]
    [InlineData("{\"name\":\"web\",\"vCpus\":1,\"memoryMiB\":512,\"image\":\"missing\",\"pair\":\"p1\"}", "image", "no image 'missing'")]
    [InlineData("{\"name\":\"web\",\"vCpus\":1,\"memoryMiB\":512,\"image\":\"debian\",\"pair\":\"p9\"}", "pair", "pair 'p9' has 0 storage node(s)")]
    [InlineData("{\"name\":\"web\",\"vCpus\":1,\"memoryMiB\":512,\"diskVolume\":\"nothing-here\"}", "diskVolume", "no volume named 'nothing-here'")]
    [InlineData("{\"name\":\"web\",\"vCpus\":1,\"memoryMiB\":512}", "diskVolume", "or an image to make one from")]
    public async Task Post_NoPairMissingImageOrUnknownVolume_BadRequestNamingItAndNothingStored(string body, string field, string reason)
    {
        var response = await _admin.PostAsync("/api/v1/instances", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, field, reason);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
        Assert.Empty(await VolumesAsync());
    }

    [Fact]
    public async Task Delete_PurgeVolumeOfAFileDisk_BadRequestAndTheInstanceStays()
    {
        var job = await FinishedAsync(await AcceptedAsync(await _admin.PostAsJsonAsync("/api/v1/instances", new { name = "web", vCpus = 1, memoryMiB = 512, diskVolume = "/srv/lab/web.img" })));
        Assert.Equal("succeeded", job.State);
        await StopAsync();

        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/instances/web?purgeVolume=true"), HttpStatusCode.BadRequest, "purgeVolume", "not a volume of a pair");

        Assert.Equal(HttpStatusCode.OK, (await _host.Client.GetAsync("/api/v1/instances/web")).StatusCode);
    }

    [Fact]
    public async Task Cli_CreateWithImageAndPairThenRmPurgeVolume_DiskMadeThenRemovedWithItsJob()
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
            int code = await CliApp.RunAsync(args, environment).WaitAsync(Patience);
            return (code, output.ToString(), error.ToString());
        }

        var created = await RunAsync("instance", "create", "web", "--vcpus", "1", "--memory-mib", "512", "--image", "debian", "--pair", "p1", "--wait");
        Assert.True(created.Code == 0, created.Err);
        Assert.Equal("web-disk", (await _host.Client.GetFromJsonAsync<InstanceDto>("/api/v1/instances/web", FabricJson.Options))!.DiskVolume);
        Assert.Equal(0, (await RunAsync("instance", "stop", "web", "--wait")).Code);

        var removed = await RunAsync("instance", "rm", "web", "--purge-volume");

        Assert.True(removed.Code == 0, removed.Err);
        Assert.Matches(@"^removed instance web; job \d+ queued: volume-remove web-disk", removed.Out);
        var missing = await RunAsync("instance", "create", "web2", "--vcpus", "1", "--memory-mib", "512");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("diskVolume", missing.Err, StringComparison.Ordinal);
    }
}
