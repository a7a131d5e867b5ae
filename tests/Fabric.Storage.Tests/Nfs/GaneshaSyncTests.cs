using System.Diagnostics;
using System.Net;
using Fabric.Core;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Remote.Hosts;
using Fabric.Storage.Nfs;

namespace Fabric.Storage.Tests.Nfs;

/// <summary>The NFS sync against a real nfs-ganesha (FSAL VFS, NFSv4) and rpcbind in a network namespace the test makes.
/// Each command runs as a storage node's SSH server would run it, with a private /run (as the lab's storage hosts have),
/// so rpcbind's socket never touches this machine's /run; the configuration, pid and log live in the test's folder.
/// Everything the test started is killed by pid (every process in its namespace), then the namespace removed.</summary>
public sealed class GaneshaSyncTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-ganesha-").FullName;
    private readonly string _ns = $"fga-{Guid.NewGuid():N}"[..12];
    private NamespaceHost _host = null!;

    private string Run => Path.Combine(_dir, "run");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Run);
        Directory.CreateDirectory(Path.Combine(_dir, "root-h1"));
        Directory.CreateDirectory(Path.Combine(_dir, "root-h2"));
        await Exec("ip", "netns", "add", _ns);
        await Exec("ip", "-n", _ns, "link", "set", "lo", "up");
        _host = new NamespaceHost(_ns);
    }

    public async Task DisposeAsync()
    {
        var pids = (await Exec("ip", "netns", "pids", _ns)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var pid in pids)
        {
            try
            {
                using var process = Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                process.Kill();
                process.WaitForExit(10_000);
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }

        await Exec("ip", "netns", "del", _ns);
        Directory.Delete(_dir, recursive: true);
    }

    private Node Storage(params string[] exports) => new()
    {
        Name = "store0",
        Role = NodeRole.Storage,
        Macs = [MacAddress.Parse("52:54:00:00:01:01")],
        Ip = IPAddress.Parse("10.9.0.1"),
        Storage = new StorageSpec("pair-a", 0, [], [.. exports.Select(e => Path.Combine(_dir, e))]),
    };

    private Task<IReadOnlyList<NfsAction>> SyncAsync(Node node) =>
        NfsSync.SyncAsync(_host, node, dryRun: false, _ => { }, CancellationToken.None, Run);

    private int Pid => int.Parse(File.ReadAllText(Path.Combine(Run, "ganesha.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<bool> ListensOn2049Async() =>
        (await Exec("ip", "netns", "exec", _ns, "ss", "-Hltn", "sport", "=", ":2049")).Contains(":2049", StringComparison.Ordinal);

    [Fact]
    public async Task SyncAsync_RealGanesha_StartsServesReloadsStops()
    {
        var first = await SyncAsync(Storage("root-h1"));
        Assert.Equal([NfsActionKind.WriteConfig, NfsActionKind.Start], first.Select(a => a.Kind));
        int pid = Pid;
        await WaitFor.TrueAsync(() => ListensOn2049Async().Result, "ganesha listening on 2049");

        Assert.Empty(await SyncAsync(Storage("root-h1")));

        var added = await SyncAsync(Storage("root-h1", "root-h2"));
        Assert.Equal([NfsActionKind.WriteConfig, NfsActionKind.Reload], added.Select(a => a.Kind));
        await WaitFor.TrueAsync(() => File.ReadAllText(Path.Combine(Run, "ganesha.log")).Contains("SIGHUP", StringComparison.Ordinal), "ganesha's reload");
        Assert.Equal(pid, Pid);
        Assert.True(await ListensOn2049Async());
        Assert.Empty(await SyncAsync(Storage("root-h1", "root-h2")));

        var stopped = await SyncAsync(Storage());
        Assert.Equal(NfsActionKind.Stop, Assert.Single(stopped).Kind);
        await WaitFor.TrueAsync(() => !ListensOn2049Async().Result, "ganesha stopped");
        Assert.False(File.Exists(Path.Combine(Run, "ganesha.pid")));
    }

    private static async Task<string> Exec(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
        return output;
    }

    /// <summary>Runs commands in the namespace with a private /run; writes files as SFTP would (temporary name, rename).</summary>
    private sealed class NamespaceHost(string netns) : IRemoteHost
    {
        private const string PrivateRun = "mount -t tmpfs tmpfs /run && exec \"$@\"";

        public SshTarget Target { get; } = new("127.0.0.1", 22, "root", null);

        public async Task<RemoteCommandResult> RunAsync(RemoteCommand command, RemoteRunOptions? options = null, CancellationToken cancellationToken = default)
        {
            var info = new ProcessStartInfo("ip", ["netns", "exec", netns, "unshare", "-m", "--propagation", "private", "sh", "-c", PrivateRun, "sh", .. command.Arguments])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            var started = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return new RemoteCommandResult(command, Target.ToString(), process.ExitCode, null, await output, await error, started.Elapsed);
        }

        public Task UploadAsync(Stream content, string remotePath, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the NFS sync uploads nothing");

        public async Task WriteFileAsync(string remotePath, ReadOnlyMemory<byte> content, UnixFileMode mode = RemoteFiles.DefaultMode, CancellationToken cancellationToken = default)
        {
            var temporary = remotePath + ".fabric-new";
            await File.WriteAllBytesAsync(temporary, content.ToArray(), cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, mode);
            }

            File.Move(temporary, remotePath, overwrite: true);
        }
    }
}
