using System.Net;
using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Tests.Api;
using Fabric.Core;
using Fabric.Remote.Testing;
using Fabric.Storage;

namespace Fabric.Appliance.Tests.Storage;

/// <summary><c>/api/v1/images</c>, <c>/api/v1/volumes</c> and a hardware node added without a root, on a real appliance
/// whose storage pair is two fake SSH hosts.</summary>
public sealed class StorageApiTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;
    private FakeRemoteHosts _hosts = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        (_host, _hosts) = await FakeStoragePair.StartAsync();
        _admin = _host.AdminClient();
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<JobDto> UntilFinishedAsync(JobDto job)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (job.State is "queued" or "running")
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {job.Id} is still {job.State}");
            await Task.Delay(50);
            job = (await _host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{job.Id}", FabricJson.Options))!;
        }

        return job;
    }

    private static async Task<JobDto> AcceptedJobAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
    }

    private async Task PushImageAsync(string name, byte[] content)
    {
        var job = await AcceptedJobAsync(await _admin.PutAsync($"/api/v1/images/{name}?pair=p1", new ByteArrayContent(content)));
        Assert.Equal("succeeded", (await UntilFinishedAsync(job)).State);
    }

    [Fact]
    public async Task PutImage_Body_StoredPushedToBothRecordedListed()
    {
        var content = TestImages.Ext4(2 << 20);

        var job = await AcceptedJobAsync(await _admin.PutAsync("/api/v1/images/hnode-root?pair=p1", new ByteArrayContent(content)));
        job = await UntilFinishedAsync(job);

        Assert.True(job.State == "succeeded", job.Error);
        Assert.Equal(("image-push", 2L * content.Length, "bytes"), (job.Kind, job.Progress!.Done, job.Progress.Unit));
        Assert.Equal(content, _hosts.A().Files["/srv/fabric/images/hnode-root.img"]);
        Assert.Equal(content, _hosts.B().Files["/srv/fabric/images/hnode-root.img"]);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_host.DataDir, "images", "p1", "hnode-root.img")));
        var image = Assert.Single((await _host.Client.GetFromJsonAsync<List<ImageDto>>("/api/v1/images", FabricJson.Options))!);
        Assert.Equal(("hnode-root", "p1", (long)content.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), "ext4"), (image.Name, image.Pair, image.SizeBytes, image.Sha256, image.Format));
    }

    [Fact]
    public async Task PutImage_Tar_RecordedAsTarCopiedAsNameTar()
    {
        var content = TestImages.Tar();

        var job = await UntilFinishedAsync(await AcceptedJobAsync(await _admin.PutAsync("/api/v1/images/hnode-nfs?pair=p1", new ByteArrayContent(content))));

        Assert.True(job.State == "succeeded", job.Error);
        Assert.Equal("tar", job.Arguments["format"]);
        Assert.Equal(content, _hosts.A().Files["/srv/fabric/images/hnode-nfs.tar"]);
        Assert.Equal(content, _hosts.B().Files["/srv/fabric/images/hnode-nfs.tar"]);
        Assert.False(_hosts.A().Files.ContainsKey("/srv/fabric/images/hnode-nfs.img"));
        var image = Assert.Single((await _host.Client.GetFromJsonAsync<List<ImageDto>>("/api/v1/images", FabricJson.Options))!);
        Assert.Equal(("hnode-nfs", "tar"), (image.Name, image.Format));
    }

    [Fact]
    public async Task PutImage_DiskImage_RecordedAsDiskCopiedAsNameImg()
    {
        var content = TestImages.Disk(8192);

        var job = await UntilFinishedAsync(await AcceptedJobAsync(await _admin.PutAsync("/api/v1/images/guest?pair=p1", new ByteArrayContent(content))));

        Assert.True(job.State == "succeeded", job.Error);
        Assert.Equal("disk", job.Arguments["format"]);
        Assert.Equal(content, _hosts.A().Files["/srv/fabric/images/guest.img"]);
        Assert.Equal(content, _hosts.B().Files["/srv/fabric/images/guest.img"]);
        var image = Assert.Single((await _host.Client.GetFromJsonAsync<List<ImageDto>>("/api/v1/images", FabricJson.Options))!);
        Assert.Equal(("guest", "disk"), (image.Name, image.Format));
    }

    [Fact]
    public async Task PostVolume_FromDiskImage_JobMakesItOnBoth()
    {
        await PushImageAsync("guest", TestImages.Disk(8192));

        var job = await UntilFinishedAsync(await AcceptedJobAsync(await _admin.PostAsJsonAsync("/api/v1/volumes", new { name = "data1", pair = "p1", sizeBytes = 8192L, image = "guest" })));

        Assert.True(job.State == "succeeded", job.Error);
        var volume = Assert.Single((await _host.Client.GetFromJsonAsync<List<PairVolumeDto>>("/api/v1/volumes", FabricJson.Options))!);
        Assert.Equal(("data1", 8192L), (volume.Name, volume.SizeBytes));
        Assert.Contains(_hosts.B().Commands, c => c.Arguments.Contains("/srv/fabric/volumes/data1.img") && c.Arguments.Contains("/srv/fabric/images/guest.img"));
    }

    [Fact]
    public async Task PostNode_ProvisionFromDiskImage_BadRequestNamingProvisionImageNothingStored()
    {
        await PushImageAsync("guest", TestImages.Disk(8192));

        var response = await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "h1", mac = "52:54:00:00:0d:01", role = "hardware", provision = new { pair = "p1", image = "guest" } });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "provision.image", "a node's root is made from an ext4 or tar image");
        Assert.Null(_host.Registry.FindNode("h1"));
        Assert.Empty(_host.Registry.ListReservations());
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(100)]
    [InlineData(3 << 20)]
    public async Task PutImage_NeitherExt4NorTar_ProblemNamingBodyNothingStored(int size)
    {
        await PushImageAsync("base", TestImages.Ext4(4096));
        var before = await File.ReadAllBytesAsync(Path.Combine(_host.DataDir, "images", "p1", "base.img"));

        var response = await _admin.PutAsync("/api/v1/images/base?pair=p1", new ByteArrayContent(new byte[size]));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "body", "neither an ext4");
        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Combine(_host.DataDir, "images", "p1", "base.img")));
        Assert.Equal(["base.img"], Directory.GetFiles(Path.Combine(_host.DataDir, "images", "p1")).Select(Path.GetFileName));
        var image = Assert.Single((await _host.Client.GetFromJsonAsync<List<ImageDto>>("/api/v1/images", FabricJson.Options))!);
        Assert.Equal((4096L, "ext4"), (image.SizeBytes, image.Format));
    }

    [Fact]
    public async Task PostVolume_FromTarImage_ProblemNamingImage()
    {
        await PushImageAsync("nfsroot", TestImages.Tar());

        var response = await _admin.PostAsJsonAsync("/api/v1/volumes", new { name = "data1", pair = "p1", sizeBytes = 64L << 20, image = "nfsroot" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "image");
        Assert.Empty(_host.Registry.ListReservations());
        Assert.Empty(_host.Registry.ListVolumes());
    }

    [Fact]
    public async Task PutImage_LargerThanTheJsonBodyLimit_Accepted()
    {
        var content = TestImages.Ext4((1 << 20) + 4096);

        var response = await _admin.PutAsync("/api/v1/images/big?pair=p1", new ByteArrayContent(content));

        Assert.Equal("succeeded", (await UntilFinishedAsync(await AcceptedJobAsync(response))).State);
    }

    [Theory]
    [InlineData("/api/v1/images/base?pair=nowhere", HttpStatusCode.NotFound, "pair")]
    [InlineData("/api/v1/images/base", HttpStatusCode.BadRequest, "pair")]
    [InlineData("/api/v1/images/..base?pair=p1", HttpStatusCode.BadRequest, "name")]
    public async Task PutImage_BadNameOrPair_ProblemNamingIt(string path, HttpStatusCode status, string field)
    {
        var response = await _admin.PutAsync(path, new ByteArrayContent([1, 2, 3]));

        await ProblemAssert.IsProblemAsync(response, status, field);
        Assert.Empty((await _host.Client.GetFromJsonAsync<List<ImageDto>>("/api/v1/images", FabricJson.Options))!);
    }

    [Fact]
    public async Task PutImage_NoToken_Unauthorized()
    {
        var response = await _host.Client.PutAsync("/api/v1/images/base?pair=p1", new ByteArrayContent([1]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task PostVolume_FromImage_JobMakesItOnBothListedWithItsRoot()
    {
        await PushImageAsync("base", TestImages.Ext4(4096));

        var job = await AcceptedJobAsync(await _admin.PostAsJsonAsync("/api/v1/volumes", new { name = "data1", pair = "p1", sizeBytes = 64L << 20, image = "base" }));
        job = await UntilFinishedAsync(job);

        Assert.True(job.State == "succeeded", job.Error);
        var volume = Assert.Single((await _host.Client.GetFromJsonAsync<List<PairVolumeDto>>("/api/v1/volumes", FabricJson.Options))!);
        Assert.Equal(("data1", "p1", 1, "aoe-md:e1.1,e2.1"), (volume.Name, volume.Pair, volume.Slot, volume.Root));
        Assert.Equal(["e1.1", "e2.1"], volume.Copies.Select(c => c.Target));
        Assert.Contains(_hosts.A().Commands, c => c.Arguments.Contains("/srv/fabric/volumes/data1.img") && c.Arguments.Contains("/srv/fabric/images/base.img"));
    }

    [Theory]
    [InlineData("{\"name\":\"a b\",\"pair\":\"p1\",\"sizeBytes\":1024}", HttpStatusCode.BadRequest, "name")]
    [InlineData("{\"name\":\"v1\",\"pair\":\"p1\"}", HttpStatusCode.BadRequest, "sizeBytes")]
    [InlineData("{\"name\":\"v1\",\"sizeBytes\":1024}", HttpStatusCode.BadRequest, "pair")]
    [InlineData("{\"name\":\"v1\",\"pair\":\"nowhere\",\"sizeBytes\":1024}", HttpStatusCode.NotFound, "pair")]
    [InlineData("{\"name\":\"v1\",\"pair\":\"p1\",\"sizeBytes\":1024,\"image\":\"missing\"}", HttpStatusCode.BadRequest, "image")]
    [InlineData("{\"name\":\"v1\",\"pair\":\"p1\",\"sizeBytes\":\"big\"}", HttpStatusCode.BadRequest, "sizeBytes")]
    public async Task PostVolume_BadRequest_ProblemNamingTheField(string body, HttpStatusCode status, string field)
    {
        var response = await _admin.PostAsync("/api/v1/volumes", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, status, field);
        Assert.Empty(_host.Registry.ListReservations());
        Assert.Empty(_host.Registry.ListVolumes());
    }

    [Fact]
    public async Task PostVolume_NoFreeSlot_ConflictNamingSlot()
    {
        for (int slot = 1; slot <= AoeTarget.MaxSlot; slot++)
        {
            Assert.True((await _host.Registry.ReserveVolumeSlotAsync("p1", $"held{slot}")).Succeeded);
        }

        var response = await _admin.PostAsJsonAsync("/api/v1/volumes", new { name = "v1", pair = "p1", sizeBytes = 1024 });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "slot");
    }

    [Fact]
    public async Task PostVolume_TenAtOnce_TenDistinctSlots()
    {
        var posts = Enumerable.Range(1, 10).Select(i => _admin.PostAsJsonAsync("/api/v1/volumes", new { name = $"v{i}", pair = "p1", sizeBytes = 1024 })).ToList();
        var jobs = await Task.WhenAll((await Task.WhenAll(posts)).Select(AcceptedJobAsync));
        foreach (var job in jobs)
        {
            Assert.Equal("succeeded", (await UntilFinishedAsync(job)).State);
        }

        var volumes = _host.Registry.ListVolumes();
        Assert.Equal(Enumerable.Range(1, 10), volumes.Select(v => v.Slot).Order());
    }

    [Fact]
    public async Task DeleteVolume_RootOfANode_ConflictThenUnused_JobRemovesIt()
    {
        var made = await AcceptedJobAsync(await _admin.PostAsJsonAsync("/api/v1/volumes", new { name = "v1", pair = "p1", sizeBytes = 1024 }));
        Assert.Equal("succeeded", (await UntilFinishedAsync(made)).State);
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:0d:01", role = "hardware", root = "aoe-md:e1.1,e2.1" });

        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/volumes/v1"), HttpStatusCode.Conflict, "name", "in use by h1");
        Assert.Single(_host.Registry.ListVolumes());

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/v1/nodes/h1")).StatusCode);
        var removal = await UntilFinishedAsync(await AcceptedJobAsync(await _admin.DeleteAsync("/api/v1/volumes/v1")));

        Assert.True(removal.State == "succeeded", removal.Error);
        Assert.Empty(_host.Registry.ListVolumes());
        Assert.Contains(_hosts.B().Commands, c => c.Arguments.Contains("/srv/fabric/volumes/v1.img") && c.Arguments[2].Contains("rm -f", StringComparison.Ordinal));
        await ProblemAssert.IsProblemAsync(await _admin.DeleteAsync("/api/v1/volumes/v1"), HttpStatusCode.NotFound, "name");
    }

    [Fact]
    public async Task PostNode_HardwareWithoutRootOrPairNoDefault_PlainAddNoJob()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "h1", mac = "52:54:00:00:0d:01", role = "hardware" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var node = _host.Registry.FindNode("h1")!;
        Assert.Equal(NodeState.Registered, node.State);
        Assert.Null(node.Hardware!.Root);
        Assert.Empty(_host.Registry.ListVolumes());
    }

    [Fact]
    public async Task PostNode_ProvisionImageButNoPairNoDefault_BadRequestNamingRoot()
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "h1", mac = "52:54:00:00:0d:01", role = "hardware", provision = new { image = "base" } });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "root");
        Assert.Null(_host.Registry.FindNode("h1"));
    }

    [Theory]
    [InlineData("{\"name\":\"h1\",\"mac\":\"52:54:00:00:0d:01\",\"role\":\"hardware\",\"provision\":{\"pair\":\"nowhere\",\"image\":\"base\"}}", HttpStatusCode.NotFound, "provision.pair")]
    [InlineData("{\"name\":\"h1\",\"mac\":\"52:54:00:00:0d:01\",\"role\":\"hardware\",\"provision\":{\"pair\":\"p1\",\"image\":\"missing\"}}", HttpStatusCode.BadRequest, "provision.image")]
    [InlineData("{\"name\":\"h1\",\"mac\":\"52:54:00:00:0d:01\",\"role\":\"hardware\",\"provision\":{\"pair\":\"p1\"}}", HttpStatusCode.BadRequest, "provision.image")]
    [InlineData("{\"name\":\"h1\",\"mac\":\"52:54:00:00:0d:01\",\"role\":\"storage\",\"provision\":{\"pair\":\"p1\",\"image\":\"base\"}}", HttpStatusCode.BadRequest, "provision")]
    [InlineData("{\"name\":\"h1\",\"mac\":\"52:zz\",\"role\":\"hardware\",\"provision\":{\"pair\":\"p1\",\"image\":\"base\"}}", HttpStatusCode.BadRequest, "mac")]
    public async Task PostNode_BadProvision_ProblemNamingTheFieldNothingStored(string body, HttpStatusCode status, string field)
    {
        await PushImageAsync("base", TestImages.Ext4(4096));

        var response = await _admin.PostAsync("/api/v1/nodes", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, status, field);
        Assert.Null(_host.Registry.FindNode("h1"));
        Assert.Empty(_host.Registry.ListReservations());
    }

    [Fact]
    public async Task PostNode_HardwareWithProvision_ProvisioningThenRegisteredOnItsMdRoot()
    {
        await PushImageAsync("hnode-root", TestImages.Ext4(8192));

        var response = await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "hnode01", mac = "52:54:00:00:0d:01", role = "hardware", provision = new { pair = "p1", image = "hnode-root" } });

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<ProvisionedNodeDto>(FabricJson.Options))!;
        Assert.Equal(("provisioning", null, "provision-root", "hnode01"), (answer.Node.State, answer.Node.Root, answer.Job.Kind, answer.Job.Node));
        var job = await UntilFinishedAsync(answer.Job);
        Assert.True(job.State == "succeeded", job.Error);
        var node = _host.Registry.FindNode("hnode01")!;
        Assert.Equal((NodeState.Registered, "aoe-md:e1.1,e2.1"), (node.State, node.Hardware!.Root!.ToString()));
        Assert.Equal(["hnode01"], _host.Registry.ListVolumes().Single(v => v.Name == "hnode01-root").UsedBy);
    }

    [Fact]
    public async Task PostNode_HardwareWithTarImage_NoSlotHeldRegisteredOnNfsRootExportedByBoth()
    {
        await PushImageAsync("hnode-nfs", TestImages.Tar());

        var response = await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "hnode01", mac = "52:54:00:00:0d:01", role = "hardware", provision = new { pair = "p1", image = "hnode-nfs" } });

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<ProvisionedNodeDto>(FabricJson.Options))!;
        Assert.Empty(_host.Registry.ListReservations());
        var job = await UntilFinishedAsync(answer.Job);
        Assert.True(job.State == "succeeded", job.Error);
        var node = _host.Registry.FindNode("hnode01")!;
        Assert.Equal((NodeState.Registered, "nfs:10.9.0.1:/srv/fabric/nfs/hnode01-root"), (node.State, node.Hardware!.Root!.ToString()));
        Assert.Equal(["/srv/fabric/nfs/hnode01-root"], _host.Registry.FindNode("s1")!.Storage!.NfsExports);
        Assert.Equal(["/srv/fabric/nfs/hnode01-root"], _host.Registry.FindNode("s2")!.Storage!.NfsExports);
        Assert.Empty(_host.Registry.ListVolumes());
        Assert.Contains(_hosts.B().Commands, c => c.Arguments.Contains("/srv/fabric/nfs/hnode01-root") && c.Arguments.Contains("/srv/fabric/images/hnode-nfs.tar"));
        Assert.Contains("Path = \"/srv/fabric/nfs/hnode01-root\"", System.Text.Encoding.UTF8.GetString(_hosts.A().Files["/run/fabric/ganesha.conf"]), StringComparison.Ordinal);

        var drop = await _admin.PatchAsJsonAsync("/api/v1/nodes/s1", new { nfsExports = Array.Empty<string>() });

        await ProblemAssert.IsProblemAsync(drop, HttpStatusCode.Conflict, "nfsExports", "root of hnode01");
        Assert.Equal(["/srv/fabric/nfs/hnode01-root"], _host.Registry.FindNode("s1")!.Storage!.NfsExports);
    }

    [Fact]
    public async Task GetBootScript_WhileProvisioning_TheWaitingScript()
    {
        await PushImageAsync("hnode-root", TestImages.Ext4(8192));
        _hosts.A().On(c => c.Arguments.Contains("/srv/fabric/volumes/hnode01-root.img"), new FakeReply(RunsUntilCancelled: true));
        var answer = (await (await _admin.PostAsJsonAsync("/api/v1/nodes", new { name = "hnode01", mac = "52:54:00:00:0d:01", role = "hardware", provision = new { pair = "p1", image = "hnode-root" } }))
            .Content.ReadFromJsonAsync<ProvisionedNodeDto>(FabricJson.Options))!;

        var script = await _host.Client.GetStringAsync("/boot/52:54:00:00:0d:01.ipxe");

        Assert.Contains("# provisioning.ipxe", script, StringComparison.Ordinal);
        Assert.Equal(NodeState.Provisioning, _host.Registry.FindNode("hnode01")!.State);
        Assert.Equal(HttpStatusCode.Accepted, (await _admin.PostAsync($"/api/v1/jobs/{answer.Job.Id}/cancel", null)).StatusCode);
        Assert.Equal("cancelled", (await UntilFinishedAsync(answer.Job)).State);
        Assert.Equal(NodeState.Failed, _host.Registry.FindNode("hnode01")!.State);
        Assert.Empty(_host.Registry.ListVolumes());
    }

    [Fact]
    public async Task OpenApi_StoragePaths_Described()
    {
        var document = await _host.Client.GetStringAsync("/openapi/v1.json");

        Assert.Contains("/api/v1/images/{name}", document, StringComparison.Ordinal);
        Assert.Contains("/api/v1/volumes/{name}", document, StringComparison.Ordinal);
        Assert.Contains("ProvisionRequest", document, StringComparison.Ordinal);
    }
}

/// <summary>The <c>Fabric:Storage</c> defaults: a hardware node added with nothing but its MAC.</summary>
public sealed class StorageDefaultsTests
{
    [Fact]
    public async Task PostNode_OnlyAMac_DefaultPairAndImageProvisionIt()
    {
        var (host, _) = await FakeStoragePair.StartAsync(new Dictionary<string, string?>
        {
            [$"{StorageOptions.Section}:DefaultPair"] = "p1",
            [$"{StorageOptions.Section}:DefaultImage"] = "hnode-root",
        });
        await using var _ = host;
        using var admin = host.AdminClient();
        var push = await admin.PutAsync("/api/v1/images/hnode-root?pair=p1", new ByteArrayContent(TestImages.Ext4(4096)));
        Assert.Equal(HttpStatusCode.Accepted, push.StatusCode);
        var pushed = (await push.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
        for (int i = 0; i < 1800 && pushed.State is "queued" or "running"; i++)
        {
            await Task.Delay(50);
            pushed = (await host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{pushed.Id}", FabricJson.Options))!;
        }

        Assert.Equal("succeeded", pushed.State);

        var response = await admin.PostAsJsonAsync("/api/v1/nodes", new { name = "hnode01", mac = "52:54:00:00:0d:01", role = "hardware" });

        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<ProvisionedNodeDto>(FabricJson.Options))!;
        Assert.Equal(new Dictionary<string, string> { ["pair"] = "p1", ["image"] = "hnode-root" }, answer.Job.Arguments);
        Assert.Equal("provisioning", answer.Node.State);
    }

    [Theory]
    [InlineData("DefaultPair", "bad pair!")]
    [InlineData("DefaultImage", "../x")]
    public void Validate_BadSetting_OneLineNamingTheKey(string key, string value)
    {
        var options = new StorageOptions();
        typeof(StorageOptions).GetProperty(key)!.SetValue(options, value);

        var result = new StorageOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.StartsWith($"Fabric:Storage:{key}: ", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }
}
