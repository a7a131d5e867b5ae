using System.Net;
using System.Text;
using Fabric.Tftp.Files;

namespace Fabric.Tftp.Tests.Files;

/// <summary>
/// A virtual-file source as the appliance would write one: <c>pxelinux.cfg/01-&lt;mac&gt;</c> is rendered only for
/// the client whose address is registered for that MAC; anyone else is refused.
/// </summary>
internal sealed class TestVirtualFiles(Dictionary<string, IPAddress> owners) : ITftpVirtualFiles
{
    public List<(string Path, IPEndPoint Client)> Calls { get; } = [];

    public ValueTask<TftpVirtualFile?> OpenAsync(string path, IPEndPoint client, CancellationToken cancellationToken)
    {
        lock (Calls)
        {
            Calls.Add((path, client));
        }

        const string prefix = "pxelinux.cfg/01-";
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult<TftpVirtualFile?>(null);
        }

        string mac = path[prefix.Length..];
        if (!owners.TryGetValue(mac, out var owner))
        {
            return ValueTask.FromResult<TftpVirtualFile?>(TftpVirtualFile.NotFound());
        }

        if (!owner.Equals(client.Address))
        {
            return ValueTask.FromResult<TftpVirtualFile?>(TftpVirtualFile.Denied());
        }

        var text = $"DEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n  APPEND fabric.mac={mac} fabric.token=secret-{mac}\n";
        return ValueTask.FromResult<TftpVirtualFile?>(TftpVirtualFile.FromContent(Encoding.ASCII.GetBytes(text)));
    }
}
