using System.Net;
using System.Net.NetworkInformation;
using Fabric.Core;
using Fabric.Dhcp;
using Microsoft.Extensions.Options;

namespace Fabric.Appliance.Hosting;

/// <summary>The DHCP server's settings (section <c>Fabric:Dhcp</c>), as configured; <see cref="ToServerOptions"/> gives
/// the server's options once they are valid.</summary>
public sealed class DhcpSettings
{
    public const string Section = "Fabric:Dhcp";

    /// <summary>Interfaces to serve; empty means DHCP is off. Also one comma-separated value (<c>Fabric__Dhcp__Interfaces=eth0,eth1</c>).</summary>
    public List<string> Interfaces { get; set; } = [];

    /// <summary>Relay agents (giaddr) whose requests are trusted, as IPv4 addresses.</summary>
    public List<string> TrustedRelays { get; set; } = [];

    public string? TftpServer { get; set; }

    public BootFileNames BootFiles { get; set; } = new();

    public bool Proxy { get; set; }

    public int Port { get; set; } = 67;

    public int ProxyPort { get; set; } = 4011;

    public int OfferTimeoutSeconds { get; set; } = 30;

    public int MaxOutstandingOffers { get; set; } = 4096;

    public int DeclineQuarantineSeconds { get; set; } = 3600;

    /// <summary>recvmmsg/sendmmsg on Linux (true); false forces one ReceiveFrom/SendTo per datagram.</summary>
    public bool BatchedIo { get; set; } = true;

    /// <summary>Registers the settings with their validator and the comma-separated list form.</summary>
    internal static void Add(IServiceCollection services) =>
        services.AddFabricSettings<DhcpSettings, DhcpSettingsValidator>(Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                options.Interfaces = List(options.Interfaces, configuration[$"{Section}:Interfaces"]);
                options.TrustedRelays = List(options.TrustedRelays, configuration[$"{Section}:TrustedRelays"]);
            });

    private static List<string> List(List<string> bound, string? single) =>
        (bound.Count == 0 && single is { Length: > 0 } ? single.Split(',') : bound.ToArray())
            .Select(s => s.Trim()).Where(s => s.Length > 0).ToList();

    /// <summary>The server's options: DataDir and PublicUrl come from the appliance's resolved settings.</summary>
    public DhcpServerOptions ToServerOptions(string dataDir, string publicUrl) => new()
    {
        Interfaces = Interfaces,
        TrustedRelays = TrustedRelays.Select(r => Ipv4.TryParse(r, out var ip) ? ip : IPAddress.None).ToList(),
        PublicUrl = publicUrl,
        TftpServer = TftpServer is { Length: > 0 } t && Ipv4.TryParse(t, out var tftp) ? tftp : null,
        BootFiles = BootFiles,
        Proxy = Proxy,
        Port = Port,
        ProxyPort = ProxyPort,
        DataDir = dataDir,
        OfferTimeout = TimeSpan.FromSeconds(OfferTimeoutSeconds),
        MaxOutstandingOffers = MaxOutstandingOffers,
        DeclineQuarantine = TimeSpan.FromSeconds(DeclineQuarantineSeconds),
        BatchedIo = BatchedIo,
    };
}

/// <summary>Checks <see cref="DhcpSettings"/>: every problem, one line each, including interfaces that do not exist here.</summary>
internal sealed class DhcpSettingsValidator : IValidateOptions<DhcpSettings>
{
    private const string S = DhcpSettings.Section;

    public ValidateOptionsResult Validate(string? name, DhcpSettings options)
    {
        var problems = new List<string>();
        var present = NetworkInterface.GetAllNetworkInterfaces();
        foreach (var nic in options.Interfaces)
        {
            var found = present.FirstOrDefault(n => n.Name == nic);
            if (nic.Length > 15 || nic.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                problems.Add($"{S}:Interfaces: '{nic}' is not an interface name");
            }
            else if (found is null)
            {
                problems.Add($"{S}:Interfaces: '{nic}' does not exist here (have: {string.Join(", ", present.Select(n => n.Name))})");
            }
            else if (!found.GetIPProperties().UnicastAddresses.Any(a => a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork))
            {
                problems.Add($"{S}:Interfaces: '{nic}' has no IPv4 address to serve DHCP from");
            }
        }

        foreach (var nic in options.Interfaces.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{S}:Interfaces: '{nic.Key}' is listed more than once");
        }

        foreach (var relay in options.TrustedRelays)
        {
            if (!Ipv4.TryParse(relay, out _))
            {
                problems.Add($"{S}:TrustedRelays: '{relay}' is not an IPv4 address");
            }
        }

        if (options.TftpServer is { Length: > 0 } tftp && !Ipv4.TryParse(tftp, out _))
        {
            problems.Add($"{S}:TftpServer: '{tftp}' is not an IPv4 address");
        }

        foreach (var (key, file) in new[] { ("Bios", options.BootFiles.Bios), ("Uefi64", options.BootFiles.Uefi64), ("HttpUefi", options.BootFiles.HttpUefi) })
        {
            if (string.IsNullOrWhiteSpace(file) || file.Length > 120 || file.Any(c => c < 0x21 || c > 0x7e))
            {
                problems.Add($"{S}:BootFiles:{key}: '{file}' is not 1-120 printable ASCII characters");
            }
        }

        Port(problems, "Port", options.Port);
        Port(problems, "ProxyPort", options.ProxyPort);
        AtLeast(problems, "OfferTimeoutSeconds", options.OfferTimeoutSeconds, 1);
        AtLeast(problems, "MaxOutstandingOffers", options.MaxOutstandingOffers, 1);
        AtLeast(problems, "DeclineQuarantineSeconds", options.DeclineQuarantineSeconds, 0);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Port(List<string> problems, string key, int value)
    {
        if (value is < 1 or > 65535)
        {
            problems.Add($"{S}:{key}: '{value}' is not a port (1-65535)");
        }
    }

    private static void AtLeast(List<string> problems, string key, int value, int min)
    {
        if (value < min)
        {
            problems.Add($"{S}:{key}: '{value}' is less than {min}");
        }
    }
}
