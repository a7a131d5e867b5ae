using System.Globalization;

namespace Fabric.EndToEnd;

/// <summary>The router netbooted by Fabric with role <c>router</c> (a qemu guest with a boot NIC, a trunk NIC and an
/// uplink), applied with <c>fabric router apply</c>, and checked with real traffic from namespaces on VLANs 100 and 200
/// and from the outside: one <c>netboot/lab --scenario router</c> run.</summary>
[Collection(LabCollection.Name)]
public sealed class RouterLabTests
{
    [Fact]
    public async Task RouterApply_NetbootedRouter_EmptySecondPlanTrafficIsolationAntiSpoofingDriftRepairedAndRebootKeepsHostKey()
    {
        LabRun run = await Lab.RunAsync("--scenario", "router", "--mac", "52:54:00:0e:03:01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Outcome);
        // The router booted from the network with the host key Fabric keeps for it (root in RAM), pinned when it fetched it.
        Assert.Equal("router", run.Node?.Role);
        Assert.Equal("up", run.Node?.State);
        Assert.Contains("fabric: router1 is up", run.Console);
        Assert.Contains("fabric: root in RAM", run.Console);
        Assert.StartsWith("ecdsa-sha2-nistp256 ", run.NodeField("sshHostKey") ?? "", StringComparison.Ordinal);
        Assert.Contains("fabric: ssh: the host key Fabric keeps for router1", run.Console);
        Assert.Contains(run.Events, e => e.Kind == "ssh-host-key-pinned");

        Assert.Equal("0 changes", run.Line("router plan after apply:"));
        Assert.Equal("ok", run.Line("router outside -> web100:"));
        Assert.Equal("blocked", run.Line("router web200 -> web100:"));
        Assert.Equal("dropped", run.Line("router spoofed source from VLAN 100:"));

        // Drift: eth1.100 deleted by hand shows in the plan; apply repairs it and the plan is empty again.
        string? drift = run.Line("router drift plan:");
        Assert.NotNull(drift);
        Assert.True(int.Parse(drift.Split(' ')[0], CultureInfo.InvariantCulture) > 0, run.ToString());
        Assert.Contains("add link eth1.100 (vlan 100, network pub100)", run.Output);
        Assert.Equal("0 changes", run.Line("router plan after repair:"));

        // The trunk set down by hand: the plan brings it up first, apply repairs it.
        Assert.Contains("set link eth1 up (the trunk of 2 VLANs)", run.Output);
        Assert.Equal("0 changes", run.Line("router trunk down repaired, plan after:"));

        // A reboot: the same host key, the second up accepted (no mismatch), the plan empty again after an apply.
        Assert.Equal("second up accepted, host key kept, plan after apply: 0 changes", run.Line("router reboot:"));
        Assert.Equal(2, run.Events.Count(e => e.Kind == "boot-up"));
        Assert.DoesNotContain(run.Events, e => e.Kind == "ssh-host-key-mismatch");
    }
}
