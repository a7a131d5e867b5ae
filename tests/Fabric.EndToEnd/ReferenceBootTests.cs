using System.Text.Json;

namespace Fabric.EndToEnd;

/// <summary>The boot artifacts served by the reference setup (dnsmasq for DHCP and TFTP, a small HTTP
/// server for the iPXE script, kernel, initrd and boot events): proves netboot/build's kernel, initramfs
/// and root on their own, and is the side-by-side figure for the appliance.</summary>
[Collection(LabCollection.Name)]
public sealed class ReferenceBootTests
{
    [Fact]
    public async Task PxeBoot_DnsmasqAndAoeRoot_NodeReportsUpWithItsToken()
    {
        LabRun run = await Lab.RunAsync("--server", "dnsmasq", "--root", "aoe", "--mac", "52:54:00:0e:00:01");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("up", run.Outcome);
        Assert.Contains("fabric: found AoE target e0.1", run.Console);
        Assert.Contains("fabric: hnode01 is up", run.Console);
        var stages = File.ReadAllLines(Path.Combine(run.LogDir, "events.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("stage").GetString() != "script")
            .ToList();
        Assert.Equal(["initramfs", "root-mounted", "up"], stages.Select(e => e.GetProperty("stage").GetString()));
        Assert.All(stages, e => Assert.StartsWith("ref-", e.GetProperty("token").GetString()));
        Assert.All(stages, e => Assert.Equal("10.99.0.10", e.GetProperty("from").GetString()));
    }
}
