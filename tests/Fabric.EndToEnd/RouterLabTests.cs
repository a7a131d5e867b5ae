using System.Globalization;

namespace Fabric.EndToEnd;

/// <summary>The router netbooted by Fabric with role <c>router</c> (a qemu guest with a boot NIC, a trunk NIC and an
/// uplink), applied with <c>fabric router apply</c>, and checked with real traffic from namespaces on VLANs 100 and 200
/// and from the outside: one <c>netboot/lab --scenario router</c> run.</summary>
[Collection(LabCollection.Name)]
public sealed class RouterLabTests
{
    [Fact]
    public async Task RouterApply_NetbootedRouter_EmptySecondPlanTrafficIsolationAntiSpoofingAndDriftRepaired()
    {
        LabRun run = await Lab.RunAsync("--scenario", "router", "--mac", "52:54:00:0e:03:01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Outcome);
        // The router booted from the network and pinned the host key its console printed.
        Assert.Equal("router", run.Node?.Role);
        Assert.Equal("up", run.Node?.State);
        Assert.Contains("fabric: router1 is up", run.Console);
        Assert.Contains("fabric: root in RAM", run.Console);
        Assert.StartsWith("ssh-ed25519 ", run.NodeField("sshHostKey") ?? "", StringComparison.Ordinal);
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
    }
}
