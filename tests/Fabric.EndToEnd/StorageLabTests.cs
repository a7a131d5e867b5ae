using System.Globalization;
using System.Text.RegularExpressions;

namespace Fabric.EndToEnd;

/// <summary>"Add a MAC, nothing else": the node is added with no root, Fabric provisions it on a pair of storage hosts
/// (namespaces running their own sshd) over SSH, the node boots from the md mirror and runs dropbear; losing one
/// storage host loses nothing, and Fabric repairs the mirror when it comes back; from a tar image the root is an NFS folder on
/// the pair, exported by the nfs-ganesha Fabric starts. Each test is one <c>netboot/lab</c> run.</summary>
[Collection(LabCollection.Name)]
public sealed partial class StorageLabTests
{
    [Fact]
    public async Task NodeAdd_NoRoot_FabricProvisionsMirrorAndNodeIsUpWithPinnedHostKey()
    {
        LabRun run = await Lab.RunAsync("--root", "auto", "--mac", "52:54:00:0e:02:01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Outcome);
        Assert.Equal("up", run.Node?.State);
        // One half on each storage host of the pair: shelves 0 and 1.
        Assert.Matches(MirrorRoot(), run.Node!.Root ?? "");
        Assert.Contains("e0.", run.Node.Root, StringComparison.Ordinal);
        Assert.Contains("e1.", run.Node.Root, StringComparison.Ordinal);
        // First boot of the fresh pair: the array is made with a write-intent bitmap.
        Assert.Contains("creating the RAID1 (metadata 1.0, assume-clean, internal bitmap)", run.Console);
        Assert.Contains("fabric: hnode01 is up", run.Console);
        // The node's dropbear host key, as its console printed it, is the one the registry pinned from its up report.
        Match printed = ConsoleHostKey().Match(run.Console);
        Assert.True(printed.Success, run.ToString());
        Assert.Equal(printed.Groups[1].Value, run.NodeField("sshHostKey"));
    }

    [Fact]
    public async Task NodeAdd_SecondStorageHostStopsAndReturns_NodeStaysUpAndFabricRepairsMirror()
    {
        LabRun run = await Lab.RunAsync("--root", "auto", "--storage-fail", "--mac", "52:54:00:0e:02:02");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Node?.State);
        Assert.DoesNotContain("MISMATCH", run.Output);
        // Files written over SSH while the mirror had one half, each re-read from disk with the same sha256.
        Assert.Contains(run.Output.Split('\n'), l => l.Contains(" ok sha256=", StringComparison.Ordinal) && (l.Contains("md=[U_]", StringComparison.Ordinal) || l.Contains("md=[_U]", StringComparison.Ordinal)));
        Assert.Contains("files read back intact after the repair", run.Output);
        string? mdstat = run.Line("mdstat");
        Assert.NotNull(mdstat);
        Assert.Contains("[2/2] [UU]", mdstat);
        Assert.True(double.Parse(run.Line("repair-seconds") ?? "-1", CultureInfo.InvariantCulture) >= 0, run.ToString());
    }

    [Fact]
    public async Task NodeAdd_NoRootTarImage_FabricProvisionsNfsRootOnThePairAndNodeIsUp()
    {
        LabRun run = await Lab.RunAsync("--root", "auto-nfs", "--mac", "52:54:00:0e:02:03");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Outcome);
        Assert.Equal("up", run.Node?.State);
        // Node A of the pair (stor0, 10.99.0.2) serves the root; the folder is beside its storagePath.
        Assert.Equal("nfs:10.99.0.2:/srv/fabric/nfs/hnode01-root", run.Node!.Root);
        Assert.Contains("fabric: root nfs:10.99.0.2:/srv/fabric/nfs/hnode01-root mounted", run.Console);
        Assert.Contains("fabric: hnode01 is up", run.Console);
        Assert.Matches(ConsoleHostKey(), run.Console);
        // The lab pushed the tar and started no NFS server itself: the export is Fabric's.
        Assert.Contains("fabric image push hnode-root --file", run.Output);
        Assert.Contains("hnode-root.tar", run.Output);
        Assert.DoesNotContain("storage: nfs-ganesha (NFSv4) on", run.Output);
    }

    [GeneratedRegex(@"^aoe-md:e[01]\.\d+,e[01]\.\d+$")]
    private static partial Regex MirrorRoot();

    [GeneratedRegex(@"fabric: ssh: dropbear on port 22, host key (ssh-ed25519 [A-Za-z0-9+/=]+)")]
    private static partial Regex ConsoleHostKey();
}
