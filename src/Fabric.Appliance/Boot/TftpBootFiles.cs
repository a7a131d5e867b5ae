using System.Net;
using System.Text;
using Fabric.Boot;
using Fabric.Core;
using Fabric.Tftp.Files;

namespace Fabric.Appliance.Boot;

/// <summary>The per-node files TFTP serves from the boot templates, through the same renderer and context as
/// HTTP boot: <c>pxelinux.cfg/01-&lt;mac&gt;</c> (template <c>pxelinux.cfg</c>) and <c>grub/grub.cfg-&lt;mac&gt;</c>
/// or <c>grub/grub.cfg-01-&lt;mac&gt;</c> (template <c>grub.cfg</c>). A node's boot token is rendered only when the
/// request comes from that node's own address (see <see cref="IBootContextFactory"/>), so naming another node's
/// MAC yields its file without the secret. An unknown MAC, or a retired node's (not booted, as over HTTP), is
/// "file not found", so the client falls back to its default file.</summary>
internal sealed partial class TftpBootFiles(
    IBootContextFactory contexts,
    IServiceProvider services,
    ILogger<TftpBootFiles> logger) : ITftpVirtualFiles
{
    internal const string PxelinuxPrefix = "pxelinux.cfg/01-";
    internal const string GrubPrefix = "grub/grub.cfg-";

    public async ValueTask<TftpVirtualFile?> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken)
    {
        if (!TryMatch(path, out var template, out var mac))
        {
            return null;
        }

        var requester = client.Address.IsIPv4MappedToIPv6 ? client.Address.MapToIPv4() : client.Address;
        var context = await contexts.ForMacAsync(mac, requester, cancellationToken);
        if (context is null)
        {
            return TftpVirtualFile.NotFound($"no node has MAC {mac}");
        }

        if (context.Node.State == NodeState.Retired)
        {
            Log.Retired(logger, LogText.Escape(path), context.Node.Name, requester);
            return TftpVirtualFile.NotFound("file not found");
        }

        var renderer = services.GetService<IBootRenderer>();
        var rendered = renderer is null
            ? RenderResult.Failed(template, null, "no boot templates are loaded")
            : renderer.Render(template, context);
        if (!rendered.Succeeded)
        {
            Log.RenderFailed(logger, rendered.Template ?? template, rendered.Detail, mac);
            return TftpVirtualFile.NotFound($"cannot render {template} for {mac}");
        }

        Log.Served(logger, LogText.Escape(path), context.Node.Name, requester, context.BootToken is not null);
        return TftpVirtualFile.FromContent(Encoding.UTF8.GetBytes(rendered.Text));
    }

    /// <summary>Maps a requested path to a template and the MAC it is for; false for any other path.</summary>
    internal static bool TryMatch(string path, out string template, out MacAddress mac)
    {
        template = "";
        mac = default;
        ReadOnlySpan<char> rest;
        if (path.StartsWith(PxelinuxPrefix, StringComparison.OrdinalIgnoreCase))
        {
            template = "pxelinux.cfg";
            rest = path.AsSpan(PxelinuxPrefix.Length);
        }
        else if (path.StartsWith(GrubPrefix, StringComparison.OrdinalIgnoreCase))
        {
            template = "grub.cfg";
            rest = path.AsSpan(GrubPrefix.Length);
            if (rest.StartsWith("01-", StringComparison.Ordinal) && rest.Length == 20)
            {
                rest = rest[3..];
            }
        }
        else
        {
            return false;
        }

        return MacAddress.TryParse(rest, out mac);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "TFTP {Path} rendered for node {Node} to {Requester} (token included: {WithToken})")]
        public static partial void Served(ILogger logger, string path, string node, IPAddress requester, bool withToken);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Error, Message = "TFTP template {Template} failed for {Mac}: {Problem}")]
        public static partial void RenderFailed(ILogger logger, string template, string? problem, MacAddress mac);

        [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "TFTP {Path} refused to {Requester}: node {Node} is retired")]
        public static partial void Retired(ILogger logger, string path, string node, IPAddress requester);
    }
}
