using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fabric.Integration.Storage;

/// <summary>A storage node for tests: a real OpenSSH sshd on 127.0.0.1 and a free port, with its own ed25519 host key,
/// configuration and authorized_keys (Fabric's key) in its own folder, and its volumes, images and export pid files in that
/// folder too (<c>storagePath</c>, <c>imagePath</c>, <c>FABRIC_RUN</c>). Sessions get an empty HOME so the login shell does
/// not read this machine's root profile. On dispose the vblade processes its pid files name and the sshd are killed by PID.</summary>
internal sealed class SshdStorageNode : IAsyncDisposable
{
    private readonly Process _sshd;

    private SshdStorageNode(string folder, int port, string hostKey, Process sshd)
    {
        Folder = folder;
        Port = port;
        HostKey = hostKey;
        _sshd = sshd;
    }

    public string Folder { get; }

    public int Port { get; }

    /// <summary><c>ssh-ed25519 AAAA...</c>, to pin.</summary>
    public string HostKey { get; }

    public string StoragePath => Path.Combine(Folder, "volumes");

    public string ImagePath => Path.Combine(Folder, "images");

    /// <summary>Where the export scripts keep pid files (<c>FABRIC_RUN</c> of every session).</summary>
    public string RunFolder => Path.Combine(Folder, "run");

    public static async Task<SshdStorageNode> StartAsync(string authorizedKey)
    {
        var folder = Directory.CreateTempSubdirectory("fabric-storage-sshd-").FullName;
        Directory.CreateDirectory("/run/sshd");
        Directory.CreateDirectory(Path.Combine(folder, "home"));
        await RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "storage-node", "-f", Path.Combine(folder, "host_ed25519"));
        await File.WriteAllTextAsync(Path.Combine(folder, "authorized_keys"), authorizedKey + "\n");
        var hostKey = string.Join(' ', (await File.ReadAllTextAsync(Path.Combine(folder, "host_ed25519.pub"))).Trim().Split(' ').Take(2));
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
                MaxStartups 100
                SetEnv HOME={folder}/home FABRIC_RUN={folder}/run
                """);
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new List<string>();
            var process = new Process { StartInfo = new ProcessStartInfo("/usr/sbin/sshd") { ArgumentList = { "-D", "-f", config, "-e" }, RedirectStandardError = true, UseShellExecute = false } };
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
                return new SshdStorageNode(folder, port, hostKey, process);
            }
            catch (Exception) when (attempt < 3)
            {
                Kill(process);
            }
        }
    }

    /// <summary>The pid of the vblade serving <c>eSHELF.SLOT</c> when it runs, else null.</summary>
    public int? ExportPid(int shelf, int slot)
    {
        var file = Path.Combine(RunFolder, $"vblade-e{shelf}.{slot}.pid");
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), out int pid))
        {
            return null;
        }

        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("vblade", StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
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
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(RunFolder))
        {
            foreach (var pidFile in Directory.EnumerateFiles(RunFolder, "vblade-e*.pid"))
            {
                if (int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) && File.Exists($"/proc/{pid}/cmdline")
                    && File.ReadAllText($"/proc/{pid}/cmdline").Contains("vblade", StringComparison.Ordinal))
                {
                    try
                    {
                        using var vblade = Process.GetProcessById(pid);
                        vblade.Kill();
                        vblade.WaitForExit(10_000);
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

        Kill(_sshd);
        _sshd.Dispose();
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
