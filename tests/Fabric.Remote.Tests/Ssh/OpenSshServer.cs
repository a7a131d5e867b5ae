using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fabric.Remote.Tests.Ssh;

/// <summary>A real OpenSSH sshd on 127.0.0.1 and a free high port, with its own ed25519 host key, configuration and
/// authorized_keys in a temporary folder (<c>sshd -D -f CONFIG -e</c>, <c>StrictModes no</c>). Sessions get an empty
/// HOME, so the login shell does not run this machine's root profile (bash sources ~/.bashrc for SSH commands). Its log (stderr, LogLevel
/// VERBOSE) is kept, so a test can count the connections it accepted. Killed by PID on dispose.</summary>
public sealed class OpenSshServer : IAsyncDisposable
{
    private const string Sshd = "/usr/sbin/sshd";
    private Process _process;
    private readonly List<string> _log;

    private readonly string? _netns;

    private OpenSshServer(string folder, int port, Process process, List<string> log, string hostKey, string? netns)
    {
        _netns = netns;
        Folder = folder;
        Port = port;
        _process = process;
        _log = log;
        HostKey = hostKey;
    }

    public string Folder { get; }

    public int Port { get; }

    /// <summary>The server's host key, <c>ssh-ed25519 AAAA... comment</c>.</summary>
    public string HostKey { get; }

    public static string User => Environment.UserName;

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>TCP connections the server has accepted so far.</summary>
    public int Connections => Log.Count(line => line.StartsWith("Connection from 127.0.0.1", StringComparison.Ordinal));

    /// <summary>Starts a server that lets <paramref name="authorizedKey"/> in. <paramref name="environment"/> is added to the
    /// sessions' environment (<c>SetEnv</c>), next to the empty HOME.</summary>
    /// <summary>With <paramref name="netns"/>, sshd runs in that network namespace (on its own 127.0.0.1) with a mount
    /// namespace of its own whose /run is a private tmpfs, as a storage host's sshd in the lab: what its sessions start
    /// (ganesha, rpcbind) listens and keeps its files there only. The caller forwards a port to it.</summary>
    public static async Task<OpenSshServer> StartAsync(string authorizedKey, IReadOnlyDictionary<string, string>? environment = null, string? netns = null)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-sshd-").FullName;
        if (!Directory.Exists("/run/sshd"))
        {
            // sshd's privilege separation folder; Debian's service makes it at boot, a test machine may not have it.
            Directory.CreateDirectory("/run/sshd");
        }

        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test-sshd", "-f", Path.Combine(folder, "host_ed25519"));
        await File.WriteAllTextAsync(Path.Combine(folder, "authorized_keys"), authorizedKey + "\n");
        var hostKey = (await File.ReadAllTextAsync(Path.Combine(folder, "host_ed25519.pub"))).Trim();
        var setEnv = string.Concat((environment ?? new Dictionary<string, string>()).Select(e => $" {e.Key}={e.Value}"));

        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            var config = Path.Combine(folder, "sshd_config");
            await File.WriteAllTextAsync(config, $"""
                ListenAddress 127.0.0.1:{port}
                HostKey {folder}/host_ed25519
                PidFile {folder}/sshd.pid
                AuthorizedKeysFile {folder}/authorized_keys
                StrictModes no
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                PermitRootLogin prohibit-password
                Subsystem sftp internal-sftp
                LogLevel VERBOSE
                MaxStartups 100
                SetEnv HOME={folder}/home{setEnv}
                """);
            Directory.CreateDirectory(Path.Combine(folder, "home"));

            var log = new List<string>();
            try
            {
                var process = await LaunchAsync(config, log, netns);
                return new OpenSshServer(folder, port, process, log, hostKey, netns);
            }
            catch (Exception) when (attempt < 3)
            {
                // Another process took the port between the probe and sshd's bind: try another one.
            }
        }
    }

    /// <summary>Runs <c>sshd -D -f CONFIG -e</c> until it says it listens; killed when it does not.</summary>
    private static async Task<Process> LaunchAsync(string config, List<string> log, string? netns)
    {
        var start = new ProcessStartInfo(Sshd) { ArgumentList = { "-D", "-f", config, "-e" }, RedirectStandardError = true, UseShellExecute = false };
        if (netns is not null)
        {
            // ip netns exec, unshare (no fork) and sh all exec: the process is sshd itself, killed by its pid.
            start = new ProcessStartInfo("ip")
            {
                ArgumentList =
                {
                    "netns", "exec", netns, "unshare", "-m", "--propagation", "private", "sh", "-c",
                    "mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/sshd && exec \"$0\" \"$@\"", Sshd, "-D", "-f", config, "-e",
                },
                RedirectStandardError = true,
                UseShellExecute = false,
            };
        }

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process
        {
            StartInfo = start,
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("sshd exited: " + string.Join(" | ", log)));
                return;
            }

            lock (log)
            {
                log.Add(e.Data);
            }

            if (e.Data.StartsWith("Server listening on", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return process;
        }
        catch (Exception)
        {
            Kill(process);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The server goes away as a stopped node's would: its connections dropped, the listener killed.</summary>
    public void Stop()
    {
        DropConnections();
        Kill(_process);
    }

    /// <summary>Starts the server again after <see cref="Stop"/>: same port, host key and configuration.</summary>
    public async Task StartAgainAsync()
    {
        var process = await LaunchAsync(Path.Combine(Folder, "sshd_config"), _log, _netns);
        var old = _process;
        _process = process;
        old.Dispose();
    }

    /// <summary>Ends every open connection: kills the listening sshd's children (one per connection), as a crash or a
    /// restart of the node's SSH server would.</summary>
    public void DropConnections()
    {
        foreach (var stat in Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "stat")))
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && fields[1] == _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)
                && int.TryParse(Path.GetFileName(Path.GetDirectoryName(stat)), out int pid))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
    }

    /// <summary>A port nothing listens on right now (bound once to port 0 and released).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Makes a fresh ed25519 key pair with ssh-keygen and returns its public line.</summary>
    public static async Task<string> NewEd25519PublicKeyAsync()
    {
        var folder = Directory.CreateTempSubdirectory("fabric-key-").FullName;
        try
        {
            await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(folder, "key"));
            return (await File.ReadAllTextAsync(Path.Combine(folder, "key.pub"))).Trim();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        }

        return await output;
    }

    public ValueTask DisposeAsync()
    {
        Kill(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }
}
