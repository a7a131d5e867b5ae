using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Keys;
using Fabric.Router.Diff;
using Fabric.Router.Jobs;
using Fabric.Router.Planning;
using Fabric.Router.State;

namespace Fabric.Router.Tests;

/// <summary>Plan and apply over real SSH: Fabric's SSH pool (SSH.NET, a pinned host key, Fabric's own key) against a
/// real OpenSSH sshd whose sessions run as root inside a router namespace the test makes, so <c>ip</c>, <c>sysctl</c>
/// and <c>nft</c> really run there and the ruleset really goes over SFTP. The sshd listens on 127.0.0.1 and enters the
/// namespace for each command (<c>ForceCommand</c>: <c>ip netns exec NS sh -c "$SSH_ORIGINAL_COMMAND"</c>; SFTP runs
/// outside it, on the same files), because this process cannot reach an address inside the namespace without giving
/// the host one. No 802.1Q devices on this kernel: the sub-interfaces are veth devices with the plan's names and only
/// the sysctl and table actions are applied, as in <see cref="Diff.RouterSyncNamespaceTests"/>.</summary>
public sealed class RouterSyncSshTests : IAsyncLifetime
{
    private readonly string _ns = $"fabric-rs-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly string _folder = Directory.CreateTempSubdirectory("fabric-router-ssh-").FullName;
    private Process? _sshd;
    private int _port;
    private string _hostKey = "";
    private SshIdentity _identity = null!;
    private bool _wroteRuleset;

    public async Task InitializeAsync()
    {
        await Run("ip", "netns", "add", _ns);
        foreach (var (name, peer) in new[] { ("eth1", "p1"), ("eth2", "p2"), ("eth1.100", "p100") })
        {
            await Run("ip", "-n", _ns, "link", "add", name, "type", "veth", "peer", "name", peer);
            await Run("ip", "-n", _ns, "link", "set", name, "up");
        }

        _identity = SshIdentity.LoadOrCreate(Path.Combine(_folder, "fabric-key"));
        await Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "router-test", "-f", Path.Combine(_folder, "host_ed25519"));
        _hostKey = (await File.ReadAllTextAsync(Path.Combine(_folder, "host_ed25519.pub"))).Trim();
        await File.WriteAllTextAsync(Path.Combine(_folder, "authorized_keys"), _identity.PublicKey + "\n");
        var enter = Path.Combine(_folder, "enter-router.sh");
        await File.WriteAllTextAsync(enter, $"""
            #!/bin/sh
            case "$SSH_ORIGINAL_COMMAND" in
            internal-sftp|/usr/lib/openssh/sftp-server) exec /usr/lib/openssh/sftp-server ;;
            esac
            exec ip netns exec {_ns} /bin/sh -c "$SSH_ORIGINAL_COMMAND"

            """);
        await Run("chmod", "0700", enter);
        Directory.CreateDirectory(Path.Combine(_folder, "home"));
        Directory.CreateDirectory("/run/sshd");
        await StartSshdAsync(enter);
    }

    public async Task DisposeAsync()
    {
        if (_sshd is { HasExited: false })
        {
            _sshd.Kill(entireProcessTree: true);
            await _sshd.WaitForExitAsync();
        }

        _sshd?.Dispose();
        await Run("ip", "netns", "del", _ns);
        if (_wroteRuleset)
        {
            // SFTP wrote the ruleset and the apply script outside the namespace, on this machine's /run.
            File.Delete(RouterDiff.RulesetPath);
            File.Delete(RouterScript.Path);
        }

        Directory.Delete(_folder, recursive: true);
    }

    private SshTarget Target(string? hostKey = null) => new("127.0.0.1", _port, Environment.UserName, hostKey ?? _hostKey);

    private IRemoteHosts Pool() => RemoteHosts.Create(
        new RemoteOptions { KeyFolder = Path.Combine(_folder, "fabric-key"), ConnectRetries = 1, ConnectRetryDelay = TimeSpan.FromMilliseconds(100), ConnectTimeout = TimeSpan.FromSeconds(30) },
        _identity);

    [Fact]
    public async Task PlanApplyPlan_OverSsh_SysctlAndTableAppliedInTheRoutersNamespaceThenNoneLeft()
    {
        await using var pool = Pool();
        var host = pool.For(Target());
        var desired = RouterPlanner.Plan(
            Fixtures.Router(), [Fixtures.Routed("pub1", "203.0.113.0/24", 100)], [Fixtures.Instance("web1", "pub1", "203.0.113.10")]);
        static bool Ours(RouterAction a) => a.Kind is RouterActionKind.SetSysctl or RouterActionKind.ReplaceTable;

        var first = await RouterSync.PlanAsync(host, desired, CancellationToken.None);
        var log = new List<string>();
        _wroteRuleset = !File.Exists(RouterDiff.RulesetPath);
        await RouterSync.ApplyAsync(host, [.. first.Actions.Where(Ours)], log.Add, CancellationToken.None);
        var second = await RouterSync.PlanAsync(host, desired, CancellationToken.None);
        var actual = await RouterReader.ReadAsync(host, desired, CancellationToken.None);

        Assert.Equal(4, first.Actions.Count(Ours));
        Assert.DoesNotContain(second.Actions, Ours);
        Assert.Equal(["203.0.113.10"], actual.Table!.Sets["vlan100_sources"]);
        Assert.Equal("1", actual.Sysctls["net.ipv4.conf.eth1/100.proxy_arp"]);
        Assert.Equal("veth", actual.Links["eth1.100"].Kind);
        var (_, table) = await Run("ip", "netns", "exec", _ns, "nft", "list", "table", "inet", "fabric");
        Assert.Contains("ip saddr != @vlan100_sources drop", table, StringComparison.Ordinal);
        Assert.Equal(first.Actions.Where(Ours).Select(a => a.Description), log.Where(l => !l.StartsWith(' ')));
    }

    [Fact]
    public async Task RunAsync_RouterPortClosed_JobFailsWithTheAddressAndTheRegistryIsUnchanged()
    {
        int closed = FreePort();
        using var registry = await RegistryAsync(closed, _hostKey);
        var node = registry.FindNode("router1");
        await using var pool = Pool();

        var e = await Assert.ThrowsAsync<JobFailedException>(() => new RouterApplyJobHandler(registry, pool).RunAsync(new FakeJobContext()));

        Assert.Contains($"127.0.0.1:{closed}", e.Message, StringComparison.Ordinal);
        Assert.Equal(node, registry.FindNode("router1"));
        Assert.Equal(["created"], (await registry.ListEventsAsync("router1")).Value!.Select(x => x.Kind.Wire));
    }

    [Fact]
    public async Task RunAsync_OtherHostKeyPinned_MismatchEventAndNothingRun()
    {
        var other = await OtherHostKeyAsync();
        using var registry = await RegistryAsync(_port, other);
        await using var pool = Pool();

        var e = await Assert.ThrowsAsync<JobFailedException>(() => new RouterApplyJobHandler(registry, pool).RunAsync(new FakeJobContext()));

        Assert.Contains("host key mismatch", e.Message, StringComparison.Ordinal);
        Assert.Equal(EventKind.SshHostKeyMismatch, (await registry.ListEventsAsync("router1")).Value![^1].Kind);
        var (_, tables) = await Run("ip", "netns", "exec", _ns, "nft", "list", "tables");
        Assert.DoesNotContain("fabric", tables, StringComparison.Ordinal);
    }

    private async Task<IRegistry> RegistryAsync(int port, string hostKey)
    {
        var registry = FabricRegistry.Open(Path.Combine(_folder, $"fabric-{Guid.NewGuid():N}.db"));
        var added = await registry.AddNodeAsync(
            new NodeInput { Name = "router1", Role = "router", Macs = ["52:54:00:00:09:01"], SshAddress = "127.0.0.1", SshPort = port, SshUser = Environment.UserName, SshHostKey = hostKey },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        return registry;
    }

    private async Task<string> OtherHostKeyAsync()
    {
        var path = Path.Combine(_folder, "other_ed25519");
        await Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path);
        return (await File.ReadAllTextAsync(path + ".pub")).Trim();
    }

    private async Task StartSshdAsync(string enter)
    {
        for (int attempt = 0; ; attempt++)
        {
            _port = FreePort();
            var config = Path.Combine(_folder, "sshd_config");
            await File.WriteAllTextAsync(config, $"""
                ListenAddress 127.0.0.1:{_port}
                HostKey {_folder}/host_ed25519
                PidFile {_folder}/sshd.pid
                AuthorizedKeysFile {_folder}/authorized_keys
                StrictModes no
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PermitRootLogin prohibit-password
                Subsystem sftp internal-sftp
                ForceCommand {enter}
                SetEnv HOME={_folder}/home
                """);
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var sshd = new Process { StartInfo = new ProcessStartInfo("/usr/sbin/sshd") { ArgumentList = { "-D", "-f", config, "-e" }, RedirectStandardError = true } };
            sshd.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    listening.TrySetException(new InvalidOperationException("sshd exited"));
                }
                else if (e.Data.StartsWith("Server listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            };
            sshd.Start();
            sshd.BeginErrorReadLine();
            _sshd = sshd;
            try
            {
                await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
                return;
            }
            catch (Exception) when (attempt < 3)
            {
                // Another process took the port between the probe and sshd's bind: try another one.
                sshd.Kill(entireProcessTree: true);
                sshd.Dispose();
                _sshd = null;
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<(int Code, string Output)> Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {await error}");
        return (process.ExitCode, await output);
    }
}
