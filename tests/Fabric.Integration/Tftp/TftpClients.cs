namespace Fabric.Integration.Tftp;

/// <summary>The real TFTP clients the tests drive, each as an argument array.</summary>
public static class TftpClients
{
    public static (string File, string[] Args) Command(string client, string host, int port, string remote, string local) => client switch
    {
        "tftp-hpa" => ("tftp", [host, port.ToString(), "-m", "binary", "-c", "get", remote, local]),
        "atftp" => ("atftp", ["--get", "-r", remote, "-l", local, host, port.ToString()]),
        "atftp-1468" => ("atftp", ["--get", "-r", remote, "-l", local, "--option", "blksize 1468", host, port.ToString()]),
        "atftp-1468-w16" => ("atftp", ["--get", "-r", remote, "-l", local, "--option", "blksize 1468", "--option", "windowsize 16", host, port.ToString()]),
        "curl-1468" => ("curl", ["-s", "-S", "--tftp-blksize", "1468", "-o", local, $"tftp://{host}:{port}/{remote}"]),
        // curl derives the RFC 2349 timeout it asks for from its connect timeout: 10 s asks for 3 s (by default 6 s).
        "curl-1468-timeout3" => ("curl", ["-s", "-S", "--connect-timeout", "10", "--tftp-blksize", "1468", "-o", local, $"tftp://{host}:{port}/{remote}"]),
        // Blocks larger than an Ethernet frame: sent as IP fragments, one datagram per block.
        "atftp-8192-w8" => ("atftp", ["--get", "-r", remote, "-l", local, "--option", "blksize 8192", "--option", "windowsize 8", host, port.ToString()]),
        "busybox-1468" => ("busybox", ["tftp", "-g", "-r", remote, "-l", local, "-b", "1468", host, port.ToString()]),
        _ => throw new ArgumentOutOfRangeException(nameof(client)),
    };
}
