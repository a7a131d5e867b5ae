using System.Net;

namespace Fabric.Appliance.Hosting;

/// <summary>The appliance's resolved settings, made from the validated feature options (<see cref="ApplianceOptions"/>,
/// <see cref="HttpOptions"/>, <see cref="TftpSettings"/>, <see cref="DhcpSettings"/>) for the code that reads them.</summary>
/// <param name="DataDir">Folder of the registry database and the token files (absolute).</param>
/// <param name="BootDir">Folder of the boot artifacts served over HTTP (<c>/boot/files/</c>) and TFTP (absolute).</param>
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
    public const string Section = ApplianceOptions.Section;

    public static FabricOptions From(ApplianceOptions appliance, HttpOptions http, TftpSettings tftp, DhcpSettings dhcp) => new(
        appliance.DataDir,
        appliance.BootDir,
        appliance.PublicUri,
        appliance.AdminToken,
        appliance.BootTimeout,
        tftp.ParsedEndpoint,
        dhcp.Interfaces,
        http.UrlList,
        http.MaxRequestBodyBytes);
}
