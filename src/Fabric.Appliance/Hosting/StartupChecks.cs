using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Fabric.Appliance.Hosting;

/// <summary>The start-up checks that look at the machine rather than at a value: folders, database files, ports.
/// Each problem is one line naming the key or the file.</summary>
internal static class StartupChecks
{
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();
    private const int SolSocket = 1;
    private const int SoBindToDevice = 25;

    /// <summary>The folder exists (made when missing) and can be written to.</summary>
    public static bool WritableFolder(string key, string path, List<string> problems) =>
        Folder(key, path, "create or write to", problems, () =>
        {
            var probe = Path.Combine(path, $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        });

    /// <summary>The folder exists (made when missing) and can be listed; the appliance only reads it.</summary>
    public static bool ReadableFolder(string key, string path, List<string> problems) =>
        Folder(key, path, "create or read", problems, () => _ = Directory.EnumerateFileSystemEntries(path).FirstOrDefault());

    /// <summary>A fully qualified path that is not a file, made as a folder when missing, on which
    /// <paramref name="probe"/> succeeds.</summary>
    private static bool Folder(string key, string path, string action, List<string> problems, Action probe)
    {
        if (!Path.IsPathFullyQualified(path))
        {
            problems.Add($"{key}: '{path}' is not a path");
            return false;
        }

        if (File.Exists(path))
        {
            problems.Add($"{key}: '{path}' is a file, not a folder");
            return false;
        }

        try
        {
            Directory.CreateDirectory(path);
            probe();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{key}: cannot {action} '{path}': {e.Message}");
            return false;
        }
    }

    /// <summary>An existing database file is an SQLite database whose schema can be read; a missing one is made later.</summary>
    public static void SqliteFile(string path, List<string> problems)
    {
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            var header = new byte[SqliteHeader.Length];
            int read;
            using (var stream = File.OpenRead(path))
            {
                read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            }

            if (read == 0)
            {
                return;
            }

            if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader))
            {
                problems.Add($"{path}: not an SQLite database (it starts with '{Printable(header.AsSpan(0, read))}'); move it away to start with an empty one");
                return;
            }

            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check(1)";
            var result = command.ExecuteScalar() as string;
            if (result != "ok")
            {
                problems.Add($"{path}: the SQLite database is corrupt ({result}); restore it from a backup or move it away");
            }
        }
        catch (SqliteException e)
        {
            problems.Add($"{path}: the SQLite database cannot be read: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{path}: cannot read: {e.Message}");
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7f && b != '\'' ? (char)b : '.');
        }

        return text.ToString();
    }

    /// <summary>Every port the appliance will listen on is free: the HTTP URLs, the TFTP endpoint and DHCP's ports on
    /// each interface. The host would fail on them later with an exception; here each is one line.</summary>
    public static void Ports(HttpOptions http, TftpSettings tftp, DhcpSettings dhcp, List<string> problems)
    {
        foreach (var url in http.UrlList)
        {
            if (HttpOptionsValidator.TryParseListenUrl(url, out var uri) && uri.Port != 0 && ListenAddress(uri.Host) is { } address
                && TcpInUse(new IPEndPoint(address, uri.Port)) is { } reason)
            {
                problems.Add($"Urls: '{url}' cannot be listened on: {reason}");
            }
        }

        if (tftp.ParsedEndpoint is { Port: > 0 } endpoint && UdpInUse(endpoint, null) is { } tftpReason)
        {
            problems.Add($"Fabric:Tftp:Endpoint: '{tftp.Endpoint}' cannot be listened on: {tftpReason}");
        }

        var dhcpPorts = dhcp.Proxy ? new[] { ("Port", dhcp.Port), ("ProxyPort", dhcp.ProxyPort) } : [("Port", dhcp.Port)];
        foreach (var nic in dhcp.Interfaces)
        {
            foreach (var (key, port) in dhcpPorts)
            {
                if (UdpInUse(new IPEndPoint(IPAddress.Any, port), nic) is { } reason)
                {
                    problems.Add($"Fabric:Dhcp:{key}: UDP port {port} on '{nic}' cannot be listened on: {reason}");
                }
            }
        }
    }

    /// <summary>The boot file server's port is free, when it is on (<c>Fabric:BootFiles:Endpoint</c>).</summary>
    public static void BootFilesPort(BootFilesSettings bootFiles, List<string> problems)
    {
        if (bootFiles.ParsedEndpoint is { Port: > 0 } endpoint && TcpInUse(endpoint) is { } reason)
        {
            problems.Add($"{BootFilesSettings.Section}:Endpoint: '{bootFiles.Endpoint}' cannot be listened on: {reason}");
        }
    }

    private static IPAddress? ListenAddress(string host) => host switch
    {
        "any" or "0.0.0.0" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.TryParse(host.Trim('[', ']'), out var ip) ? ip : null,
    };

    private static string? TcpInUse(IPEndPoint endpoint)
    {
        var listener = new TcpListener(endpoint);
        try
        {
            listener.Start();
            return null;
        }
        catch (SocketException e)
        {
            return Reason(e);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Binds the way the servers do (DHCP: SO_REUSEADDR and SO_BINDTODEVICE), so only a real conflict shows.</summary>
    private static string? UdpInUse(IPEndPoint endpoint, string? device)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (device is not null)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(device + "\0"));
            }

            socket.Bind(endpoint);
            return null;
        }
        catch (SocketException e)
        {
            return Reason(e);
        }
    }

    private static string Reason(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "the port is already in use",
        SocketError.AddressNotAvailable => "the address is not one of this machine's",
        SocketError.AccessDenied => "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)",
        _ => e.Message,
    };
}
