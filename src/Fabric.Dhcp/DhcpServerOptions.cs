using System.Net;

namespace Fabric.Dhcp;

/// <summary>Boot file names handed to firmware (names inside BootDir, served by TFTP and by HTTP at /boot/files/).</summary>
public sealed record BootFileNames
{
    /// <summary>BIOS PXE (client architecture 0).</summary>
    public string Bios { get; init; } = "undionly.kpxe";

    /// <summary>x64 UEFI PXE (architectures 7 and 9).</summary>
    public string Uefi64 { get; init; } = "ipxe.efi";

    /// <summary>UEFI HTTP boot (vendor class HTTPClient, architectures 16 and 19).</summary>
    public string HttpUefi { get; init; } = "ipxe.efi";
}

/// <summary>DHCP server settings (configuration section <c>Fabric:Dhcp</c>, plus <c>Fabric:PublicUrl</c>
/// and <c>Fabric:DataDir</c>).</summary>
public sealed record DhcpServerOptions
{
    /// <summary>Interfaces to serve; empty means the DHCP server is off. Never all interfaces by default.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary>Relay agents (giaddr) whose requests and option 82 are trusted; others are dropped.</summary>
    public IReadOnlyList<IPAddress> TrustedRelays { get; init; } = [];

    /// <summary>Base URL nodes use to reach the appliance's HTTP server, e.g. http://10.99.0.1:8080.</summary>
    public string PublicUrl { get; init; } = "";

    /// <summary>TFTP server (siaddr / option 66); null means the server's own address on the interface.</summary>
    public IPAddress? TftpServer { get; init; }

    public BootFileNames BootFiles { get; init; } = new();

    /// <summary>proxyDHCP: answer PXE clients only, without addresses (another server hands out leases).</summary>
    public bool Proxy { get; init; }

    public int Port { get; init; } = 67;

    public int ProxyPort { get; init; } = 4011;

    /// <summary>Where leases.db lives.</summary>
    public string DataDir { get; init; } = "";

    /// <summary>Batched socket I/O (recvmmsg/sendmmsg) where the OS has it (Linux); false forces one
    /// ReceiveFrom/SendTo per datagram, the path every other OS takes.</summary>
    public bool BatchedIo { get; init; } = true;

    /// <summary>A lone REQUEST whose lease can be committed at once (the lease store idle, leases arriving slowly)
    /// is committed on the socket's receive thread, which then sends its ACK, instead of going to the lease writer
    /// thread and back; false always hands leases to the writer thread.</summary>
    public bool CommitOnReceiveThread { get; init; } = true;

    public TimeSpan OfferTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxOutstandingOffers { get; init; } = 4096;

    public TimeSpan DeclineQuarantine { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Every problem at once; empty when valid. Interface existence is checked by the server at start.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interfaces.Count > 0)
        {
            if (string.IsNullOrWhiteSpace(DataDir))
            {
                errors.Add("Fabric:DataDir is required when DHCP is on.");
            }

            if (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                errors.Add($"Fabric:PublicUrl must be an absolute http(s) URL (got '{PublicUrl}').");
            }
        }

        if (Interfaces.Any(string.IsNullOrWhiteSpace) || Interfaces.Distinct(StringComparer.Ordinal).Count() != Interfaces.Count)
        {
            errors.Add("Fabric:Dhcp:Interfaces has an empty or repeated name.");
        }

        if (Port is <= 0 or > 65535 || ProxyPort is <= 0 or > 65535)
        {
            errors.Add("Fabric:Dhcp:Port and ProxyPort must be 1-65535.");
        }

        if (OfferTimeout <= TimeSpan.Zero || DeclineQuarantine < TimeSpan.Zero || MaxOutstandingOffers <= 0)
        {
            errors.Add("Fabric:Dhcp offer timeout and offer limit must be positive, decline quarantine not negative.");
        }

        foreach (var name in new[] { BootFiles.Bios, BootFiles.Uefi64, BootFiles.HttpUefi })
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 120 || name.Any(c => c < 0x21 || c > 0x7e))
            {
                errors.Add($"Boot file name '{name}' must be 1-120 printable ASCII characters.");
            }
        }

        return errors;
    }
}
