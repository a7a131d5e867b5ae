using System.Net;
using Fabric.Appliance.Boot.Files;
using Fabric.Appliance.Hosting;
using Fabric.Boot;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Fabric.Appliance.Boot;

/// <summary>Where booting nodes reach the appliance: <c>Fabric:PublicUrl</c>, or else the first address the HTTP
/// server is bound to (a wildcard address read as 127.0.0.1).</summary>
public sealed class ApplianceUrls(FabricOptions options, IServiceProvider services)
{
    public Uri HttpBase
    {
        get
        {
            if (options.PublicUrl is not null)
            {
                return options.PublicUrl;
            }

            var bound = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            var text = bound ?? (options.Urls.Count > 0 ? options.Urls[0] : null) ?? "http://127.0.0.1:8080";
            text = text.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal);
            return Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : new Uri("http://127.0.0.1:8080");
        }
    }

    /// <summary>The TFTP server address nodes use (next-server), or null when TFTP is off.</summary>
    public string? TftpServer => options.TftpEndpoint switch
    {
        null => null,
        { Address: var a } when a.Equals(IPAddress.Any) => HttpBase.Host,
        { Address: var a } => a.ToString(),
    };

    /// <summary>Where nodes fetch boot files when the boot file server (<c>Fabric:BootFiles:Endpoint</c>) is on: its port
    /// on the address it listens on (a wildcard address read as <see cref="HttpBase"/>'s host); null when it is off.</summary>
    public Uri? FilesBase
    {
        get
        {
            var server = services.GetService<BootFileServer>();
            var endpoint = server?.LocalEndpoint ?? server?.ConfiguredEndpoint;
            if (endpoint is null || endpoint.Port == 0)
            {
                return null;
            }

            var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) ? HttpBase.Host : endpoint.Address.ToString();
            return new UriBuilder(Uri.UriSchemeHttp, host, endpoint.Port).Uri;
        }
    }

    public ApplianceEndpoints Endpoints => new(HttpBase, TftpServer, FilesBase);
}
