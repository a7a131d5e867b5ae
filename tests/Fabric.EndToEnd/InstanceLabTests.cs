using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fabric.Api.Contracts;

namespace Fabric.EndToEnd;

/// <summary>Instances on two hypervisors (network namespaces with their own sshd, qemu TCG and an Open vSwitch bridge
/// whose uplink is a VLAN trunk), created, migrated, evacuated and removed through the <c>fabric</c> command line; each
/// instance's disk is a volume Fabric made from image <c>guest</c> on storage pair <c>lab</c> (two storage hosts with
/// their own sshd), opened by path on both hypervisors; the guest takes its address from Fabric's DHCP on VLAN 100 and a
/// host on that VLAN pings it. Each test is one <c>netboot/lab --scenario migrate</c> run
/// (<c>netboot/lab.d/migrate.sh</c>).</summary>
[Collection(LabCollection.Name)]
public sealed partial class InstanceLabTests
{
    [Fact]
    public async Task Migrate_UnderPing_RunsOnTargetWithAtMostOnePingLostAndGuestKeepsRunning()
    {
        LabRun run = await Lab.RunAsync("--scenario", "migrate", "--check", "migrate");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("ok", run.Outcome);
        // Created -> running -> answers ping, before the migration.
        Assert.Contains("vm1 answers ping at 10.100.0.10 on hv0", run.Output);
        // Its disk is the volume Fabric made on the pair; the qemus on both hypervisors opened that one file.
        string disk = DiskOf(run, "vm1");
        Assert.Contains($"vm1's qemu on hv1 opens the same volume file, {disk}", run.Output, StringComparison.Ordinal);
        Match lost = LostPings().Match(run.Output);
        Assert.True(lost.Success, run.ToString());
        int n = int.Parse(lost.Groups[1].Value, CultureInfo.InvariantCulture), m = int.Parse(lost.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(m >= 30, $"only {m} pings were sent\n{run}");
        Assert.True(n <= 1, $"{n} of {m} pings lost\n{run}");
        Match figures = Figures().Match(run.Output);
        Assert.True(figures.Success, run.ToString());
        Assert.True(long.Parse(figures.Groups[1].Value, CultureInfo.InvariantCulture) > 0, run.ToString());
        InstanceDto vm1 = Instance(run, "vm1");
        Assert.Equal("running", vm1.State);
        Assert.Equal("hv1", vm1.Hypervisor);
    }

    [Fact]
    public async Task Migrate_TargetWithoutTheMemory_RefusedWith409AndNothingStarted()
    {
        LabRun run = await Lab.RunAsync("--scenario", "migrate", "--check", "no-memory");

        Assert.True(run.ExitCode == 0, run.ToString());
        string? refused = run.Line("refused");
        Assert.NotNull(refused);
        Assert.Contains("hv1", refused);
        Assert.Contains("memory short", refused, StringComparison.Ordinal);
        Assert.Contains("(409)", refused, StringComparison.Ordinal);
        Assert.Contains("nothing started", run.Result, StringComparison.Ordinal);
        InstanceDto vm1 = Instance(run, "vm1");
        Assert.Equal("running", vm1.State);
        Assert.Equal("hv0", vm1.Hypervisor);
    }

    [Fact]
    public async Task Migrate_TargetQemuKilledMidway_JobFailsWithReasonAndInstanceKeepsRunningOnSource()
    {
        LabRun run = await Lab.RunAsync("--scenario", "migrate", "--check", "kill-target");

        Assert.True(run.ExitCode == 0, run.ToString());
        Match job = FailedJob().Match(run.Output);
        Assert.True(job.Success, run.ToString());
        Assert.Contains("keeps running on hv0", job.Groups[1].Value, StringComparison.Ordinal);
        InstanceDto vm1 = Instance(run, "vm1");
        Assert.Equal("running", vm1.State);
        Assert.Equal("hv0", vm1.Hypervisor);
    }

    [Fact]
    public async Task Evacuate_HypervisorWithThreeInstances_AllRunAndAnswerOnTheOther()
    {
        LabRun run = await Lab.RunAsync("--scenario", "migrate", "--check", "evacuate", "--memory", "96");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("hv0 evacuated", run.Result, StringComparison.Ordinal);
        foreach (string name in new[] { "vm1", "vm2", "vm3" })
        {
            InstanceDto instance = Instance(run, name);
            Assert.Equal("running", instance.State);
            Assert.Equal("hv1", instance.Hypervisor);
            Assert.Equal($"{name}-disk", instance.DiskVolume);
            DiskOf(run, name);
        }
    }

    [Fact]
    public async Task Remove_PurgeVolume_VolumeGoneFromBothStorageHostsAndFromTheList()
    {
        LabRun run = await Lab.RunAsync("--scenario", "migrate", "--check", "purge");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("ok", run.Outcome);
        string disk = DiskOf(run, "vm1");
        string? purged = run.Line("purge");
        Assert.True(purged is not null, run.ToString());
        Assert.StartsWith($"vm1-disk gone from stor0 ({disk}) and stor1 (", purged, StringComparison.Ordinal);
        Assert.EndsWith("fabric volume list does not show it", purged, StringComparison.Ordinal);
        Assert.Contains("removed instance vm1; job ", run.Output, StringComparison.Ordinal);
        Assert.Contains("volume-remove vm1-disk", run.Output, StringComparison.Ordinal);
        string json = run.Line("instances-json") ?? throw new Xunit.Sdk.XunitException($"no instances-json line\n{run}");
        Assert.DoesNotContain(JsonSerializer.Deserialize<List<InstanceDto>>(json, FabricJson.Options)!, i => i.Name == "vm1");
    }

    /// <summary>The volume file of <paramref name="name"/>'s disk the lab found its qemu opening: <c>lab: instance disk
    /// NAME-disk on pair lab (PATH)</c>, PATH the storage host stor0's copy.</summary>
    private static string DiskOf(LabRun run, string name)
    {
        Match disk = Regex.Match(run.Output, $@"lab: instance disk {name}-disk on pair lab \((/[^)]*)\)");
        Assert.True(disk.Success, $"no disk line for {name}\n{run}");
        string path = disk.Groups[1].Value;
        Assert.EndsWith($"/stor0/volumes/{name}-disk.img", path, StringComparison.Ordinal);
        return path;
    }

    /// <summary>An instance as the registry listed it at the end (<c>lab: instances-json</c>).</summary>
    private static InstanceDto Instance(LabRun run, string name)
    {
        string json = run.Line("instances-json") ?? throw new Xunit.Sdk.XunitException($"no instances-json line\n{run}");
        var all = JsonSerializer.Deserialize<List<InstanceDto>>(json, FabricJson.Options)!;
        return all.SingleOrDefault(i => i.Name == name) ?? throw new Xunit.Sdk.XunitException($"no instance {name}\n{run}");
    }

    [GeneratedRegex(@"lab: migration lost (\d+) of (\d+) pings")]
    private static partial Regex LostPings();

    [GeneratedRegex(@"lab: migration total-ms (\d+) downtime-ms (\d+)")]
    private static partial Regex Figures();

    [GeneratedRegex(@"lab: job \d+ failed: (.+)")]
    private static partial Regex FailedJob();
}
