namespace Fabric.Core;

/// <summary>The appliance's boot URLs, built in this one place: the per-MAC iPXE script that iPXE is pointed at (by DHCP
/// and by the templates) and the boot files under <c>/boot/files/</c> (HTTP boot, kernels, initrds).</summary>
public static class BootUrls
{
    /// <summary>The route group of the anonymous boot endpoints.</summary>
    public const string Prefix = "/boot";

    /// <summary>Route of a MAC's iPXE script, inside <see cref="Prefix"/>.</summary>
    public const string ScriptRoute = "/{mac}.ipxe";

    /// <summary>Route of the boot files, inside <see cref="Prefix"/>.</summary>
    public const string FilesRoute = "/files";

    /// <summary><c>{baseUrl}/boot/{mac}.ipxe</c>.</summary>
    public static string Script(string baseUrl, string mac) => $"{Base(baseUrl)}{Prefix}/{mac}.ipxe";

    /// <summary><c>{baseUrl}/boot/files</c>, the folder URL (no trailing '/').</summary>
    public static string Files(string baseUrl) => Base(baseUrl) + Prefix + FilesRoute;

    /// <summary><c>{baseUrl}/boot/files/{name}</c>.</summary>
    public static string File(string baseUrl, string name) => $"{Files(baseUrl)}/{name.TrimStart('/')}";

    private static string Base(string baseUrl) => baseUrl.TrimEnd('/');
}
