using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fabric.Appliance.Hosting;

/// <summary>The appliance's settings (section <c>Fabric</c> plus <c>Urls</c>), checked once at start-up.</summary>
/// <param name="DataDir">Folder of the registry database and the token files.</param>
/// <param name="BootDir">Folder of the boot artifacts served over HTTP (<c>/boot/files/</c>) and TFTP.</param>
/// <param name="PublicUrl">Base URL nodes use to reach the appliance; null means the first bound address.</param>
/// <param name="AdminToken">Fixed admin token; null means the one in <c>DataDir/admin.token</c>.</param>
/// <param name="BootTimeout">How long a node may stay <c>booting</c> before it is marked <c>failed</c>.</param>
/// <param name="TftpEndpoint">The TFTP server's address:port, or null when TFTP is off.</param>
/// <param name="DhcpInterfaces">Interfaces DHCP serves; empty means DHCP is off.</param>
/// <param name="Urls">The HTTP listen URLs.</param>
/// <param name="MaxRequestBodyBytes">Largest request body the API accepts.</param>
public sealed record FabricOptions(
    string DataDir,
    string BootDir,
    Uri? PublicUrl,
    string? AdminToken,
    TimeSpan BootTimeout,
    IPEndPoint? TftpEndpoint,
    IReadOnlyList<string> DhcpInterfaces,
    IReadOnlyList<string> Urls,
    long MaxRequestBodyBytes)
{
    public const string Section = "Fabric";
    public const int MinAdminTokenLength = 16;
    public static readonly TimeSpan DefaultBootTimeout = TimeSpan.FromMinutes(10);
    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Reads and checks every setting, returning all problems at once rather than the first.</summary>
    public static (FabricOptions? Options, IReadOnlyList<string> Problems) Load(IConfiguration configuration)
    {
        var problems = new List<string>();
        var section = configuration.GetSection(Section);

        var dataDir = CheckFolder("Fabric:DataDir", section["DataDir"] is { Length: > 0 } d ? d : "data", problems);
        var bootDir = CheckFolder("Fabric:BootDir", section["BootDir"] is { Length: > 0 } b ? b : Path.Combine(dataDir, "boot"), problems);

        var urls = (configuration["Urls"] ?? configuration["urls"] ?? "http://127.0.0.1:8080")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in urls)
        {
            var probe = url.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https") || parsed.AbsolutePath != "/")
            {
                problems.Add($"Urls: '{url}' is not a listen URL like http://127.0.0.1:8080");
            }
        }

        Uri? publicUrl = null;
        if (section["PublicUrl"] is { Length: > 0 } publicText)
        {
            if (!Uri.TryCreate(publicText, UriKind.Absolute, out publicUrl) || publicUrl.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(publicUrl.Query) || !string.IsNullOrEmpty(publicUrl.Fragment)
                || publicUrl.Host is "0.0.0.0" or "[::]" || publicUrl.Port == 0)
            {
                problems.Add($"Fabric:PublicUrl: '{publicText}' is not a URL nodes can reach, like http://10.0.0.1:8080");
                publicUrl = null;
            }
        }

        string? adminToken = section["AdminToken"] is { Length: > 0 } token ? token : null;
        if (adminToken is not null && (adminToken.Length < MinAdminTokenLength || adminToken.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            problems.Add($"Fabric:AdminToken: an admin token is at least {MinAdminTokenLength} characters without spaces");
        }

        var bootTimeout = DefaultBootTimeout;
        if (section["BootTimeout"] is { Length: > 0 } timeoutText
            && (!TimeSpan.TryParse(timeoutText, CultureInfo.InvariantCulture, out bootTimeout) || bootTimeout <= TimeSpan.Zero))
        {
            problems.Add($"Fabric:BootTimeout: '{timeoutText}' is not a positive time span like 00:10:00");
        }

        IPEndPoint? tftp = null;
        if (section["Tftp:Endpoint"] is { Length: > 0 } tftpText)
        {
            if (!IPEndPoint.TryParse(tftpText, out tftp) || tftp.AddressFamily != AddressFamily.InterNetwork || tftp.Port == 0 || !tftpText.Contains(':', StringComparison.Ordinal))
            {
                problems.Add($"Fabric:Tftp:Endpoint: '{tftpText}' is not an IPv4 address:port like 127.0.0.1:69");
                tftp = null;
            }
        }

        var interfaces = section.GetSection("Dhcp:Interfaces").GetChildren().Select(c => c.Value ?? "").ToList();
        if (interfaces.Count == 0 && section["Dhcp:Interfaces"] is { Length: > 0 } single)
        {
            interfaces = single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        }

        foreach (var name in interfaces)
        {
            if (name.Length is 0 or > 15 || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                problems.Add($"Fabric:Dhcp:Interfaces: '{name}' is not an interface name");
            }
        }

        long maxBody = DefaultMaxRequestBodyBytes;
        if (section["MaxRequestBodyBytes"] is { Length: > 0 } maxText
            && (!long.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out maxBody) || maxBody < 1024))
        {
            problems.Add($"Fabric:MaxRequestBodyBytes: '{maxText}' is not a size of at least 1024 bytes");
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        return (new FabricOptions(dataDir, bootDir, publicUrl, adminToken, bootTimeout, tftp, interfaces, urls, maxBody), problems);
    }

    /// <summary>The folder exists (created when missing) and can be written to.</summary>
    private static string CheckFolder(string key, string path, List<string> problems)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            problems.Add($"{key}: '{path}' is not a path");
            return path;
        }

        if (File.Exists(full))
        {
            problems.Add($"{key}: '{full}' is a file, not a folder");
            return full;
        }

        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{key}: cannot create or write to '{full}': {e.Message}");
        }

        return full;
    }
}
