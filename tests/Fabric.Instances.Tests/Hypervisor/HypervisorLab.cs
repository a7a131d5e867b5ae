using System.Diagnostics;
using System.Globalization;
using Fabric.Instances.Hypervisor;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Keys;
using Fabric.Remote.Tests.Ssh;

namespace Fabric.Instances.Tests.Hypervisor;

/// <summary>Two hypervisors on this machine for the driver's tests: network namespaces <c>fabric-hv-RANDOM-a</c> and
/// <c>-b</c> joined by a veth pair (10.213.X.1 and .2, inside the namespaces only), each with its own real OpenSSH sshd
/// on 127.0.0.1 whose sessions find a <c>qemu-system-x86_64</c> that runs the real one inside that hypervisor's
/// namespace (as a hypervisor's own sshd would), and its own run folder (they share this file system, as the lab's
/// namespaces do). The guest disk is a 1 MiB raw file whose boot sector keeps rewriting 576 KiB of the guest's memory,
/// so a migration has pages to send again and again. Everything is killed by PID and removed on dispose.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HypervisorLab : IAsyncLifetime, IHypervisorHosts
{
    private readonly string _suffix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
    private readonly List<string> _namespaces = [];
    private readonly Dictionary<string, HypervisorHost> _hosts = new(StringComparer.Ordinal);
    private readonly List<OpenSshServer> _servers = [];

    public string Folder { get; private set; } = "";

    public SshIdentity Identity { get; private set; } = null!;

    public string DiskPath { get; private set; } = "";

    /// <summary>Hypervisor a's address on the link between the two.</summary>
    public string AddressA { get; private set; } = "";

    /// <summary>Hypervisor b's address on the link between the two (where a migration's target listens).</summary>
    public string AddressB { get; private set; } = "";

    /// <summary>A copy of the guest disk for one more instance (qemu locks the file it writes).</summary>
    public string NewDisk()
    {
        var path = Path.Combine(Folder, $"disk-{Guid.NewGuid():N}.raw");
        File.Copy(DiskPath, path);
        return path;
    }

    public const string A = "hv-a";

    public const string B = "hv-b";

    public HypervisorHost Host(string name) => _hosts[name];

    public Task<HypervisorHost> FindAsync(string hypervisor, CancellationToken cancellationToken) =>
        _hosts.TryGetValue(hypervisor, out var host)
            ? Task.FromResult(host)
            : Task.FromException<HypervisorHost>(new RemoteHostException(RemoteFailure.InvalidTarget, hypervisor, "no such hypervisor"));

    public async Task InitializeAsync()
    {
        Folder = Directory.CreateTempSubdirectory("fabric-hv-").FullName;
        Identity = SshIdentity.LoadOrCreate(Path.Combine(Folder, "ssh"));
        DiskPath = Path.Combine(Folder, "disk.raw");
        await File.WriteAllBytesAsync(DiskPath, Disk());

        string nsA = $"fabric-hv-{_suffix}-a", nsB = $"fabric-hv-{_suffix}-b";
        int net = Random.Shared.Next(0, 256);
        AddressA = string.Create(CultureInfo.InvariantCulture, $"10.213.{net}.1");
        AddressB = string.Create(CultureInfo.InvariantCulture, $"10.213.{net}.2");
        await RunAsync("ip", "netns", "add", nsA);
        _namespaces.Add(nsA);
        await RunAsync("ip", "netns", "add", nsB);
        _namespaces.Add(nsB);
        await RunAsync("ip", "-n", nsA, "link", "add", "mig0", "type", "veth", "peer", "name", "mig0", "netns", nsB);
        foreach (var (ns, address) in new[] { (nsA, $"{AddressA}/30"), (nsB, $"{AddressB}/30") })
        {
            await RunAsync("ip", "-n", ns, "link", "set", "lo", "up");
            await RunAsync("ip", "-n", ns, "addr", "add", address, "dev", "mig0");
            await RunAsync("ip", "-n", ns, "link", "set", "mig0", "up");
        }

        foreach (var (name, ns) in new[] { (A, nsA), (B, nsB) })
        {
            var bin = Directory.CreateDirectory(Path.Combine(Folder, name, "bin")).FullName;
            var wrapper = Path.Combine(bin, QemuCommands.Qemu);
            await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec ip netns exec {ns} /usr/bin/{QemuCommands.Qemu} \"$@\"\n");
            File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var server = await OpenSshServer.StartAsync(Identity.PublicKey, new Dictionary<string, string> { ["PATH"] = $"{bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" });
            _servers.Add(server);
            var runRoot = Directory.CreateDirectory(Path.Combine(Folder, name, "run")).FullName;
            _hosts[name] = new HypervisorHost(name, new SshTarget("127.0.0.1", server.Port, OpenSshServer.User, server.HostKey), runRoot);
        }
    }

    public IRemoteHosts NewPool() => RemoteHosts.Create(new RemoteOptions { KeyFolder = Identity.Folder }, Identity);

    /// <summary>The pid in an instance's pid file on a hypervisor, or null.</summary>
    public int? Pid(string hypervisor, string instance)
    {
        var file = new InstancePaths(instance, _hosts[hypervisor].RunRoot).PidFile;
        return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    public static bool Alive(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Waits until the guest runs the disk's boot sector: the word at 0x10000 keeps changing (read with the
    /// monitor's <c>xp</c> over QMP). Before that SeaBIOS barely touches memory, and a migration would end at once.</summary>
    public static async Task WaitDirtyingAsync(IHypervisorDriver driver, string hypervisor, string instance)
    {
        await using var qmp = await driver.ConnectQmpAsync(hypervisor, instance, CancellationToken.None);
        var clock = Stopwatch.StartNew();
        string? last = null;
        while (true)
        {
            var read = (await qmp.ExecuteAsync("human-monitor-command", new System.Text.Json.Nodes.JsonObject { ["command-line"] = "xp /1xw 0x10000" }))
                .EnsureSuccess("human-monitor-command").GetString()!.Trim();
            if (last is not null && read != last && !read.EndsWith("0x00000000", StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"the guest does not run its boot sector ({read})");
            last = read;
            await Task.Delay(200);
        }
    }

    /// <summary>Makes the source's next migration stop before its switch-over (qemu's <c>pause-before-switchover</c>)
    /// and wait there for ever: a test that kills the target or cancels mid-migration can then never lose the race to
    /// a migration that converged anyway (a slowed guest may dirty its memory slower than the bandwidth limit).</summary>
    public static async Task HoldBeforeSwitchoverAsync(IHypervisorDriver driver, string hypervisor, string instance)
    {
        await using var qmp = await driver.ConnectQmpAsync(hypervisor, instance, CancellationToken.None);
        var capabilities = new System.Text.Json.Nodes.JsonObject
        {
            ["capabilities"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["capability"] = "pause-before-switchover", ["state"] = true }),
        };
        (await qmp.ExecuteAsync("migrate-set-capabilities", capabilities)).EnsureSuccess("migrate-set-capabilities");
    }

    public static async Task WaitGoneAsync(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (Alive(pid))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"process {pid} still runs");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts.Values)
        {
            foreach (var pidFile in Directory.Exists(host.RunRoot) ? Directory.EnumerateFiles(host.RunRoot, "qemu.pid", SearchOption.AllDirectories) : [])
            {
                if (int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out int pid) && Alive(pid))
                {
                    try
                    {
                        Process.GetProcessById(pid).Kill();
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                    {
                    }
                }
            }
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (var ns in _namespaces)
        {
            try
            {
                await RunAsync("ip", "netns", "del", ns);
            }
            catch (InvalidOperationException)
            {
            }
        }

        Directory.Delete(Folder, recursive: true);
    }

    private static Task<string> RunAsync(string program, params string[] arguments) => OpenSshServer.RunAsync(program, arguments);

    /// <summary>A 1 MiB disk whose boot sector (16-bit, loaded by SeaBIOS at 0:7C00) fills segments 1000h-9000h with a
    /// counter, forever: 576 KiB of guest memory dirtied over and over.</summary>
    private static byte[] Disk()
    {
        var disk = new byte[1024 * 1024];
        byte[] code =
        [
            0xFA,                   // cli
            0x31, 0xC0,             // xor ax, ax
            0xBB, 0x00, 0x10,       // loop: mov bx, 1000h
            0x8E, 0xC3,             // seg: mov es, bx
            0x31, 0xFF,             // xor di, di
            0xB9, 0x00, 0x80,       // mov cx, 8000h (64 KiB)
            0xF3, 0xAB,             // rep stosw
            0x81, 0xC3, 0x00, 0x10, // add bx, 1000h
            0x81, 0xFB, 0x00, 0xA0, // cmp bx, 0A000h
            0x72, 0xED,             // jb seg
            0x40,                   // inc ax
            0xEB, 0xE7,             // jmp loop
        ];
        code.CopyTo(disk, 0);
        disk[510] = 0x55;
        disk[511] = 0xAA;
        return disk;
    }
}
