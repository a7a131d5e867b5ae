using Fabric.Remote.Tests.Ssh;

namespace Fabric.Integration.Storage;

/// <summary>A storage node for tests: a real OpenSSH sshd on 127.0.0.1 (<see cref="OpenSshServer"/>: its own host key,
/// Fabric's key authorized, an empty HOME) with its volumes, images and export pid files in its own folder
/// (<c>storagePath</c>, <c>imagePath</c>, <c>FABRIC_RUN</c> of every session). On dispose the vblade processes its pid
/// files name and the sshd are killed by PID.</summary>
internal sealed class SshdStorageNode : IAsyncDisposable
{
    private readonly OpenSshServer _sshd;
    private readonly System.Diagnostics.Process? _forward;

    private SshdStorageNode(string folder, OpenSshServer sshd, System.Diagnostics.Process? forward = null)
    {
        Folder = folder;
        _sshd = sshd;
        _forward = forward;
    }

    public string Folder { get; }

    public int Port => _sshd.Port;

    /// <summary><c>ssh-ed25519 AAAA...</c>, to pin.</summary>
    public string HostKey => string.Join(' ', _sshd.HostKey.Split(' ').Take(2));

    public string StoragePath => Path.Combine(Folder, "volumes");

    public string ImagePath => Path.Combine(Folder, "images");

    /// <summary>Where the export scripts keep pid files (<c>FABRIC_RUN</c> of every session).</summary>
    public string RunFolder => Path.Combine(Folder, "run");

    public static async Task<SshdStorageNode> StartAsync(string authorizedKey)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-storage-node-").FullName;
        var sshd = await OpenSshServer.StartAsync(authorizedKey, new Dictionary<string, string> { ["FABRIC_RUN"] = Path.Combine(folder, "run") });
        return new SshdStorageNode(folder, sshd);
    }

    /// <summary>A storage node whose sshd runs in network namespace <paramref name="netns"/> (which the caller made and
    /// removes) with a private /run, as the lab's storage hosts: nfs-ganesha and rpcbind started over SSH listen in that
    /// namespace only. 127.0.0.1:<see cref="Port"/> on this machine is forwarded to it by a socat (killed by PID).</summary>
    public static async Task<SshdStorageNode> StartInNamespaceAsync(string authorizedKey, string netns)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-storage-node-").FullName;
        var sshd = await OpenSshServer.StartAsync(authorizedKey, new Dictionary<string, string> { ["FABRIC_RUN"] = Path.Combine(folder, "run") }, netns);
        var forward = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("socat")
        {
            ArgumentList = { $"TCP-LISTEN:{sshd.Port},bind=127.0.0.1,reuseaddr,fork", $"EXEC:ip netns exec {netns} socat STDIO TCP\\:127.0.0.1\\:{sshd.Port}" },
            UseShellExecute = false,
        })!;
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, sshd.Port);
                break;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(50);
            }
        }

        return new SshdStorageNode(folder, sshd, forward);
    }

    /// <summary>The pid of the vblade serving <c>eSHELF.SLOT</c> when it runs, else null.</summary>
    public int? ExportPid(int shelf, int slot) => VbladePid(Path.Combine(RunFolder, $"vblade-e{shelf}.{slot}.pid"));

    public static Task<string> RunAsync(string program, params string[] arguments) => OpenSshServer.RunAsync(program, arguments);

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(RunFolder))
        {
            foreach (var pid in Directory.EnumerateFiles(RunFolder, "vblade-e*.pid").Select(VbladePid).OfType<int>())
            {
                try
                {
                    using var vblade = System.Diagnostics.Process.GetProcessById(pid);
                    vblade.Kill();
                    vblade.WaitForExit(10_000);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Gone already.
                }
            }
        }

        if (_forward is not null)
        {
            try
            {
                _forward.Kill(entireProcessTree: true);
                _forward.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Gone already.
            }

            _forward.Dispose();
        }

        await _sshd.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The pid a pid file names when that process is a vblade, else null.</summary>
    private static int? VbladePid(string file)
    {
        try
        {
            return File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out int pid)
                && File.ReadAllText($"/proc/{pid}/cmdline").Contains("vblade", StringComparison.Ordinal)
                ? pid
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
