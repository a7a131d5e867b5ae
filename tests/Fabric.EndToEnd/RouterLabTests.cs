using System.Globalization;
using System.Text.RegularExpressions;

namespace Fabric.EndToEnd;

/// <summary>The router netbooted by Fabric with role <c>router</c> (a qemu guest with a boot NIC, a trunk NIC and an
/// uplink), applied with <c>fabric router apply</c>, and checked with real traffic: a real instance (web100, a qemu guest
/// on one of two hypervisor namespaces, its public address from Fabric's DHCP on VLAN 100) pinged from the outside,
/// namespace hosts on VLANs 100 and 200, and the instance live-migrated under the outside host's ping: one
/// <c>netboot/lab --scenario router</c> run.</summary>
[Collection(LabCollection.Name)]
public sealed partial class RouterLabTests
{
    [Fact]
    public async Task RouterApply_NetbootedRouterAndRealInstance_EmptyPlansTrafficIsolationAntiSpoofingDriftRepairedRebootKeepsHostKeyAndMigrationLosesAtMostOnePing()
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
        // web100 is a real instance: `instance create` -> the first reply to the outside host, through the router's
        // automatic apply (it put web100 in VLAN 100's sources: the plan after it is empty).
        Match firstPing = FirstPing().Match(run.Output);
        Assert.True(firstPing.Success, run.ToString());
        Assert.True(double.Parse(firstPing.Groups[1].Value, CultureInfo.InvariantCulture) > 0, run.ToString());
        Assert.Equal("0 changes", run.Line("router plan after instance create:"));
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

        // The live migration hv0 -> hv1 under the outside host's ping (10/s): no router change during or after it, at
        // most one ping lost, the guest kept running (its uptime went on, no second boot).
        Assert.Equal("0 changes", run.Line("router plan during migration:"));
        Assert.Equal("0 changes", run.Line("router plan after migration:"));
        Match lost = LostPings().Match(run.Output);
        Assert.True(lost.Success, run.ToString());
        int n = int.Parse(lost.Groups[1].Value, CultureInfo.InvariantCulture), m = int.Parse(lost.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(m >= 30, $"only {m} pings were sent\n{run}");
        Assert.True(n <= 1, $"{n} of {m} pings lost\n{run}");
        Match figures = Figures().Match(run.Output);
        Assert.True(figures.Success, run.ToString());
        Assert.True(long.Parse(figures.Groups[1].Value, CultureInfo.InvariantCulture) > 0, run.ToString());
        Match uptime = Uptime().Match(run.Output);
        Assert.True(uptime.Success, run.ToString());
        Assert.True(
            double.Parse(uptime.Groups[2].Value, CultureInfo.InvariantCulture) > double.Parse(uptime.Groups[1].Value, CultureInfo.InvariantCulture),
            run.ToString());
        Assert.Equal("0", uptime.Groups[3].Value);
    }

    [GeneratedRegex(@"^lab: router instance create -> first outside ping ([0-9.]+) s\r?$", RegexOptions.Multiline)]
    private static partial Regex FirstPing();

    [GeneratedRegex(@"^lab: migration lost ([0-9]+) of ([0-9]+) pings\r?$", RegexOptions.Multiline)]
    private static partial Regex LostPings();

    [GeneratedRegex(@"^lab: migration total-ms ([0-9]+) downtime-ms ([0-9]+)\r?$", RegexOptions.Multiline)]
    private static partial Regex Figures();

    [GeneratedRegex(@"^lab: migration web100 on hv1: uptime ([0-9.]+) s -> ([0-9.]+) s, ([0-9]+) reboots\r?$", RegexOptions.Multiline)]
    private static partial Regex Uptime();
}
