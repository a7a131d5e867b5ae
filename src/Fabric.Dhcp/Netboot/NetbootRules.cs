using Fabric.Core;
using Fabric.Dhcp.Protocol;

namespace Fabric.Dhcp.Netboot;

/// <summary>What kind of boot client sent a request.</summary>
public enum BootClientKind
{
    /// <summary>An ordinary DHCP client (an OS): no boot file.</summary>
    Plain,

    /// <summary>PXE firmware (vendor class PXEClient or option 93): a boot file over TFTP.</summary>
    Pxe,

    /// <summary>UEFI HTTP boot (vendor class HTTPClient): an http URL.</summary>
    HttpBoot,

    /// <summary>iPXE itself: the node's script URL, which ends the chainload loop.</summary>
    Ipxe,
}

/// <summary>The boot part of a reply.</summary>
/// <param name="FileName">file / option 67, or null for no boot file.</param>
/// <param name="VendorClass">Option 60 to echo (PXEClient or HTTPClient), or null.</param>
/// <param name="UseNextServer">True when the file is fetched by TFTP from siaddr / option 66.</param>
public readonly record struct BootDecision(BootClientKind Kind, string? FileName, string? VendorClass, bool UseNextServer)
{
    public static readonly BootDecision None = new(BootClientKind.Plain, null, null, false);
}

/// <summary>Netboot decisions as pure functions.</summary>
public static class NetbootRules
{
    public const string PxeClient = "PXEClient";
    public const string HttpClient = "HTTPClient";

    /// <summary>iPXE identifies itself with user class "iPXE" (RFC 3004 option 77; iPXE sends it as a raw
    /// string) and with its encapsulated option 175.</summary>
    public static bool IsIpxe(DhcpOptions options) =>
        options.Contains(DhcpOptionCode.IpxeEncapsulated)
        || options.UserClasses.Any(c => string.Equals(c, "iPXE", StringComparison.Ordinal));

    /// <summary>RFC 4578 2.1: the first (preferred) architecture type, or null.</summary>
    public static ushort? Architecture(DhcpOptions options)
    {
        var archs = options.ClientArchitectures;
        return archs.Count > 0 ? archs[0] : null;
    }

    public static BootClientKind Classify(DhcpOptions options)
    {
        if (IsIpxe(options))
        {
            return BootClientKind.Ipxe;
        }

        var vendor = options.VendorClass;
        if (vendor is not null && vendor.StartsWith(HttpClient, StringComparison.Ordinal))
        {
            return BootClientKind.HttpBoot;
        }

        if ((vendor is not null && vendor.StartsWith(PxeClient, StringComparison.Ordinal)) || Architecture(options) is not null)
        {
            return BootClientKind.Pxe;
        }

        return BootClientKind.Plain;
    }

    /// <summary>RFC 4578 2.1 / IANA processor architecture types -> boot file. 0 x86 BIOS; 7 x64 UEFI; 9
    /// (EBC, sent by much x64 UEFI firmware in place of 7); 16 x64 UEFI HTTP; 19 arm64 UEFI HTTP.</summary>
    public static string? BootFileForArchitecture(ushort? arch, BootFileNames files) => arch switch
    {
        null or 0 => files.Bios,
        7 or 9 => files.Uefi64,
        16 or 19 => files.HttpUefi,
        _ => null,
    };

    /// <summary>The boot answer for a request. iPXE gets <c>{publicUrl}/boot/{mac}.ipxe</c> so it runs the
    /// node's script instead of chain-loading itself again; UEFI HTTP boot gets an http URL to iPXE and
    /// HTTPClient echoed in option 60 (UEFI 2.x HTTP boot requires it); PXE firmware gets a TFTP file name
    /// by architecture with PXEClient echoed (PXE 2.1 spec: firmware ignores offers without it).</summary>
    public static BootDecision Decide(DhcpOptions options, MacAddress mac, string publicUrl, BootFileNames files)
    {
        string baseUrl = publicUrl.TrimEnd('/');
        var kind = Classify(options);
        bool pxeVendor = options.VendorClass?.StartsWith(PxeClient, StringComparison.Ordinal) == true;
        switch (kind)
        {
            case BootClientKind.Ipxe:
                return new BootDecision(kind, BootUrls.Script(baseUrl, mac.ToString()), pxeVendor ? PxeClient : null, false);
            case BootClientKind.HttpBoot:
                return new BootDecision(kind, BootUrls.File(baseUrl, files.HttpUefi), HttpClient, false);
            case BootClientKind.Pxe:
                var file = BootFileForArchitecture(Architecture(options), files);
                if (file is null)
                {
                    return BootDecision.None with { Kind = kind };
                }

                if (Architecture(options) is 16 or 19)
                {
                    return new BootDecision(kind, BootUrls.File(baseUrl, file), pxeVendor ? PxeClient : null, false);
                }

                return new BootDecision(kind, file, pxeVendor ? PxeClient : null, true);
            default:
                return BootDecision.None;
        }
    }

    /// <summary>A client-supplied host name (option 12) is kept only when it is a valid RFC 1123 host name
    /// (letters, digits, hyphens; labels of at most 63); anything with NUL, shell or template characters is
    /// discarded, never passed on.</summary>
    public static string? SanitizeHostName(string? clientHostName) =>
        HostName.TryNormalize(clientHostName, out var name, out _) && !clientHostName.Contains('\0', StringComparison.Ordinal) ? name : null;
}
