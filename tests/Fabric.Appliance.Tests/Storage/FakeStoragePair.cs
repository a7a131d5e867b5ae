using System.Security.Cryptography;
using Fabric.Appliance.Tests.Api;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Storage;

/// <summary>An appliance whose SSH pool is <see cref="FakeRemoteHosts"/>, with storage pair <c>p1</c>: s1 (shelf 1, 10.9.0.1)
/// and s2 (shelf 2, 10.9.0.2), host keys pinned. The fakes answer every command with exit 0 and <c>sha256sum</c> with the
/// digest of what was uploaded.</summary>
internal static class FakeStoragePair
{
    public const string PinA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
    public const string PinB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOO54Njga2JiUBe4A4mIhMzsyZwjzXt2O5wM0zt00raX";

    public static async Task<(ApplianceHost Host, FakeRemoteHosts Hosts)> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var hosts = new FakeRemoteHosts();
        foreach (var target in new[] { new SshTarget("10.9.0.1", 22, "root", PinA), new SshTarget("10.9.0.2", 22, "root", PinB) })
        {
            var host = hosts.Host(target);
            host.On(c => c.Arguments.Count > 4 && c.Arguments[2].Contains("sha256sum", StringComparison.Ordinal), c =>
                FakeReply.Ok(host.Files.TryGetValue(c.Arguments[4], out var content) ? Convert.ToHexStringLower(SHA256.HashData(content)) + "\n" : ""));
        }

        var appliance = await ApplianceHost.StartAsync(settings, services: s => s.AddSingleton<IRemoteHosts>(hosts));
        await appliance.AddNodeAsync(new { name = "s1", mac = "52:54:00:00:0c:01", role = "storage", pair = "p1", aoeShelf = 1, sshAddress = "10.9.0.1", sshHostKey = PinA });
        await appliance.AddNodeAsync(new { name = "s2", mac = "52:54:00:00:0c:02", role = "storage", pair = "p1", aoeShelf = 2, sshAddress = "10.9.0.2", sshHostKey = PinB });
        return (appliance, hosts);
    }

    public static FakeRemoteHost A(this FakeRemoteHosts hosts) => hosts.Host(new SshTarget("10.9.0.1", 22, "root", PinA));

    public static FakeRemoteHost B(this FakeRemoteHosts hosts) => hosts.Host(new SshTarget("10.9.0.2", 22, "root", PinB));
}
