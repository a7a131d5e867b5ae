using System.Diagnostics;
using Fabric.Core;
using Fabric.Remote;
using Fabric.Remote.Hosts;
using Fabric.Remote.Testing;
using Fabric.Storage.Exports;
using static Fabric.Storage.Tests.Fixtures;

namespace Fabric.Storage.Tests.Exports;

/// <summary>The export scripts and the sync against a real <c>vblade</c> in a network namespace the test makes (a veth
/// pair inside it), run by <c>/bin/sh</c> as the SSH supervisor would; pid files in a folder of the test.</summary>
public sealed class ExportSyncTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-storage-").FullName;
    private readonly string _ns = $"fst-{Guid.NewGuid():N}"[..12];
    private LocalShellHost _host = null!;

    public async Task InitializeAsync()
    {
        await Run("ip", "netns", "add", _ns);
        await Run("ip", "-n", _ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
        await Run("ip", "-n", _ns, "link", "set", "v0", "up");
        await Run("ip", "-n", _ns, "link", "set", "v1", "up");
        _host = new LocalShellHost(_ns, Path.Combine(_dir, "run"));
    }

    public async Task DisposeAsync()
    {
        // Stop every vblade this test started, by the pids it recorded, then the namespace and the folder.
        foreach (var pidFile in Directory.Exists(Path.Combine(_dir, "run")) ? Directory.GetFiles(Path.Combine(_dir, "run"), "*.pid") : [])
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                    // already gone
                }
            }
        }

        await Run("ip", "netns", "del", _ns);
        Directory.Delete(_dir, recursive: true);
    }

    private Node StorageWith(params string[] volumes)
    {
        var list = volumes.Select((v, i) => new StorageVolume(v, i + 1, 1 << 20, Path.Combine(_dir, $"{v}.img"))).ToArray();
        foreach (var v in list)
        {
            using var file = File.Create(v.BackingPath);
            file.SetLength(v.SizeBytes);
        }

        return StorageNode("s1", "p1", 3, list) with { Storage = new StorageSpec("p1", 3, list, [], _dir, "v0") };
    }

    [Fact]
    public async Task SyncAsync_TwoVolumesRunTwice_StartsOnceThenNothing()
    {
        var node = StorageWith("root-h1", "root-h2");

        var first = await ExportSync.SyncAsync(_host, node, dryRun: false, _ => { }, CancellationToken.None);
        var second = await ExportSync.SyncAsync(_host, node, dryRun: false, _ => { }, CancellationToken.None);

        Assert.Equal(["start e3.1", "start e3.2"], first.Select(a => $"{a.Kind.ToString().ToLowerInvariant()} {a.Target}"));
        Assert.Empty(second);
        var running = await ExportSync.ListAsync(_host, CancellationToken.None);
        Assert.All(running, r => Assert.True(r.Alive));
        Assert.Equal([Path.Combine(_dir, "root-h1.img"), Path.Combine(_dir, "root-h2.img")], running.OrderBy(r => r.Target.Slot).Select(r => r.File));
        Assert.All(running, r => Assert.Equal("v0", r.Interface));
    }

    [Fact]
    public async Task SyncAsync_VolumeRemovedFromRegistry_StopsItsVbladeAndPidFile()
    {
        var node = StorageWith("root-h1", "root-h2");
        await ExportSync.SyncAsync(_host, node, dryRun: false, _ => { }, CancellationToken.None);
        var pid = (await ExportSync.ListAsync(_host, CancellationToken.None)).Single(r => r.Target.Slot == 2).Pid!.Value;

        var plan = await ExportSync.SyncAsync(_host, node with { Storage = node.Storage! with { Volumes = [node.Storage.Volumes[0]] } }, false, _ => { }, CancellationToken.None);

        Assert.Equal(ExportActionKind.Stop, Assert.Single(plan).Kind);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "vblade-e3.2.pid")));
        await WaitGone(pid);
    }

    [Fact]
    public async Task SyncAsync_DryRun_ChangesNothing()
    {
        var node = StorageWith("root-h1");
        var lines = new List<string>();

        var plan = await ExportSync.SyncAsync(_host, node, dryRun: true, lines.Add, CancellationToken.None);

        Assert.Single(plan);
        Assert.Contains(lines, l => l.StartsWith("s1: would start e3.1", StringComparison.Ordinal));
        Assert.Empty(await ExportSync.ListAsync(_host, CancellationToken.None));
    }

    [Fact]
    public async Task StartScript_VbladeKilled_NextSyncRestartsIt()
    {
        var node = StorageWith("root-h1");
        await ExportSync.SyncAsync(_host, node, false, _ => { }, CancellationToken.None);
        var pid = (await ExportSync.ListAsync(_host, CancellationToken.None)).Single().Pid!.Value;
        Process.GetProcessById(pid).Kill();
        await WaitGone(pid);

        var plan = await ExportSync.SyncAsync(_host, node, false, _ => { }, CancellationToken.None);

        Assert.Contains("is gone", Assert.Single(plan).Reason, StringComparison.Ordinal);
        var again = Assert.Single(await ExportSync.ListAsync(_host, CancellationToken.None));
        Assert.True(again.Alive);
        Assert.NotEqual(pid, again.Pid);
    }

    [Fact]
    public async Task StartScript_MissingVolumeFile_FailsNamingItNoPidFile()
    {
        var export = new DesiredExport(new AoeTarget(3, 9), "v0", Path.Combine(_dir, "missing.img"));

        var result = await _host.RunAsync(ExportScripts.StartCommand(export));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no volume file", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "vblade-e3.9.pid")));
    }

    [Fact]
    public async Task SyncAsync_HostKeyMismatch_NothingRunsAndTheErrorComesThrough()
    {
        const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOqlDtcScx3TBXl3oaum63sKOEpeBAX7UfklRfGs6x9l";
        var fake = new FakeRemoteHost(new SshTarget("10.0.0.10", 22, "root", Pin));
        fake.FailEverything(new HostKeyMismatchException("root@10.0.0.10:22", HostKey.Parse(Pin), "ssh-ed25519", "SHA256:other"));

        var error = await Assert.ThrowsAsync<HostKeyMismatchException>(() => ExportSync.SyncAsync(fake, StorageWith("v"), false, _ => { }, CancellationToken.None));
        Assert.Contains("nothing was run", error.Message, StringComparison.Ordinal);
        Assert.All(fake.Commands, c => Assert.Equal(ExportScripts.ListCommand(), c));
    }

    [Fact]
    public void Scripts_Shellcheck_NoFindings()
    {
        foreach (var script in new[] { ExportScripts.Start, ExportScripts.Stop, ExportScripts.List, Fabric.Storage.Volumes.VolumeScripts.Create, Fabric.Storage.Volumes.VolumeScripts.Remove })
        {
            var path = Path.Combine(_dir, "check.sh");
            File.WriteAllText(path, "#!/bin/sh\n" + script + "\n");
            var result = Process.Start(new ProcessStartInfo("shellcheck", ["-s", "sh", path]) { RedirectStandardOutput = true })!;
            var output = result.StandardOutput.ReadToEnd();
            result.WaitForExit();
            Assert.True(result.ExitCode == 0, output);
        }
    }

    private static async Task WaitGone(int pid)
    {
        for (int i = 0; i < 100 && Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal), $"pid {pid} still runs");
    }

    private static async Task Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
    }
}
