namespace Fabric.EndToEnd;

/// <summary>"Adding a new server is adding its MAC": the appliance (DHCP, TFTP, HTTP boot, registry) in a
/// namespace on a lab bridge, storage hosts serving what the registry says, and a qemu (TCG) node powered
/// on with the registered MAC. Each test is one <c>netboot/lab</c> run.</summary>
[Collection(LabCollection.Name)]
public sealed class ApplianceBootTests
{
    [Fact]
    public async Task NodeAdd_AoeRoot_NodeReportsUpAndRegistryShowsIt()
    {
        LabRun run = await Lab.RunAsync("--root", "aoe", "--mac", "52:54:00:0e:01:01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Outcome);
        Assert.NotNull(run.Node);
        Assert.Equal("up", run.Node.State);
        Assert.Equal("aoe:e0.1", run.Node.Root);
        Assert.Contains("hnode01: booting -> up", run.Output);
        Assert.Contains("fabric: found AoE target e0.1", run.Console);
        Assert.Contains("fabric: hnode01 is up", run.Console);
        // The node runs an SSH server for Fabric, with a host key made at boot.
        Assert.Contains("fabric: ssh: dropbear on port 22, host key ssh-ed25519 ", run.Console);
    }

    [Fact]
    public async Task NodeAdd_NfsRoot_NodeReportsUp()
    {
        LabRun run = await Lab.RunAsync("--root", "nfs", "--mac", "52:54:00:0e:01:02");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Node?.State);
        Assert.Contains("fabric: root nfs:10.99.0.2:/export/hnode01 mounted", run.Console);
        Assert.Contains("fabric: hnode01 is up", run.Console);
    }

    [Fact]
    public async Task NodeAdd_AoeMdRootLosesOneStorageHost_NodeStaysUpAndFileIntact()
    {
        LabRun run = await Lab.RunAsync("--root", "aoe-md", "--kill-mirror", "--mac", "52:54:00:0e:01:03");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Node?.State);
        Assert.Contains("active raid1", run.Console);
        Assert.DoesNotContain("MISMATCH", run.Console);
        // Checks that ran on the degraded mirror ([U_]): written, synced, re-read from disk, same sha256.
        Assert.Contains(run.Console.Split('\n'), l => l.StartsWith("fabric: check ", StringComparison.Ordinal) && l.Contains(" ok sha256=") && l.Contains("md=[U_]"));
    }

    [Fact]
    public async Task UnknownMac_DiscoveredThenOperatorSetsRoleAndRoot_NextBootIsUp()
    {
        LabRun run = await Lab.RunAsync("--discover", "--root", "aoe", "--mac", "52:54:00:0e:01:04");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("-> discovered", run.Output);
        Assert.NotNull(run.Node);
        Assert.Equal("hardware", run.Node.Role);
        Assert.Equal("up", run.Node.State);
        Assert.Contains("52:54:00:0e:01:04", run.Node.Macs);
        Assert.Contains($"fabric: {run.Node.Name} is up", run.Console);
        Assert.Contains(run.Events, e => e.Kind == "discovered");
    }

    [Fact]
    public async Task NodeAdd_NoSuchAoeTarget_FailsWithTheInitramfsReason()
    {
        LabRun run = await Lab.RunAsync("--root", "aoe:e9.9", "--expect", "failed", "--mac", "52:54:00:0e:01:05");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("failed", run.Outcome);
        Assert.Equal("failed", run.Node?.State);
        Assert.Contains("fabric: FAILED: AoE target e9.9", run.Console);
        Assert.Contains(run.Events, e => e.Message.Contains("AoE target e9.9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NodeAdd_UefiFirmware_NodeReportsUp()
    {
        LabRun run = await Lab.RunAsync("--firmware", "uefi", "--nic", "e1000", "--root", "aoe", "--mac", "52:54:00:0e:01:06");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Node?.State);
        Assert.Contains("fabric: hnode01 is up", run.Console);
    }
}
