using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Fabric.Integration.Dhcp;

/// <summary>Two network namespaces made by the test, joined by a veth: "server" (fsrv0) runs Fabric's
/// DHCP server in its own process (ip netns exec ... dotnet Fabric.Dhcp.TestHost.dll), "client" (fcli0)
/// runs real clients. Everything is torn down on dispose: processes killed by PID, namespaces deleted.</summary>
internal sealed class DhcpLab : IAsyncDisposable
{
    public const string ServerIf = "fsrv0";
    public const string ClientIf = "fcli0";
    public const string NodeMac = "52:54:00:00:00:01";

    private readonly List<Process> _processes = [];
    private Process? _server;

    public DhcpLab(string prefix, int lease = 3600, bool serveUnknown = true, bool proxy = false)
    {
        Proxy = proxy;
        string suffix = Convert.ToHexString(Guid.NewGuid().ToByteArray().AsSpan(0, 3)).ToLowerInvariant();
        ServerNs = $"dhcps-{suffix}";
        ClientNs = $"dhcpc-{suffix}";
        Dir = Directory.CreateTempSubdirectory($"fabric-dhcp-{prefix}-").FullName;
        LeaseSeconds = lease;
        ServeUnknown = serveUnknown;
    }

    public string ServerNs { get; }

    public string ClientNs { get; }

    public string Dir { get; }

    public string DataDir => Path.Combine(Dir, "data");

    public int LeaseSeconds { get; }

    public bool ServeUnknown { get; }

    /// <summary>proxyDHCP mode (Fabric:Dhcp:Proxy): PXE answers only, ports 67 and 4011.</summary>
    public bool Proxy { get; }

    /// <summary>Fabric:Dhcp:BatchedIo: recvmmsg/sendmmsg (true, the default) or one ReceiveFrom/SendTo per datagram.</summary>
    public bool BatchedIo { get; init; } = true;

    public async Task SetUpAsync(string clientMac = NodeMac)
    {
        Sh($"ip netns add {ServerNs}");
        Sh($"ip netns add {ClientNs}");
        Sh($"ip link add {ServerIf} netns {ServerNs} type veth peer name {ClientIf} netns {ClientNs}");
        Sh($"ip -n {ServerNs} addr add 10.78.0.1/16 dev {ServerIf}");
        Sh($"ip -n {ServerNs} link set {ServerIf} up");
        Sh($"ip -n {ServerNs} link set lo up");
        Sh($"ip -n {ClientNs} link set {ClientIf} address {clientMac}");
        Sh($"ip -n {ClientNs} link set {ClientIf} up");
        Sh($"ip -n {ClientNs} link set lo up");
        await Task.CompletedTask;
    }

    public void WriteConfig()
    {
        var config = new Dictionary<string, object>
        {
            ["Logging"] = new { LogLevel = new { Default = "Warning", Fabric = "Debug" } },
            ["Fabric"] = new
            {
                DataDir,
                PublicUrl = "http://10.78.0.1:8080",
                Dhcp = new { Interfaces = new[] { ServerIf }, TrustedRelays = new[] { "10.78.0.2" }, Proxy, BatchedIo },
            },
            ["TestHost"] = new
            {
                Networks = new[]
                {
                    new
                    {
                        Name = "boot", Cidr = "10.78.0.0/16", Gateway = "10.78.0.1", Dns = new[] { "10.78.0.1" },
                        PoolStart = "10.78.1.0", PoolEnd = "10.78.200.255", LeaseSeconds = LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ServeUnknown = ServeUnknown ? "true" : "false",
                    },
                },
                Nodes = new[] { new { Name = "hnode01", Mac = NodeMac, Ip = "10.78.0.20", Network = "boot" } },
            },
        };
        File.WriteAllText(Path.Combine(Dir, "config.json"), JsonSerializer.Serialize(config));
    }

    /// <summary>Starts the server in the server namespace and waits for READY.</summary>
    public async Task StartServerAsync()
    {
        WriteConfig();
        var host = TestHostPath();
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ServerNs, "dotnet", host, Path.Combine(Dir, "config.json")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var p = Process.Start(psi)!;
        _processes.Add(p);
        _server = p;
        var ready = new TaskCompletionSource();
        var log = new StringBuilder();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.Contains("READY", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (log)
                {
                    log.AppendLine(e.Data);
                }
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        ServerLog = log;
        var done = await Task.WhenAny(ready.Task, p.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (done != ready.Task)
        {
            throw new InvalidOperationException("DHCP test host did not start:\n" + log);
        }
    }

    public StringBuilder ServerLog { get; private set; } = new();

    /// <summary>SIGKILL, no shutdown path.</summary>
    public async Task KillServerAsync()
    {
        if (_server is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }
    }

    private static string TestHostPath()
    {
        // tests/Fabric.Integration/bin/<Configuration>/net10.0 -> tests/Fabric.Dhcp.TestHost/bin/<Configuration>/net10.0
        var here = AppContext.BaseDirectory.TrimEnd('/');
        var tfm = Path.GetFileName(here);
        var configuration = Path.GetFileName(Path.GetDirectoryName(here)!);
        var tests = Path.GetFullPath(Path.Combine(here, "..", "..", "..", ".."));
        var path = Path.Combine(tests, "Fabric.Dhcp.TestHost", "bin", configuration, tfm, "Fabric.Dhcp.TestHost.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build tests/Fabric.Dhcp.TestHost first.", path);
    }

    /// <summary>Starts a long-running process in a namespace (killed on dispose).</summary>
    public Process Start(string ns, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns, file, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var p = Process.Start(psi)!;
        _processes.Add(p);
        return p;
    }

    /// <summary>Runs a command in a namespace to completion.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string ns, TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("ip", ["netns", "exec", ns, file, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        return (p.ExitCode, await stdout, await stderr);
    }

    public static void Sh(string command)
    {
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        using var p = Process.Start(new ProcessStartInfo(parts[0], parts[1..]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed: {err}");
        }
    }

    public string WriteScript(string name, string body)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>The lease rows in DataDir/leases.db: address -> (mac, state).</summary>
    public Dictionary<string, (string Mac, string State)> ReadLeases()
    {
        var result = new Dictionary<string, (string, string)>();
        using var c = new SqliteConnection($"Data Source={Path.Combine(DataDir, "leases.db")};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT address, mac, state FROM leases";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            result[Fabric.Core.Ipv4.FromUInt32((uint)r.GetInt64(0)).ToString()] = (r.GetString(1), r.GetString(2));
        }

        return result;
    }

    public static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return condition();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
        }

        foreach (var ns in new[] { ServerNs, ClientNs })
        {
            try
            {
                Sh($"ip netns del {ns}");
            }
            catch (InvalidOperationException)
            {
            }
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
