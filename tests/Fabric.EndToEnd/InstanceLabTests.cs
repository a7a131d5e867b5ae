using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fabric.Api.Contracts;

namespace Fabric.EndToEnd;

/// <summary>Instances on two hypervisors (network namespaces with their own sshd, qemu TCG and an Open vSwitch bridge
/// whose uplink is a VLAN trunk), created, migrated and evacuated through the <c>fabric</c> command line; the guest takes
/// its address from Fabric's DHCP on VLAN 100 and a host on that VLAN pings it. Each test is one
/// <c>netboot/lab --scenario migrate</c> run (<c>netboot/lab.d/migrate.sh</c>).</summary>
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
        }
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
